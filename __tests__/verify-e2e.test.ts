// End to end over loopback against the local tenant: the code flow driven by a scripted browser, the
// password grant, and the ways a verification must fail. verify runs in-process (one worker for the
// file) except in the first case, which runs `npm run verify` as a real process.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loginThroughBrowser } from "./helpers/browser";
import type { Run } from "./helpers/cli-bundles";
import { freePort, startTenant, stopTenants, verify as verifyProcess } from "./helpers/verify-process";
import { reportOf, VerifyRunner } from "./helpers/verify-runner";

const dir = mkdtempSync(join(tmpdir(), "claims-verify-"));
const NS = "https://dev.example.com/claims";
const API = "https://api.example.com";
const CLIENT = ["--client-id", "local-test-client", "--client-secret", "local-test-secret"];
const password = (username: string) => ({ AUTH0_VERIFY_USERNAME: username, AUTH0_VERIFY_PASSWORD: "local-password" });

let tenant: string;
let runner: VerifyRunner;
beforeAll(async () => {
  runner = new VerifyRunner();
  tenant = await startTenant();
});
afterAll(() => {
  runner.close();
  stopTenants();
  rmSync(dir, { recursive: true, force: true });
});

/** verify in the worker; `onUrl` gets the authorize URL when verify prints it (code flow). */
function verify(args: string[], env: Record<string, string> = {}, onUrl?: (url: string) => void): Promise<Run> {
  let seen = false;
  const watch = (text: string) => {
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(text)?.[1];
    if (url && !seen && onUrl) {
      seen = true;
      onUrl(url);
    }
  };
  return runner
    .run(args, { AUTH0_CLIENT_ID: "", ...env }, watch)
    .then((r) => ({ status: r.exit, stdout: r.stdout, stderr: r.stderr }));
}

const base = () => ["--env", "dev", "--domain", tenant, ...CLIENT, "--users", "samples/users.ndjson", "--json"];

