// An action's secret in the local tenant's flow deployed at start and in verify's expected claims,
// as real processes over loopback: `--secrets-file FILE` or TF_VAR_<variable> give it to the action
// (the tenant's tokens carry the claim made with it; verify expects the claim made with its own), a
// missing value stops either with one line naming it, and no value reaches any output.
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import { runCli, type Run } from "./helpers/cli-bundles";
import { expectNoPartOf } from "./helpers/no-secret";
import { runVerify, startTenantProcessWith, type TenantProcess, tokenAt } from "./helpers/local-tenant-process";
import { claimsOf } from "./helpers/tenant-driver-client";
import { reportOf } from "./helpers/verify-runner";

const dir = mkdtempSync(join(tmpdir(), "flow-secrets-tenant-"));
const VARIABLE = "TF_VAR_support_user_hash_secret_user_hash_key";
const KEY = "k3y-From-The-Secrets-File-7f3c";
const OTHER_KEY = "Another-k3y-From-TF-VAR-91ab";
const CLAIM = "https://example.com/claims/user_hash";
const PASSWORD = "local-password";
const LOGIN = { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: PASSWORD };
const hash = (key: string) => createHmac("sha256", key).update("auth0|alice").digest("hex");
const expectNoKey = (output: string) => expectNoPartOf(output, [KEY, OTHER_KEY]);

const users = join(dir, "users.ndjson");
const secrets = join(dir, "secrets.env");
let fromFile: TenantProcess;
let fromVariable: TenantProcess;
beforeAll(async () => {
  writeFileSync(
    users,
    JSON.stringify({ user_id: "auth0|alice", email: "alice@example.com", app_metadata: { roles: ["admin"] } }) + "\n",
  );
  writeFileSync(secrets, `${VARIABLE}=${KEY}\n`);
  // Neither tenant may take a value from the test's own environment.
  [fromFile, fromVariable] = await Promise.all([
    startTenantProcessWith({ [VARIABLE]: "" }, "--env", "secrets-example", "--users", users, "--secrets-file", secrets),
    startTenantProcessWith({ [VARIABLE]: OTHER_KEY }, "--env", "secrets-example", "--users", users),
  ]);
});
afterAll(() => {
  fromFile?.child.kill();
  fromVariable?.child.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** alice's ID token claims from a password login at `tenant`. */
async function idTokenClaims(tenant: TenantProcess): Promise<Record<string, unknown>> {
  const { status, body } = await tokenAt(tenant.url, {
    grant_type: "password",
    username: "alice@example.com",
    password: PASSWORD,
    scope: "openid",
  });
  expect(status).toBe(200);
  return claimsOf(body.id_token);
}

describe("the local tenant's flow deployed at start", () => {
  test("--secrets-file: the token carries the claim the action made with the file's value", async () => {
    expect((await idTokenClaims(fromFile))[CLAIM]).toBe(hash(KEY));
  });

  test("TF_VAR_<variable>: the token carries the claim made with the variable's value", async () => {
    expect((await idTokenClaims(fromVariable))[CLAIM]).toBe(hash(OTHER_KEY));
  });

  test("the banner names the secret, never its value", () => {
    expect(fromFile.output).toMatch(
      /^ {2}post-login +app-metadata-claims -> support-user-hash \(namespace https:\/\/example\.com\/claims; secrets support-user-hash's USER_HASH_KEY; /m,
    );
    expectNoKey(fromFile.output + fromVariable.output);
  });

  test("no value: exit 2, one line naming the action, the secret and both ways to give it", async () => {
    const run = await runCli("src/cli/local-tenant.ts", ["--port", "0", "--env", "secrets-example", "--users", users], {
      cwd: projectRoot(),
      env: { ...process.env, [VARIABLE]: "" },
    });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `local-tenant: action "support-user-hash": secret "USER_HASH_KEY" has no value; set ${VARIABLE}, or give --secrets-file FILE with a line ${VARIABLE}=...\n`,
    );
  });
});

describe("verify's expected claims", () => {
  const login = (tenant: TenantProcess) => [
    "--env",
    "secrets-example",
    "--domain",
    tenant.url,
    "--client-id",
    "local-test-client",
    "--client-secret",
    "local-test-secret",
    "--users",
    users,
    "--grant",
    "password",
  ];
  let withFile: Run;
  let withVariable: Run;
  let otherKey: Run;
  let missing: Run;
  beforeAll(async () => {
    [withFile, withVariable, otherKey, missing] = await Promise.all([
      runVerify([...login(fromFile), "--secrets-file", secrets, "--json"], { ...LOGIN, [VARIABLE]: "" }),
      runVerify(login(fromFile), { ...LOGIN, [VARIABLE]: KEY }),
      runVerify([...login(fromVariable), "--secrets-file", secrets, "--json"], { ...LOGIN, [VARIABLE]: "" }),
      runVerify(login(fromFile), { ...LOGIN, [VARIABLE]: "" }),
    ]);
  });

  test("--secrets-file: the expectation is made with the file's value, and the tenant's tokens match it", () => {
    expect(withFile.status).toBe(0);
    expect(reportOf(withFile)).toMatchObject({
      verdict: "MATCH",
      claims: { idToken: { expected: { [CLAIM]: hash(KEY) } } },
    });
  });

  test("TF_VAR_<variable>: the same, the report for a person", () => {
    expect(withVariable.status).toBe(0);
    expect(withVariable.stdout).toMatch(/^MATCH/m);
  });

  test("a tenant deployed with another value: MISMATCH on the claim, the expectation made with verify's value", () => {
    expect(otherKey.status).toBe(1);
    expect(reportOf(otherKey)).toMatchObject({
      verdict: "MISMATCH",
      code: "ERR_CLAIMS_MISMATCH",
      claims: { idToken: { expected: { [CLAIM]: hash(KEY) }, found: { [CLAIM]: hash(OTHER_KEY) } } },
    });
  });

  test("no value: exit 2 before anyone logs in, one line naming the action, the secret and both ways", () => {
    expect(missing.status).toBe(2);
    expect(missing.stdout).toBe("");
    expect(missing.stderr.trim()).toBe(
      `verify: action "support-user-hash": secret "USER_HASH_KEY" has no value; set ${VARIABLE}, or give --secrets-file FILE with a line ${VARIABLE}=...`,
    );
  });

  test("no value reaches stdout or stderr, --json or not", () => {
    for (const run of [withFile, withVariable, otherKey, missing]) expectNoKey(run.stdout + run.stderr);
  });
});
