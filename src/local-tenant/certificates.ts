// The https certificates of the local tenant: a local CA kept in a folder (reused across runs, so a
// CA someone chose to trust stays trusted) and a leaf for 127.0.0.1 and localhost made at each start.
import "reflect-metadata"; // @peculiar/x509 resolves its parsers through tsyringe, which needs it
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { UsageError } from "../errors";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 30;
/** A CA closer than this to its end is replaced, so a run never starts with a CA about to expire. */
const CA_MIN_REMAINING_DAYS = 30;

export const CA_CERT_FILE = "ca.pem";
export const CA_KEY_FILE = "ca-key.pem";

export interface TenantCertificates {
  /** Absolute path of the CA certificate to trust (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** Whether the CA was made by this run (false: reused from the folder). */
  readonly caCreated: boolean;
  /** PEM of the server's key and certificate chain (leaf, then CA), for https.createServer. */
  readonly key: string;
  readonly cert: string;
}

/** Loads the CA from `dir` (or makes one there) and issues a fresh leaf for 127.0.0.1 and localhost. */
export async function tenantCertificates(dir: string): Promise<TenantCertificates> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(`--cert-dir: can't create ${dir} (${(err as NodeJS.ErrnoException).code}); pick a writable folder`);
  }
  const existing = await loadCa(dir);
  const ca = existing ?? (await createCa(dir));
  const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=localhost",
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + LEAF_DAYS * DAY),
    signingKey: ca.key,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
    ],
  });
  return {
    caFile: join(dir, CA_CERT_FILE),
    caCreated: existing === undefined,
    key: x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey), "PRIVATE KEY"),
    cert: leaf.toString("pem") + "\n" + ca.cert.toString("pem") + "\n",
  };
}

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
}

/** The CA in `dir` if both files are there, parse, belong together and stay valid long enough. */
async function loadCa(dir: string): Promise<Ca | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(join(dir, CA_CERT_FILE), "utf8");
    keyPem = readFileSync(join(dir, CA_KEY_FILE), "utf8");
  } catch {
    return undefined;
  }
  try {
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() < Date.now() + CA_MIN_REMAINING_DAYS * DAY || cert.notBefore.getTime() > Date.now()) return undefined;
    const publicOfKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
    if (!Buffer.from(cert.publicKey.rawData).equals(publicOfKey)) return undefined;
    const key = await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), ALGORITHM, false, ["sign"]);
    return { cert, key };
  } catch {
    return undefined; // unreadable or foreign files: replaced by a new CA
  }
}

async function createCa(dir: string): Promise<Ca> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=auth0-app-metadata-claims local tenant CA ${randomBytes(4).toString("hex")}`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + CA_DAYS * DAY),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
  // Key first, then the certificate, each written whole: a run never finds a certificate without its key.
  writeAtomically(join(dir, CA_KEY_FILE), keyPem, 0o600);
  writeAtomically(join(dir, CA_CERT_FILE), cert.toString("pem") + "\n", 0o644);
  return { cert, key: keys.privateKey };
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode });
    chmodSync(temporary, mode);
    renameSync(temporary, file);
  } catch (err) {
    throw new UsageError(`--cert-dir: can't write ${file} (${(err as NodeJS.ErrnoException).code}); pick a writable folder`);
  }
}

/** A positive random serial number, as RFC 5280 asks (at most 20 octets, high bit clear). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}
