// `npm run local-tenant -- --https` as a user runs it: the CA and the NODE_EXTRA_CA_CERTS line it
// prints, verify over https without that CA trusted (the hint) and with it, and verify's Management
// API path against it.
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { projectRoot } from "../src/project-root";
import { runVerify, startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";
import { fetchTrusting } from "./helpers/tenant-browser";
import { cli, type Run } from "./helpers/cli-bundles";

const dir = mkdtempSync(join(tmpdir(), "local-tenant-cli-"));
const certDir = join(dir, "certs");
const CLIENT = ["--client-id", "local-test-client", "--client-secret", "local-test-secret"];
const PASSWORD = { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: "local-password" };
const MGMT = ["--mgmt-client-id", "local-management-client", "--mgmt-client-secret", "local-management-secret"];
const trusted = () => ({ ...PASSWORD, NODE_EXTRA_CA_CERTS: join(certDir, "ca.pem") });
const report = (stdout: string) => JSON.parse(stdout.trim().split("\n").pop() as string);

// The tenant, then, side by side, the processes the tests read: three verify runs and a second
// tenant started on the same --cert-dir.
let tenant: TenantProcess;
let caBefore: string;
let untrusted: Run;
let withCa: Run;
let viaMgmt: Run;
let again: TenantProcess;
beforeAll(async () => {
  tenant = await startTenantProcess(
    "--https",
    "--cert-dir",
    certDir,
    "--callbacks",
    "http://localhost:3000/auth/callback",
    "--logout-urls",
    "https://app.example/signed-out",
  );
  caBefore = readFileSync(join(certDir, "ca.pem"), "utf8");
  const login = ["--env", "dev", "--domain", tenant.url, ...CLIENT, "--grant", "password"];
  const api = ["--audience", "https://api.example.com", "--json"];
  [untrusted, withCa, viaMgmt, again] = await Promise.all([
    runVerify([...login, "--users", "samples/users.ndjson"], { ...PASSWORD, NODE_EXTRA_CA_CERTS: undefined }),
    runVerify([...login, "--users", "samples/users.ndjson", ...api], trusted()),
    runVerify([...login, ...MGMT, ...api], trusted()),
    startTenantProcess("--https", "--cert-dir", certDir),
  ]);
  again.child.kill();
});
afterAll(() => {
  tenant?.child.kill();
  again?.child.kill();
  rmSync(dir, { recursive: true, force: true });
});

test("--https serves https at 127.0.0.1 and prints the CA file and the exact NODE_EXTRA_CA_CERTS line", () => {
  expect(tenant.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
  expect(tenant.output).toContain(`local CA ${join(certDir, "ca.pem")} (created now)`);
  expect(tenant.output).toMatch(
    new RegExp(`^  NODE_EXTRA_CA_CERTS=${join(certDir, "ca.pem").replace(/[.]/g, "\\.")}$`, "m"),
  );
  expect(readFileSync(join(certDir, "ca.pem"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
});

test("verify over https without the CA trusted fails (exit 3) and names NODE_EXTRA_CA_CERTS", () => {
  expect(untrusted.status).toBe(3);
  expect(untrusted.stdout + untrusted.stderr).toContain("NODE_EXTRA_CA_CERTS");
});

test("verify over https with the CA trusted: MATCH (exit 0)", () => {
  expect(withCa.status).toBe(0);
  expect(report(withCa.stdout)).toMatchObject({ ok: true, subject: "auth0|alice" });
});

test("verify's Management API path (--mgmt-client-id/--mgmt-client-secret) reads the user from the local tenant: MATCH", () => {
  expect(viaMgmt.status).toBe(0);
  expect(report(viaMgmt.stdout)).toMatchObject({
    ok: true,
    expectedFrom: expect.stringMatching(/from the Management API$/),
  });
});

test("--callbacks adds an allowed callback URL; one not listed is refused", async () => {
  const secureFetch = fetchTrusting(join(certDir, "ca.pem"));
  const authorize = (redirectUri: string) =>
    secureFetch(
      `${tenant.url}authorize?${new URLSearchParams({ response_type: "code", client_id: "local-test-client", scope: "openid", redirect_uri: redirectUri }).toString()}`,
      { redirect: "manual" },
    );
  const listed = await authorize("http://localhost:3000/auth/callback");
  expect(listed.status).toBe(303);
  expect(listed.headers.get("location")).toMatch(/^\/u\/login\//);
  expect((await authorize("http://localhost:3000/elsewhere")).status).toBe(400);
});

test("--logout-urls adds an allowed logout URL (query string aside); one not listed is refused", async () => {
  const secureFetch = fetchTrusting(join(certDir, "ca.pem"));
  const logout = (returnTo: string) =>
    secureFetch(`${tenant.url}v2/logout?client_id=local-test-client&returnTo=${encodeURIComponent(returnTo)}`, {
      redirect: "manual",
    });
  const listed = await logout("https://app.example/signed-out?from=test");
  expect(listed.status).toBe(302);
  expect(listed.headers.get("location")).toBe("https://app.example/signed-out?from=test");
  expect((await logout("https://app.example/elsewhere")).status).toBe(400);
});

test("a second start with the same --cert-dir reuses the CA, so a trusted CA stays trusted", () => {
  expect(again.output).toContain(`local CA ${join(certDir, "ca.pem")} (reused)`);
  expect(readFileSync(join(certDir, "ca.pem"), "utf8")).toBe(caBefore);
});

test("--help lists --https and --cert-dir and exits 0", () => {
  const run = spawnSync(process.execPath, [...cli("src/cli/local-tenant.ts"), "--help"], {
    cwd: projectRoot(),
    encoding: "utf8",
  });
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^ {2}--https /m);
  expect(run.stdout).toMatch(/^ {2}--cert-dir DIR /m);
});

test("--https says what the CA vouches for and until when", () => {
  const until = new Date(new X509Certificate(caBefore).validTo).toISOString().slice(0, 10);
  expect(tenant.output).toContain(
    `It vouches for 127.0.0.1, localhost and ::1 only, until ${until}; a week before, a new CA replaces it`,
  );
});
