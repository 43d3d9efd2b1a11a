// verify against the local tenant over https without its CA trusted: an authentication failure
// (exit 3) whose message says how to trust a private CA. Needs issue 8's NODE_EXTRA_CA_CERTS hint in verify.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runVerify, startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";

const dir = mkdtempSync(join(tmpdir(), "local-tenant-https-verify-"));
let tenant: TenantProcess;

beforeAll(async () => {
  tenant = await startTenantProcess("--https", "--cert-dir", dir);
});
afterAll(() => {
  tenant?.child.kill();
  rmSync(dir, { recursive: true, force: true });
});

test("verify over https without the CA trusted fails (exit 3) and names NODE_EXTRA_CA_CERTS", async () => {
  const args = ["--env", "dev", "--domain", tenant.url, "--client-id", "local-test-client", "--client-secret", "local-test-secret", "--users", "samples/users.ndjson", "--grant", "password"];
  const run = await runVerify(args, { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: "local-password", NODE_EXTRA_CA_CERTS: undefined });
  expect(run.status).toBe(3);
  expect(run.stdout + run.stderr).toContain("NODE_EXTRA_CA_CERTS");
});
