// The local tenant's https certificates: a CA kept in a folder and reused across runs (so a CA someone
// trusted stays trusted), replaced when unusable, and a leaf for 127.0.0.1 and localhost it signed;
// the CA vouches for loopback names only, for a few weeks, and its key must stay private.
import "reflect-metadata";
import { webcrypto, X509Certificate } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import * as x509 from "@peculiar/x509";
import { CA_CERT_FILE, CA_KEY_FILE, tenantCertificates } from "../src/local-tenant/certificates";

const EC = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const root = mkdtempSync(join(tmpdir(), "local-tenant-certs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `run-${n++}`);

test("the first run creates a CA in the folder; its key is readable by the owner only", async () => {
  const dir = freshDir();
  const certs = await tenantCertificates(dir);
  expect(certs.caCreated).toBe(true);
  expect(certs.caFile).toBe(join(dir, CA_CERT_FILE));
  expect(new X509Certificate(readFileSync(certs.caFile)).ca).toBe(true);
  expect(statSync(join(dir, CA_KEY_FILE)).mode & 0o777).toBe(0o600);
});

test("a second run reuses the CA, byte for byte, and issues a new leaf", async () => {
  const dir = freshDir();
  const first = await tenantCertificates(dir);
  const caBefore = readFileSync(first.caFile, "utf8");
  const second = await tenantCertificates(dir);
  expect(second.caCreated).toBe(false);
  expect(readFileSync(second.caFile, "utf8")).toBe(caBefore);
  expect(second.cert).not.toBe(first.cert);
});

test("the leaf is signed by the CA and names 127.0.0.1 and localhost, for serving only", async () => {
  const certs = await tenantCertificates(freshDir());
  const ca = new X509Certificate(readFileSync(certs.caFile));
  const leaf = new X509Certificate(certs.cert.split(/(?<=-----END CERTIFICATE-----)/)[0]);
  expect(leaf.checkIssued(ca)).toBe(true);
  expect(leaf.verify(ca.publicKey)).toBe(true);
  expect(leaf.ca).toBe(false);
  expect(leaf.checkHost("localhost")).toBe("localhost");
  expect(leaf.checkIP("127.0.0.1")).toBe("127.0.0.1");
  expect(leaf.checkHost("example.com")).toBeUndefined();
});

test("a CA whose key is not its own is replaced, not used", async () => {
  const dir = freshDir();
  const caBefore = readFileSync((await tenantCertificates(dir)).caFile, "utf8");
  const other = freshDir();
  await tenantCertificates(other);
  writeFileSync(join(dir, CA_KEY_FILE), readFileSync(join(other, CA_KEY_FILE)));
  const second = await tenantCertificates(dir);
  expect(second.caCreated).toBe(true);
  expect(readFileSync(second.caFile, "utf8")).not.toBe(caBefore);
  expect(
    new X509Certificate(second.cert.split(/(?<=-----END CERTIFICATE-----)/)[0]).checkIssued(
      new X509Certificate(readFileSync(second.caFile)),
    ),
  ).toBe(true);
});

test("an unreadable CA file is replaced by a new CA", async () => {
  const dir = freshDir();
  await tenantCertificates(dir);
  writeFileSync(join(dir, CA_CERT_FILE), "not a certificate\n");
  expect((await tenantCertificates(dir)).caCreated).toBe(true);
});

test("a folder that can't be created is a usage error naming --cert-dir", async () => {
  const file = join(root, "a-file");
  writeFileSync(file, "");
  await expect(tenantCertificates(join(file, "sub"))).rejects.toThrow(
    /^--cert-dir: can't create .*a-file\/sub \(ENOTDIR\); pick a writable folder$/,
  );
});

// What the CA can vouch for: only loopback names, for a few weeks. Each leaf below is signed by the
// CA's own key, as anyone holding a copy of ca-key.pem could sign one.
describe("the CA's limits", () => {
  async function caOf(dir: string): Promise<{ cert: x509.X509Certificate; key: webcrypto.CryptoKey; pem: string }> {
    const pem = readFileSync(join(dir, CA_CERT_FILE), "utf8");
    const key = await webcrypto.subtle.importKey(
      "pkcs8",
      x509.PemConverter.decodeFirst(readFileSync(join(dir, CA_KEY_FILE), "utf8")),
      EC,
      false,
      ["sign"],
    );
    return { cert: new x509.X509Certificate(pem), key, pem };
  }

  async function leafSignedBy(
    dir: string,
    names: { type: "dns" | "ip"; value: string }[],
  ): Promise<{ key: string; cert: string; ca: string }> {
    const ca = await caOf(dir);
    const keys = await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"]);
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: "01",
      subject: "CN=local tenant test leaf",
      issuer: ca.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      signingKey: ca.key,
      publicKey: keys.publicKey,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
      ],
    });
    return {
      key: x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY"),
      cert: leaf.toString("pem"),
      ca: ca.pem,
    };
  }

  /** Node's TLS client verifying the chain the server presents, trusting only the CA (the host-name check left out). */
  async function nodeAccepts(served: { key: string; cert: string; ca: string }): Promise<true | string> {
    const server = createServer({ key: served.key, cert: served.cert }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      return await new Promise<true | string>((resolve) => {
        const socket = tlsConnect({
          host: "127.0.0.1",
          port: (server.address() as AddressInfo).port,
          ca: served.ca,
          checkServerIdentity: () => undefined,
        });
        socket.once("secureConnect", () => (socket.end(), resolve(true)));
        socket.once("error", (err: NodeJS.ErrnoException) => resolve(`${err.code}: ${err.message}`));
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  test("Node accepts a leaf for localhost, 127.0.0.1 or ::1 signed by the CA (the check below can pass)", async () => {
    const dir = freshDir();
    await tenantCertificates(dir);
    expect(await nodeAccepts(await leafSignedBy(dir, [{ type: "dns", value: "localhost" }]))).toBe(true);
    expect(
      await nodeAccepts(
        await leafSignedBy(dir, [
          { type: "ip", value: "127.0.0.1" },
          { type: "ip", value: "::1" },
        ]),
      ),
    ).toBe(true);
  });

  test("Node refuses a leaf for any other name signed by the CA: its name constraints allow loopback only", async () => {
    const REFUSED = "UNSPECIFIED: permitted subtree violation"; // OpenSSL's X509_V_ERR_PERMITTED_VIOLATION
    const dir = freshDir();
    await tenantCertificates(dir);
    expect(await nodeAccepts(await leafSignedBy(dir, [{ type: "dns", value: "bank.example" }]))).toBe(REFUSED);
    expect(await nodeAccepts(await leafSignedBy(dir, [{ type: "dns", value: "localhost.bank.example" }]))).toBe(
      REFUSED,
    );
    expect(await nodeAccepts(await leafSignedBy(dir, [{ type: "ip", value: "192.0.2.1" }]))).toBe(REFUSED);
    expect(await nodeAccepts(await leafSignedBy(dir, [{ type: "ip", value: "2001:db8::1" }]))).toBe(REFUSED);
  });

  test("the name constraints are marked critical, so a verifier that can't read them refuses the CA", async () => {
    const dir = freshDir();
    await tenantCertificates(dir);
    expect((await caOf(dir)).cert.getExtension("2.5.29.30")?.critical).toBe(true);
  });

  test("the CA is valid for 30 days, and the leaf for 7 days at most, never past the CA", async () => {
    const dir = freshDir();
    const certs = await tenantCertificates(dir);
    const ca = new X509Certificate(readFileSync(certs.caFile));
    const leaf = new X509Certificate(certs.cert.split(/(?<=-----END CERTIFICATE-----)/)[0]);
    const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 86_400_000;
    expect(days(ca.validFrom, ca.validTo)).toBeLessThanOrEqual(31);
    expect(days(new Date().toUTCString(), leaf.validTo)).toBeLessThanOrEqual(7);
    expect(Date.parse(leaf.validTo)).toBeLessThanOrEqual(Date.parse(ca.validTo));
  });

  test("a CA made before these limits (no name constraints, 10 years) is replaced by a constrained one", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const keys = await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"]);
    const unconstrained = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=auth0-app-metadata-claims local tenant CA old",
      notBefore: new Date(Date.now() - 86_400_000),
      notAfter: new Date(Date.now() + 3650 * 86_400_000),
      keys,
      signingAlgorithm: EC,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    writeFileSync(
      join(dir, CA_KEY_FILE),
      x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY"),
      { mode: 0o600 },
    );
    writeFileSync(join(dir, CA_CERT_FILE), unconstrained.toString("pem") + "\n");
    const certs = await tenantCertificates(dir);
    expect(certs.caCreated).toBe(true);
    expect((await caOf(dir)).cert.getExtension("2.5.29.30")).not.toBeNull();
  });
});

describe("the CA key's permissions", () => {
  test("a reused CA key readable by group or others is refused, naming the file and the fix; nothing is replaced", async () => {
    const dir = freshDir();
    await tenantCertificates(dir);
    const key = join(dir, CA_KEY_FILE);
    const before = [readFileSync(key, "utf8"), readFileSync(join(dir, CA_CERT_FILE), "utf8")];
    chmodSync(key, 0o644);
    await expect(tenantCertificates(dir)).rejects.toThrow(
      new RegExp(
        `^--cert-dir: ${key.replace(/[.]/g, "\\.")} has mode 0644, open to group or others, .*: chmod 600 ${key.replace(/[.]/g, "\\.")}, or delete it for a new CA$`,
      ),
    );
    expect([readFileSync(key, "utf8"), readFileSync(join(dir, CA_CERT_FILE), "utf8")]).toEqual(before);
    expect(statSync(key).mode & 0o777).toBe(0o644);
  });

  test("after chmod 600 the same CA is reused", async () => {
    const dir = freshDir();
    const caBefore = readFileSync((await tenantCertificates(dir)).caFile, "utf8");
    chmodSync(join(dir, CA_KEY_FILE), 0o640);
    await expect(tenantCertificates(dir)).rejects.toThrow(/mode 0640/);
    chmodSync(join(dir, CA_KEY_FILE), 0o600);
    const again = await tenantCertificates(dir);
    expect(again.caCreated).toBe(false);
    expect(readFileSync(again.caFile, "utf8")).toBe(caBefore);
  });
});
