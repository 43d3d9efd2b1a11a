// The local tenant's https certificates: a CA kept in a folder and reused across runs (so a CA someone
// trusted stays trusted), replaced when unusable, and a leaf for 127.0.0.1 and localhost it signed.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CA_CERT_FILE, CA_KEY_FILE, tenantCertificates } from "../src/local-tenant/certificates";

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
  expect(new X509Certificate(second.cert.split(/(?<=-----END CERTIFICATE-----)/)[0]).checkIssued(new X509Certificate(readFileSync(second.caFile)))).toBe(true);
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
  await expect(tenantCertificates(join(file, "sub"))).rejects.toThrow(/^--cert-dir: can't create .*a-file\/sub \(ENOTDIR\); pick a writable folder$/);
});