describe("against the local tenant", () => {
  test("npm run verify, password grant with --audience: every token's claims match the preview of the user's app_metadata (exit 0)", async () => {
    const run = await verifyProcess(
      [...base(), "--grant", "password", "--audience", API],
      password("alice@example.com"),
    );
    expect(run.status).toBe(0);
    const out = reportOf(run);
    expect(out).toMatchObject({
      ok: true,
      verdict: "MATCH",
      exit: 0,
      subject: "auth0|alice",
      flow: "password grant",
      error: null,
      notChecked: [],
    });
    expect(out.claims.idToken.found).toEqual({
      [`${NS}/roles`]: ["admin", "editor"],
      [`${NS}/permissions`]: ["read:reports", "write:reports"],
    });
    expect(out.claims.userinfo.found).toEqual(out.claims.idToken.found);
    expect(out.claims.accessToken).toMatchObject({ checked: true, ok: true, found: out.claims.idToken.found });
    expect(out.checks.map((c: { name: string }) => c.name)).toEqual([
      "discovery",
      "ID token",
      "/userinfo",
      "access token",
      "subject",
    ]);
    expect(out.tokens.id_token).toMatch(/^\[redacted\] \(\d+ chars; --show-tokens prints it\)$/);
  });

  test("without --audience, dev's access-token claims are reported NOT CHECKED, a partial match (exit 4)", async () => {
    const run = await verify([...base(), "--grant", "password"], password("alice@example.com"));
    expect(run.status).toBe(4);
    const out = reportOf(run);
    expect(out).toMatchObject({ ok: false, verdict: "PARTIAL", exit: 4, error: null });
    expect(out.claims.accessToken).toMatchObject({ checked: false, skipped: expect.stringMatching(/^no --audience/) });
    expect(out.notChecked.map((n: { name: string }) => n.name)).toEqual(["accessToken"]);
  });

  test("with an API audience the JWT access token is checked too", async () => {
    const run = await verify([...base(), "--grant", "password", "--audience", API], password("erin@example.com"));
    expect(run.status).toBe(0);
    const out = reportOf(run);
    expect(out.claims.accessToken).toMatchObject({ ok: true, found: { [`${NS}/roles`]: ["viewer"] } });
    expect(out.checks.map((c: { name: string }) => c.name)).toContain("access token");
  });

  test("the authorization code flow, driven by a scripted browser: PKCE, state, nonce, prompt=login (exit 0)", async () => {
    const port = await freePort();
    let login: Promise<unknown> = Promise.resolve();
    const run = await verify(
      [...base(), "--audience", API, "--redirect-uri", `http://127.0.0.1:${port}/callback`, "--timeout", "30"],
      {},
      (url) => {
        const params = new URL(url).searchParams;
        expect(params.get("prompt")).toBe("login");
        expect(params.get("code_challenge_method")).toBe("S256");
        expect(params.get("state")).toBeTruthy();
        expect(params.get("nonce")).toBeTruthy();
        login = loginThroughBrowser(url, "carol@example.com", "local-password", `http://127.0.0.1:${port}`).then(
          ({ callback }) => fetch(callback),
        );
      },
    );
    await login;
    expect(run.status).toBe(0);
    const out = reportOf(run);
    expect(out).toMatchObject({ ok: true, subject: "auth0|carol", flow: "authorization code with PKCE, prompt=login" });
    expect(out.checks.map((c: { name: string }) => c.name)).toEqual([
      "discovery",
      "ID token",
      "nonce",
      "/userinfo",
      "access token",
      "subject",
    ]);
    expect(out.claims.idToken.found).toEqual({ [`${NS}/permissions`]: "read:reports" });
  });

  test("a callback whose state was changed is rejected (exit 3)", async () => {
    const port = await freePort();
    let login: Promise<unknown> = Promise.resolve();
    const run = await verify(
      [...base(), "--redirect-uri", `http://127.0.0.1:${port}/callback`, "--timeout", "30"],
      {},
      (url) => {
        login = loginThroughBrowser(url, "alice@example.com", "local-password", `http://127.0.0.1:${port}`).then(
          ({ callback }) => {
            callback.searchParams.set("state", "forged-state");
            return fetch(callback);
          },
        );
      },
    );
    await login;
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toMatch(/^the login was refused: .*state/);
  });

  test("a claim the user should have but doesn't get is a mismatch (exit 1)", async () => {
    const expect1 = join(dir, "expect.json");
    writeFileSync(
      expect1,
      JSON.stringify({
        idToken: {
          [`${NS}/roles`]: ["admin", "editor"],
          [`${NS}/permissions`]: ["read:reports", "write:reports"],
          [`${NS}/plan`]: "pro",
        },
      }),
    );
    const args = base().filter((a) => a !== "--users" && a !== "samples/users.ndjson");
    const run = await verify([...args, "--expect", expect1, "--grant", "password"], password("alice@example.com"));
    expect(run.status).toBe(1);
    const out = reportOf(run);
    expect(out.claims.idToken.missing).toEqual([`${NS}/plan`]);
    expect(out.claims.idToken.ok).toBe(false);
    expect(out.hint).toMatch(/claims differ from the expectation/);
  });

  test("app_metadata that changed since the tenant computed the claims is a mismatch (exit 1)", async () => {
    const users = join(dir, "users.ndjson");
    writeFileSync(
      users,
      JSON.stringify({
        user_id: "auth0|alice",
        app_metadata: { roles: ["admin"], permissions: ["read:reports", "write:reports"] },
      }) + "\n",
    );
    const args = base().map((a) => (a === "samples/users.ndjson" ? users : a));
    const run = await verify([...args, "--grant", "password"], password("alice@example.com"));
    expect(run.status).toBe(1);
    expect(reportOf(run).claims.idToken.different).toEqual([`${NS}/roles`]);
  });

  test("no claims at all under the expected namespace says what to check (exit 1)", async () => {
    const run = await verify(
      [...base(), "--namespace", "https://other.example/claims", "--grant", "password"],
      password("alice@example.com"),
    );
    expect(run.status).toBe(1);
    expect(reportOf(run).hint).toMatch(
      /^no custom claims at all under https:\/\/other\.example\/claims: is the action bound to post-login/,
    );
  });

  test("human output: each check, each claim, and the verdict", async () => {
    const run = await verify(
      base()
        .filter((a) => a !== "--json")
        .concat(["--grant", "password", "--audience", API]),
      password("alice@example.com"),
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(
      /^ {2}ok {2}ID token {6}signature \(JWKS, kid local-tenant\), issuer http:\/\/127\.0\.0\.1:\d+\/, audience local-test-client, expiry$/m,
    );
    expect(run.stdout).toMatch(
      /^ {2}ID token {6}https:\/\/dev\.example\.com\/claims\/roles +ok \["admin","editor"\]$/m,
    );
    expect(run.stdout).toMatch(/^MATCH \(exit 0\)$/m);
    expect(run.stdout).not.toMatch(/eyJ[\w-]{20,}\.[\w-]{20,}/);
  });

  test("--show-tokens prints the tokens; the local /userinfo, like Auth0's, refuses an ID token as bearer", async () => {
    const run = await verify(
      [...base(), "--grant", "password", "--show-tokens", "--audience", "https://api.example.com"],
      password("alice@example.com"),
    );
    const { id_token, access_token } = reportOf(run).tokens;
    expect(id_token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const asBearer = (token: string) => fetch(`${tenant}userinfo`, { headers: { authorization: `Bearer ${token}` } });
    expect((await asBearer(access_token)).status).toBe(200);
    expect((await asBearer(id_token)).status).toBe(401);
  });

  test("a wrong password is an authentication failure (exit 3)", async () => {
    const run = await verify([...base(), "--grant", "password"], {
      AUTH0_VERIFY_USERNAME: "alice@example.com",
      AUTH0_VERIFY_PASSWORD: "nope",
    });
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toMatch(/^the password grant was refused: invalid_grant: Wrong email or password\./);
  });

  test("a wrong client secret is an authentication failure that says which setting to check (exit 3)", async () => {
    const args = base().map((arg) => (arg === "local-test-secret" ? "not-the-secret" : arg));
    const run = await verify([...args, "--grant", "password"], password("alice@example.com"));
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toBe(
      "the password grant was refused: invalid_client: client authentication failed; check --client-id and --client-secret (or AUTH0_VERIFY_CLIENT_ID, AUTH0_VERIFY_CLIENT_SECRET): the login application's, Applications > your app > Settings",
    );
  });
});

describe("a login the action denies", () => {
  let denying: string;
  beforeAll(async () => {
    const code = join(dir, "deny.js");
    writeFileSync(
      code,
      'exports.onExecutePostLogin = async (event, api) => { if (!event.user.email_verified) api.access.deny("verify your email first"); };\n',
    );
    denying = await startTenant("--code", code);
  });

  test("the password grant gets access_denied (exit 3)", async () => {
    const run = await verify(
      [
        "--env",
        "dev",
        "--domain",
        denying,
        ...CLIENT,
        "--users",
        "samples/users.ndjson",
        "--json",
        "--grant",
        "password",
      ],
      password("carol@example.com"),
    );
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toBe(
      "the password grant was refused: access_denied: api.access.deny: verify your email first; an action or rule denied the login (see the tenant's logs)",
    );
  });

  test("the code flow comes back to the callback with error=access_denied, which the callback page shows (exit 3)", async () => {
    const port = await freePort();
    let page = "";
    let login: Promise<unknown> = Promise.resolve();
    const run = await verify(
      [
        "--env",
        "dev",
        "--domain",
        denying,
        ...CLIENT,
        "--users",
        "samples/users.ndjson",
        "--json",
        "--redirect-uri",
        `http://127.0.0.1:${port}/callback`,
        "--timeout",
        "30",
      ],
      {},
      (url) => {
        login = loginThroughBrowser(url, "carol@example.com", "local-password", `http://127.0.0.1:${port}`).then(
          async ({ callback }) => {
            expect(callback.searchParams.get("error")).toBe("access_denied");
            page = await (await fetch(callback)).text();
          },
        );
      },
    );
    await login;
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toMatch(/access_denied/);
    // The browser shows the refusal, not "Login received".
    expect(page).toContain(
      "The tenant refused the login: <strong>access_denied: api.access.deny: verify your email first</strong>",
    );
    expect(page).not.toContain("Login received");
  });
});

describe("a tenant that can't be reached", () => {
  test("a tenant that is down is a network failure with what to check (exit 3)", async () => {
    const port = await freePort();
    const run = await verify(
      [
        "--env",
        "dev",
        "--domain",
        `http://127.0.0.1:${port}`,
        ...CLIENT,
        "--users",
        "samples/users.ndjson",
        "--json",
        "--grant",
        "password",
      ],
      password("alice@example.com"),
    );
    expect(run.status).toBe(3);
    expect(reportOf(run).error).toMatch(
      new RegExp(
        `^GET http://127\\.0\\.0\\.1:${port}/\\.well-known/openid-configuration: .*ECONNREFUSED.*; check --domain and that the tenant is up$`,
      ),
    );
  });

  test("the report says which tenant it tried: the --domain given, since discovery named no issuer", async () => {
    const port = await freePort();
    const run = await verify(
      [
        "--env",
        "dev",
        "--domain",
        `http://127.0.0.1:${port}`,
        ...CLIENT,
        "--users",
        "samples/users.ndjson",
        "--grant",
        "password",
      ],
      password("alice@example.com"),
    );
    expect(run.status).toBe(3);
    expect(run.stdout.split("\n")[0]).toBe(
      `verify dev against http://127.0.0.1:${port}/ (--domain; discovery gave no issuer)`,
    );
  });
});

describe("usage errors (exit 2)", () => {
  test.each([
    [
      "no --env",
      ["--domain", "x.auth0.com", ...CLIENT, "--users", "samples/users.ndjson"],
      {},
      /^verify: --env: missing/,
    ],
    [
      "no client id",
      ["--env", "dev", "--domain", "x.auth0.com", "--users", "samples/users.ndjson"],
      {},
      /^verify: --client-id: missing; give --client-id or set AUTH0_VERIFY_CLIENT_ID/,
    ],
    [
      "Terraform's own application",
      ["--env", "dev", "--domain", "x.auth0.com", ...CLIENT, "--users", "samples/users.ndjson"],
      { AUTH0_CLIENT_ID: "local-test-client" },
      /is AUTH0_CLIENT_ID, Terraform's machine-to-machine application/,
    ],
    [
      "password grant without credentials",
      ["--env", "dev", "--domain", "x.auth0.com", ...CLIENT, "--users", "samples/users.ndjson", "--grant", "password"],
      {},
      /set AUTH0_VERIFY_USERNAME and AUTH0_VERIFY_PASSWORD/,
    ],
    [
      "no source of expected claims",
      ["--env", "dev", "--domain", "x.auth0.com", ...CLIENT],
      {},
      /^verify: no expected claims: give --expect FILE/,
    ],
    [
      "an unknown grant",
      ["--env", "dev", "--domain", "x.auth0.com", ...CLIENT, "--users", "samples/users.ndjson", "--grant", "implicit"],
      {},
      /--grant: "implicit" is not a grant/,
    ],
    [
      "http for a real tenant",
      ["--env", "dev", "--domain", "http://tenant.example.com", ...CLIENT, "--users", "samples/users.ndjson"],
      {},
      /only a local tenant on 127\.0\.0\.1 may/,
    ],
    [
      "a time-out Node can't keep",
      ["--env", "dev", "--domain", "x.auth0.com", ...CLIENT, "--users", "samples/users.ndjson", "--timeout", "3000000"],
      {},
      /--timeout: "3000000" is not a number of seconds from 1 to 2147483/,
    ],
  ] as const)("%s", async (_what, args, env, message) => {
    const run = await verify([...args], env);
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toMatch(message);
  });
});
