// An environment's whole post-login flow, run by the local tenant and checked by verify, as real
// processes over loopback: a blocked user's login is refused by the flow's first action, and an
// allowed user's tokens carry the claims of its second one.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import { cli, runCli } from "./helpers/cli-bundles";

const root = projectRoot();
const dir = mkdtempSync(join(tmpdir(), "claims-flow-"));
const users = join(dir, "users.ndjson");
const PASSWORD = "local-password";
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  writeFileSync(
    users,
    [
      { user_id: "auth0|blocked", email: "blocked@example.com", app_metadata: { blocked: true, roles: ["admin"] } },
      { user_id: "auth0|alice", email: "alice@example.com", app_metadata: { roles: ["admin"] } },
    ]
      .map((u) => JSON.stringify(u))
      .join("\n") + "\n",
  );
  child = spawn(
    process.execPath,
    [...cli("src/cli/local-tenant.ts"), "--port", "0", "--env", "flow-example", "--users", users],
    { cwd: root },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.on("exit", (code) => reject(new Error(`local tenant exited with ${code}: ${out}`)));
  });
});
afterAll(() => {
  child?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test("the local tenant refuses a blocked user's login with the first action's reason", async () => {
  const form = new URLSearchParams({
    grant_type: "password",
    username: "blocked@example.com",
    password: PASSWORD,
    scope: "openid",
    client_id: "local-test-client",
    client_secret: "local-test-secret",
  });
  const response = await fetch(new URL("oauth/token", url), {
    method: "POST",
    body: form,
    signal: AbortSignal.timeout(10_000),
  });
  expect(response.status).toBe(403);
  expect(await response.json()).toEqual({
    error: "access_denied",
    error_description: "deny-blocked-users: api.access.deny: This account is blocked. Contact your administrator.",
  });
});

test("verify logs in an allowed user and finds the claims the flow's second action sets", async () => {
  const { status, stdout } = await runCli(
    "src/cli/verify.ts",
    [
      "--env",
      "flow-example",
      "--domain",
      url,
      "--client-id",
      "local-test-client",
      "--client-secret",
      "local-test-secret",
      "--users",
      users,
      "--grant",
      "password",
      "--audience",
      "https://api.example.com",
      "--json",
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        AUTH0_CLIENT_ID: "",
        AUTH0_VERIFY_USERNAME: "alice@example.com",
        AUTH0_VERIFY_PASSWORD: PASSWORD,
      },
    },
  );
  expect({ status, last: stdout.trim().split("\n").pop() }).toMatchObject({ status: 0 });
  expect(stdout).toContain("https://example.com/claims/roles");
});
