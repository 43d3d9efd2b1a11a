// The https certificates of the local tenant: a local CA kept in a folder (reused across runs, so a
// CA someone chose to trust stays trusted) and a leaf for 127.0.0.1 and localhost made at each start.
// The CA can vouch for loopback names only (critical name constraints) and for 30 days, so a copy of
// its key can't impersonate any real site, and not for long.
import "reflect-metadata"; // @peculiar/x509 resolves its parsers through tsyringe, which needs it
import { createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import { escapeControl, UsageError } from "../errors";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;
/**
 * How long a CA lasts: what a copy of its key is worth to someone who took it. Long enough that a
 * CA imported into a browser is imported again once a month at most; NODE_EXTRA_CA_CERTS names the
 * file, so Node picks up a new CA by itself.
 */
const CA_DAYS = 30;
/** A CA closer than this to its end is replaced, so a run never starts with a CA about to expire. */
const CA_MIN_REMAINING_DAYS = 7;
/** A leaf is made at each start; never valid past its CA. */
const LEAF_DAYS = 7;

/**
 * The CA's NameConstraints (RFC 5280 4.2.1.10), DER: permitted subtrees dNSName localhost (and its
 * subdomains), iPAddress 127.0.0.0/8 and ::1/128. @peculiar/x509 has no class that writes it.
 */
const NAME_CONSTRAINTS_OID = "2.5.29.30";
const LOOPBACK_NAME_CONSTRAINTS = der(
  0x30, // NameConstraints
  der(
    0xa0, // permittedSubtrees [0]
    der(0x30, der(0x82, Buffer.from("localhost", "ascii"))), // GeneralSubtree { dNSName [2] }
    der(0x30, der(0x87, Buffer.from([127, 0, 0, 0, 255, 0, 0, 0]))), // { iPAddress [7]: address, mask }
    der(0x30, der(0x87, Buffer.concat([Buffer.alloc(15), Buffer.from([1]), Buffer.alloc(16, 0xff)]))),
  ),
);

export const CA_CERT_FILE = "ca.pem";
export const CA_KEY_FILE = "ca-key.pem";
/** The CA with Node's root CAs: for SSL_CERT_FILE, which Go (the auth0 provider, Terraform) reads in place of the system's. */
export const CA_BUNDLE_FILE = "ca-bundle.pem";

export interface TenantCertificates {
  /** Absolute path of the CA certificate to trust (NODE_EXTRA_CA_CERTS). */
  readonly caFile: string;
  /** Whether the CA was made by this run (false: reused from the folder). */
  readonly caCreated: boolean;
  /** When the CA ends; a run within CA_MIN_REMAINING_DAYS of it makes a new one. */
  readonly caExpires: Date;
  /** Absolute path of the CA with Node's root CAs (SSL_CERT_FILE), so Terraform still reaches its registry. */
  readonly bundleFile: string;
  /** PEM of the server's key and certificate chain (leaf, then CA), for https.createServer. */
  readonly key: string;
  readonly cert: string;
}

/** Loads the CA from `dir` (or makes one there) and issues a fresh leaf for 127.0.0.1 and localhost. */
export async function tenantCertificates(dir: string): Promise<TenantCertificates> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new UsageError(
      "ERR_CERT_DIR",
      `--cert-dir: can't create ${dir} (${(err as NodeJS.ErrnoException).code}); pick a writable folder`,
    );
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
    notAfter: new Date(Math.min(now + LEAF_DAYS * DAY, ca.cert.notAfter.getTime())),
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
  const caPem = ca.cert.toString("pem") + "\n";
  // Written each start: the CA may be new, and Node's roots are the ones this Node trusts.
  writeAtomically(join(dir, CA_BUNDLE_FILE), [caPem, ...rootCertificates.map((root) => root + "\n")].join(""), 0o644);
  return {
    caFile: join(dir, CA_CERT_FILE),
    caCreated: existing === undefined,
    caExpires: ca.cert.notAfter,
    bundleFile: join(dir, CA_BUNDLE_FILE),
    key: x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", leafKeys.privateKey), "PRIVATE KEY"),
    cert: leaf.toString("pem") + "\n" + ca.cert.toString("pem") + "\n",
  };
}

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
}

/**
 * The CA in `dir` if both files are there, parse, belong together, carry today's limits (name
 * constraints, a short life) and stay valid long enough; UsageError if its key is open to others.
 */
async function loadCa(dir: string): Promise<Ca | undefined> {
  const keyFile = join(dir, CA_KEY_FILE);
  let certPem: string;
  let keyPem: string;
  try {
    certPem = readFileSync(join(dir, CA_CERT_FILE), "utf8");
    keyPem = readFileSync(keyFile, "utf8");
  } catch {
    return undefined;
  }
  let ca: Ca;
  try {
    const cert = new x509.X509Certificate(certPem);
    const now = Date.now();
    if (cert.notAfter.getTime() < now + CA_MIN_REMAINING_DAYS * DAY || cert.notBefore.getTime() > now) return undefined;
    // A CA made before these limits (no name constraints, ten years) is replaced, not trusted on.
    const constraints = cert.getExtension(NAME_CONSTRAINTS_OID);
    if (!constraints?.critical || !Buffer.from(constraints.value).equals(LOOPBACK_NAME_CONSTRAINTS)) return undefined;
    if (cert.notAfter.getTime() - cert.notBefore.getTime() > (CA_DAYS + 1) * DAY) return undefined;
    const publicOfKey = createPublicKey(createPrivateKey(keyPem)).export({ type: "spki", format: "der" });
    if (!Buffer.from(cert.publicKey.rawData).equals(publicOfKey)) return undefined;
    ca = {
      cert,
      key: await webcrypto.subtle.importKey("pkcs8", x509.PemConverter.decodeFirst(keyPem), ALGORITHM, false, ["sign"]),
    };
  } catch {
    return undefined; // unreadable or foreign files: replaced by a new CA
  }
  // Refused, not repaired: whoever could read the key may have copied it, and a chmod now would
  // hide that. The user decides: chmod 600 if no one else uses the machine, or a new CA.
  const mode = statSync(keyFile).mode & 0o777;
  if (mode & 0o077) {
    const file = escapeControl(keyFile);
    throw new UsageError(
      "ERR_CERT_DIR",
      `--cert-dir: ${file} has mode 0${mode.toString(8)}, open to group or others, and anyone who read it can issue certificates your processes trust: chmod 600 ${file}, or delete it for a new CA`,
    );
  }
  return ca;
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
      // Critical: a verifier that can't enforce the constraints must refuse the CA, not ignore them.
      new x509.Extension(NAME_CONSTRAINTS_OID, true, LOOPBACK_NAME_CONSTRAINTS),
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
    throw new UsageError(
      "ERR_CERT_DIR",
      `--cert-dir: can't write ${file} (${(err as NodeJS.ErrnoException).code}); pick a writable folder`,
    );
  }
}

/** A positive random serial number, as RFC 5280 asks (at most 20 octets, high bit clear). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/** A DER element with a short-form length (every element here is under 128 bytes). */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents);
  if (body.length > 127) throw new Error("der: long-form lengths are not needed here");
  return Buffer.concat([Buffer.from([tag, body.length]), body]);
}
