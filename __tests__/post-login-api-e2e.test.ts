// The post-login api beyond claims, through every tool, with real processes over loopback: the
// enrichment-example flow (a default-role writer, the claims action, an action that calls an
// entitlements API with a secret token) in preview, compare, the local tenant (password and code
// flow, a second login, the Management API) and verify; the consent-example flow's redirect out to a
// terms page and back through /continue in headless Chromium, to MATCH; and what the local tenant
// does with a state it doesn't know and an MFA request.
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Testing } from "cdktf";
import type { Browser } from "puppeteer-core";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { exampleEnvironments } from "../src/environments";
import { launchChromium, loginThroughBrowser } from "./helpers/browser";
import type { Run } from "./helpers/cli-bundles";
import { runVerify, startTenantProcess, type TenantProcess, tokenAt } from "./helpers/local-tenant-process";
import { preview } from "./helpers/preview-in-process";
import { freePort, verify } from "./helpers/verify-process";
import { expectNoPartOf } from "./helpers/no-secret";
import { scratch, jsonLines, byId } from "./helpers/scratch";
import { reportOf } from "./helpers/verify-runner";
import { claimsOf } from "./helpers/tenant-driver-client";

const { dir, file } = scratch("post-login-e2e-");

const payload = (jwt: string): Record<string, any> => claimsOf(jwt);

const NS = "https://example.com/claims";
const API_TOKEN = "tok-9F3qX7LmZ2vB8nR4";
const CONSENT_SECRET = "cs-Wq4Hk81PzT6yNe3J";
const TERMS = "2026-12";
const PASSWORD = "local-password";
const CLIENT = ["--client-id", "local-test-client", "--client-secret", "local-test-secret"];
const MGMT = ["--mgmt-client-id", "local-management-client", "--mgmt-client-secret", "local-management-secret"];
const AUDIENCE = "https://api.example.com";
const USERS = [
  { user_id: "auth0|alice", email: "alice@example.com", app_metadata: { roles: ["admin"] } },
  { user_id: "auth0|bob", email: "bob@example.com" },
  { user_id: "auth0|carol", email: "carol@example.com", app_metadata: { roles: null } },
];

/** The entitlements API the example's third action calls: answers for a right bearer token only. */
let api: Server;
let apiOrigin: string;
const apiCalls: string[] = [];
/** The terms page of the consent example: shows a form that posts the acceptance back to /continue. */
let termsPage: Server;
let termsUrl: string;
let users: string;
let secrets: string;

function listen(handler: (req: IncomingMessage) => { status: number; type: string; body: string }): Promise<Server> {
  const server = createServer((req, res) => {
    const answer = handler(req);
    res.writeHead(answer.status, { "content-type": answer.type });
    res.end(answer.body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  api = await listen((req) => {
    apiCalls.push(`${req.method} ${req.url}`);
    const user = /^\/users\/([^/]+)\/entitlements$/.exec(req.url ?? "")?.[1];
    if (req.headers.authorization !== `Bearer ${API_TOKEN}` || user === undefined)
      return { status: 401, type: "application/json", body: "{}" };
    return {
      status: 200,
      type: "application/json",
      body: JSON.stringify({ entitlements: [`reports:read:${decodeURIComponent(user)}`] }),
    };
  });
  apiOrigin = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  // The page signs what it sends back (HS256) with the secret it shares with the action, as Auth0's docs show.
  const sign = (claims: object) => {
    const body = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
    return `${body}.${createHmac("sha256", CONSENT_SECRET).update(body).digest("base64url")}`;
  };
  termsPage = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const state = url.searchParams.get("state") ?? "";
    const asked = payload(url.searchParams.get("session_token") ?? "e30.e30.");
    const consent = sign({ state, accepted: asked.terms, sub: asked.sub, exp: Math.floor(Date.now() / 1000) + 300 });
    res.writeHead(200, { "content-type": "text/html" });
    res.end(
      `<!doctype html><title>terms</title><h1>Terms ${asked.terms} for ${asked.sub}</h1>` +
        `<form method="post" action="${continueUrl}?state=${encodeURIComponent(state)}"><input type="hidden" name="consent_token" value="${consent}"><button type="submit">I agree</button></form>`,
    );
  });
  await new Promise<void>((resolve) => termsPage.listen(0, "127.0.0.1", () => resolve()));
  termsUrl = `http://127.0.0.1:${(termsPage.address() as AddressInfo).port}/terms`;
  users = file("users.ndjson", USERS.map((u) => JSON.stringify(u)).join("\n") + "\n");
  secrets = file(
    "secrets.env",
    [
      `TF_VAR_entitlements_api_secret_entitlements_api_url=${apiOrigin}`,
      `TF_VAR_entitlements_api_secret_entitlements_api_token=${API_TOKEN}`,
      `TF_VAR_terms_consent_secret_consent_page_url=${termsUrl}`,
      `TF_VAR_terms_consent_secret_consent_secret=${CONSENT_SECRET}`,
    ].join("\n") + "\n",
  );
});
/** Where the terms page posts back: the consent tenant's /continue (set once it runs). */
let continueUrl = "";

afterAll(() => {
  api?.close();
  termsPage?.close();
});

const expectNoSecret = (output: string) => expectNoPartOf(output, [API_TOKEN, CONSENT_SECRET]);

describe("preview", () => {
  let allowed: Run;
  let refused: Run;
  beforeAll(async () => {
    [allowed, refused] = await Promise.all([
      preview(
        "--env",
        "enrichment-example",
        "--users",
        users,
        "--secrets-file",
        secrets,
        "--allow-fetch",
        apiOrigin,
        "--json",
      ),
      preview("--env", "enrichment-example", "--users", users, "--secrets-file", secrets, "--json"),
    ]);
  });

  test("a user without roles gets the default role on this login's tokens, and the write is reported; a user with roles writes nothing", () => {
    expect(allowed.status).toBe(0);
    const lines = byId(jsonLines(allowed.stdout));
    for (const id of ["auth0|bob", "auth0|carol"]) {
      expect(lines[id].metadata).toEqual({ app_metadata: { roles: ["viewer"] } });
      expect(lines[id].idToken[`${NS}/roles`]).toEqual(["viewer"]);
      expect(lines[id].accessToken[`${NS}/roles`]).toEqual(["viewer"]);
    }
    expect(lines["auth0|alice"].metadata).toBeUndefined();
    expect(lines["auth0|alice"].idToken[`${NS}/roles`]).toEqual(["admin"]);
  });

  test("--allow-fetch: the action reaches the API with the secret token; each call's method, URL and status is in the line", () => {
    const lines = byId(jsonLines(allowed.stdout));
    expect(lines["auth0|bob"].accessToken[`${NS}/entitlements`]).toEqual(["reports:read:auth0|bob"]);
    // The URL is a secret of the action: shown redacted.
    expect(lines["auth0|bob"].calls).toEqual([
      { method: "GET", url: "[redacted]/users/auth0%7Cbob/entitlements", status: 200 },
    ]);
    expect(apiCalls).toContain("GET /users/auth0%7Cbob/entitlements");
    expectNoSecret(allowed.stdout + allowed.stderr);
  });

  test("without --allow-fetch: the call is refused and recorded, the action logs why, the login still succeeds", () => {
    expect(refused.status).toBe(0);
    const bob = byId(jsonLines(refused.stdout))["auth0|bob"];
    expect(bob.denied).toBeNull();
    expect(bob.accessToken[`${NS}/entitlements`]).toBeUndefined();
    expect(bob.calls).toEqual([{ method: "GET", url: "[redacted]/users/auth0%7Cbob/entitlements", status: "refused" }]);
    expect(bob.logs).toEqual(["entitlements-api: the API could not be reached (TypeError); no entitlements claim"]);
  });

  test("a flow that uses api.cache runs on one worker: the same lines with --workers 3 as with 1", async () => {
    const counting = file(
      "counting.js",
      `exports.onExecutePostLogin = async (event, api) => {
  const seen = Number(api.cache.get("logins")?.value ?? "0") + 1;
  api.cache.set("logins", String(seen));
  api.idToken.setCustomClaim("${NS}/login_number", seen);
};
`,
    );
    const many = file(
      "many.ndjson.gz",
      gzipSync(
        Array.from({ length: 30000 }, (_, i) => JSON.stringify({ user_id: `auth0|${i}`, blob: "x".repeat(40) })).join(
          "\n",
        ) + "\n",
      ),
    );
    const [one, three] = await Promise.all([
      preview("--users", many, "--code", counting, "--json", "--workers", "1"),
      preview("--users", many, "--code", counting, "--json", "--workers", "3"),
    ]);
    expect(three.stdout).toBe(one.stdout);
    expect(
      jsonLines(one.stdout)
        .map((l) => l.idToken[`${NS}/login_number`])
        .slice(-2),
    ).toEqual([29999, 30000]);
    expect(three.stderr).toBe(
      "preview: the flow uses api.cache, which logins share in input order: it runs on one worker\n",
    );
  });
});

describe("module scope, as Node 22 actions have it", () => {
  // Module-level code runs once per instance; Auth0 reuses the instance across logins.
  const module = (claim: string) =>
    file(
      `module-${claim}.js`,
      `let logins = 0;
let table;
exports.onExecutePostLogin = async (event, api) => {
  logins++;
  table ??= Object.fromEntries(["a", "b", "c"].map((k, i) => [k, i]));
  api.idToken.setCustomClaim("${NS}/${claim}", ${claim === "memo" ? "table" : "logins"});
};
`,
    );
  const many = () =>
    file(
      "module-users.ndjson.gz",
      gzipSync(
        Array.from({ length: 30000 }, (_, i) => JSON.stringify({ user_id: `auth0|${i}`, blob: "x".repeat(40) })).join(
          "\n",
        ) + "\n",
      ),
    );

  test("state that lives across logins: one worker counts every login in input order", async () => {
    const run = await preview("--users", many(), "--code", module("count"), "--json", "--workers", "1");
    expect(jsonLines(run.stdout).map((l) => l.idToken[`${NS}/count`])).toEqual(
      Array.from({ length: 30000 }, (_, i) => i + 1),
    );
  });

  test("state that doesn't change a login's result (a memo): the same bytes with 1 and 3 workers", async () => {
    const users = many();
    const code = module("memo");
    const [one, three] = await Promise.all([
      preview("--users", users, "--code", code, "--json", "--workers", "1"),
      preview("--users", users, "--code", code, "--json", "--workers", "3"),
    ]);
    expect(one.status).toBe(0);
    expect(three.stdout).toBe(one.stdout);
    expect(three.stderr).toBe("");
  });
});

describe("compare: a base without the default-role writer", () => {
  let base: string;
  beforeAll(() => {
    // The example's stack as synthesized, less its first action: what main looked like before the writer.
    const stack = JSON.parse(
      Testing.synth(
        new ClaimsStack(
          Testing.app(),
          exampleEnvironments.find((e) => e.name === "enrichment-example")!,
        ),
      ),
    );
    const actions = stack.resource.auth0_action;
    const writer = Object.keys(actions).find((name) => actions[name].name === "default-role")!;
    delete actions[writer];
    const bindings = stack.resource.auth0_trigger_action;
    for (const name of Object.keys(bindings))
      if (JSON.stringify(bindings[name]).includes(`auth0_action.${writer}.`)) delete bindings[name];
    base = file("without-writer.tf.json", JSON.stringify(stack));
  });

  test("the users who gain the role, on each token and as a write, and nobody else", async () => {
    const run = await preview(
      "--env",
      "enrichment-example",
      "--users",
      users,
      "--secrets-file",
      secrets,
      "--compare",
      base,
      "--json",
    );
    expect(run.status).toBe(0);
    const lines = byId(jsonLines(run.stdout));
    expect(Object.keys(lines).sort()).toEqual(["auth0|bob", "auth0|carol"]);
    expect(lines["auth0|bob"].effects).toEqual({ app_metadata: { roles: { before: null, after: ["viewer"] } } });
    expect(lines["auth0|bob"].idToken).toEqual({ [`${NS}/roles`]: { before: null, after: ["viewer"] } });
  });

  test("over a 20,000-user export (20 batches): the report counts and names the users who gain the role and the write", async () => {
    const kinds = [{ roles: ["admin"] }, {}, { roles: [] }, { roles: ["editor"], permissions: ["read"] }, undefined];
    const exported = Array.from({ length: 20_000 }, (_, i) => ({
      user_id: `auth0|${i}`,
      email: `u${i}@example.com`,
      ...(kinds[i % 5] && { app_metadata: kinds[i % 5] }),
    }));
    // Written for users with no roles or an empty list; on the tokens, the empty list becomes ["viewer"] (a change), no roles a gain.
    const writing = exported.filter((_, i) => i % 5 === 1 || i % 5 === 2 || i % 5 === 4).length;
    const gaining = exported.filter((_, i) => i % 5 === 1 || i % 5 === 4).length;
    const changing = writing - gaining;
    const path = file("export.ndjson.gz", gzipSync(exported.map((u) => JSON.stringify(u)).join("\n") + "\n"));
    const summary = join(dir, "summary.json");
    const run = await preview(
      "--env",
      "enrichment-example",
      "--users",
      path,
      "--secrets-file",
      secrets,
      "--compare",
      base,
      "--summary-json",
      summary,
    );
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^app_metadata write +roles +${writing} +0 +0$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^ID token +${NS}/roles +${gaining} +0 +${changing}$`, "m"));
    expect(run.stdout).toContain(
      '  app_metadata write roles gained:\n    auth0|1: (none) -> ["viewer"]\n    auth0|2: (none) -> ["viewer"]\n',
    );
    expect(run.stdout).toContain(`  ID token ${NS}/roles changed:\n    auth0|2: [] -> ["viewer"]\n`);
    expect(JSON.parse(readFileSync(summary, "utf8"))).toMatchObject({
      users: 20_000,
      changedUsers: writing,
      app_metadata: { roles: { gained: writing, lost: 0, changed: 0 } },
    });
  });
});

describe("the local tenant and verify", () => {
  let tenant: TenantProcess;
  beforeAll(async () => {
    tenant = await startTenantProcess(
      "--env",
      "enrichment-example",
      "--users",
      users,
      "--secrets-file",
      secrets,
      "--allow-fetch",
      apiOrigin,
    );
  });
  afterAll(() => tenant?.child.kill());

  const passwordLogin = (username: string) =>
    tokenAt(tenant.url, { grant_type: "password", username, password: PASSWORD, scope: "openid", audience: AUDIENCE });
  const userRecord = async (id: string) => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: "local-management-client",
      client_secret: "local-management-secret",
      audience: `${tenant.url}api/v2/`,
    });
    const { access_token } = (await (
      await fetch(new URL("oauth/token", tenant.url), { method: "POST", body: form })
    ).json()) as { access_token: string };
    const response = await fetch(new URL(`api/v2/users/${encodeURIComponent(id)}`, tenant.url), {
      headers: { authorization: `Bearer ${access_token}` },
    });
    return (await response.json()) as { app_metadata?: Record<string, unknown>; updated_at?: string };
  };

  test("password grant: the first login's tokens hold the default role and the API's entitlements; the record holds the role after it", async () => {
    expect((await userRecord("auth0|bob")).app_metadata).toEqual({});
    const first = await passwordLogin("bob@example.com");
    expect(first.status).toBe(200);
    expect(payload(first.body.id_token)[`${NS}/roles`]).toEqual(["viewer"]);
    expect(payload(first.body.access_token)).toMatchObject({
      [`${NS}/roles`]: ["viewer"],
      [`${NS}/entitlements`]: ["reports:read:auth0|bob"],
    });
    const record = await userRecord("auth0|bob");
    expect(record.app_metadata).toEqual({ roles: ["viewer"] });

    // The second login reads the role from the record: no write, so the record is not touched again.
    const second = await passwordLogin("bob@example.com");
    expect(payload(second.body.id_token)[`${NS}/roles`]).toEqual(["viewer"]);
    expect((await userRecord("auth0|bob")).updated_at).toBe(record.updated_at);
  });

  test("code flow: the same for carol, through the login form", async () => {
    const callbackOrigin = "http://127.0.0.1:9";
    const authorize = new URL("authorize", tenant.url);
    authorize.search = new URLSearchParams({
      client_id: "local-test-client",
      response_type: "code",
      redirect_uri: `${callbackOrigin}/callback`,
      scope: "openid",
      audience: AUDIENCE,
      state: "s",
    }).toString();
    const { callback } = await loginThroughBrowser(authorize.href, "carol@example.com", PASSWORD, callbackOrigin);
    const { body: tokens } = await tokenAt(tenant.url, {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code")!,
      redirect_uri: `${callbackOrigin}/callback`,
    });
    expect(payload(tokens.id_token)[`${NS}/roles`]).toEqual(["viewer"]);
    expect(payload(tokens.access_token)[`${NS}/entitlements`]).toEqual(["reports:read:auth0|carol"]);
    expect((await userRecord("auth0|carol")).app_metadata).toEqual({ roles: ["viewer"] });
  });

  test("verify with the Management API: MATCH on the whole flow's claims, the entitlements included; no secret printed", async () => {
    const run = await runVerify(
      [
        "--env",
        "enrichment-example",
        "--domain",
        tenant.url,
        ...CLIENT,
        ...MGMT,
        "--grant",
        "password",
        "--audience",
        AUDIENCE,
        "--secrets-file",
        secrets,
        "--allow-fetch",
        apiOrigin,
        "--json",
      ],
      { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: PASSWORD },
    );
    expect(run.status).toBe(0);
    const report = reportOf(run);
    expect(report).toMatchObject({
      verdict: "MATCH",
      claims: { accessToken: { expected: { [`${NS}/entitlements`]: ["reports:read:auth0|alice"] } } },
    });
    expectNoSecret(run.stdout + run.stderr);
  });

  test("/continue with a state no login waits for: invalid_request (400), in one line", async () => {
    const response = await fetch(new URL("continue?state=made-up", tenant.url), { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("invalid_request: no login waits with this state");
  });
});

describe("a redirect, in headless Chromium: out to the terms page and back through /continue", () => {
  let tenant: TenantProcess;
  let browser: Browser;
  beforeAll(async () => {
    [tenant, browser] = await Promise.all([
      startTenantProcess("--env", "consent-example", "--users", users, "--secrets-file", secrets),
      launchChromium(join(dir, "profile")),
    ]);
    continueUrl = new URL("continue", tenant.url).href;
  });
  afterAll(async () => {
    await browser?.close();
    tenant?.child.kill();
  });

  /** verify's code flow; Chromium logs in, and (when shown) agrees to the terms. Returns the run and the pages seen. */
  async function loginInChromium(
    expectFrom: string[] = MGMT,
    username = "alice@example.com",
  ): Promise<{ run: Run; pages: string[] }> {
    const port = await freePort();
    let pages: Promise<string[]> = Promise.resolve([]);
    const args = [
      "--env",
      "consent-example",
      "--domain",
      tenant.url,
      ...CLIENT,
      ...expectFrom,
      "--secrets-file",
      secrets,
      "--audience",
      AUDIENCE,
    ];
    const run = await verify(
      [...args, "--redirect-uri", `http://127.0.0.1:${port}/callback`, "--timeout", "30"],
      {},
      (url) => {
        pages = (async () => {
          const page = await browser.newPage();
          try {
            const seen: string[] = [];
            // Each submit ends, after a chain of redirects, on the terms page or verify's callback page.
            const submit = async () => {
              const from = new URL(page.url()).pathname;
              await page.click("button[type=submit]");
              const landed = `document.readyState === "complete" && location.pathname !== ${JSON.stringify(from)} && ["/terms", "/callback"].includes(location.pathname)`;
              await page.waitForFunction(landed, { timeout: 20_000 });
              seen.push(await page.$eval("body", (body) => body.textContent ?? ""));
            };
            await page.goto(url);
            await page.type("input[name=username]", username);
            await page.type("input[name=password]", PASSWORD);
            await submit();
            if (seen[0].startsWith("Terms")) await submit();
            return seen;
          } finally {
            await page.close();
          }
        })();
      },
    );
    return { run, pages: await pages };
  }

  test("the first login shows the terms, comes back through /continue and verify says MATCH; the acceptance is saved, so the second goes straight through", async () => {
    const first = await loginInChromium();
    expect(first.pages[0]).toBe(`Terms ${TERMS} for auth0|aliceI agree`);
    expect(first.pages[1]).toMatch(/^Login received\. You can close this window/);
    expect(first.run.stdout).toMatch(/^MATCH \(exit 0\)$/m);
    expect(first.run.status).toBe(0);

    const second = await loginInChromium();
    expect(second.pages).toEqual([expect.stringMatching(/^Login received\./)]);
    expect(second.run.status).toBe(0);
    expectNoSecret(first.run.stdout + first.run.stderr + second.run.stdout);
  });

  test("verify expecting from the users file, where bob has not accepted: exit 2, saying why the claims after /continue can't be computed", async () => {
    const { run, pages } = await loginInChromium(["--users", users], "bob@example.com");
    expect(pages[1]).toMatch(/^Login received\./);
    expect(run.status).toBe(2);
    expect(run.stdout).toMatch(
      /^FAILED \(exit 2\): the preview of consent-example's flow redirects auth0\|bob \(terms-consent\), so the claims after \/continue can't be computed from .*users\.ndjson; read the record after the login from the Management API/m,
    );
  });

  test("a password grant can't be redirected: the action leaves it alone, and verify expects the same (MATCH)", async () => {
    const run = await runVerify(
      [
        "--env",
        "consent-example",
        "--domain",
        tenant.url,
        ...CLIENT,
        "--users",
        users,
        "--secrets-file",
        secrets,
        "--grant",
        "password",
      ],
      {
        AUTH0_VERIFY_USERNAME: "carol@example.com",
        AUTH0_VERIFY_PASSWORD: PASSWORD,
      },
    );
    expect(run.stdout).toMatch(/^MATCH \(exit 0\)$/m);
  });
});

describe("scopes and the cache at the local tenant", () => {
  let tenant: TenantProcess;
  beforeAll(async () => {
    const code = file(
      "scope-cache.js",
      `exports.onExecutePostLogin = async (event, api) => {
  const n = Number(api.cache.get("logins")?.value ?? "0") + 1;
  api.cache.set("logins", String(n));
  api.idToken.setCustomClaim("${NS}/login_number", n);
  api.accessToken.addScope("read:reports");
  api.accessToken.removeScope("email");
};
`,
    );
    tenant = await startTenantProcess("--env", "dev", "--users", users, "--code", code);
  });
  afterAll(() => tenant?.child.kill());

  const login = async (audience?: string) =>
    (
      await tokenAt(tenant.url, {
        grant_type: "password",
        username: "alice@example.com",
        password: PASSWORD,
        scope: "openid profile email",
        ...(audience && { audience }),
      })
    ).body;

  test("an API's access token and the token response carry the scope the action left; the cache lives across logins", async () => {
    const first = await login(AUDIENCE);
    expect(payload(first.access_token).scope).toBe("openid profile read:reports");
    expect(first.scope).toBe("openid profile read:reports");
    expect(payload(first.id_token)[`${NS}/login_number`]).toBe(1);
    const second = await login();
    expect(payload(second.id_token)[`${NS}/login_number`]).toBe(2);
  });

  test("the code flow's access token too", async () => {
    const callbackOrigin = "http://127.0.0.1:9";
    const authorize = new URL("authorize", tenant.url);
    authorize.search = new URLSearchParams({
      client_id: "local-test-client",
      response_type: "code",
      redirect_uri: `${callbackOrigin}/callback`,
      scope: "openid profile email",
      audience: AUDIENCE,
    }).toString();
    const { callback } = await loginThroughBrowser(authorize.href, "alice@example.com", PASSWORD, callbackOrigin);
    const { body: tokens } = await tokenAt(tenant.url, {
      grant_type: "authorization_code",
      code: callback.searchParams.get("code")!,
      redirect_uri: `${callbackOrigin}/callback`,
    });
    expect(payload(tokens.access_token).scope).toBe("openid profile read:reports");
    expect(tokens.scope).toBe("openid profile read:reports");
  });
});

describe("MFA", () => {
  let tenant: TenantProcess;
  beforeAll(async () => {
    const mfa = file(
      "mfa.js",
      `exports.onExecutePostLogin = async (event, api) => { api.multifactor.enable("any"); };\n`,
    );
    tenant = await startTenantProcess("--env", "dev", "--users", users, "--code", mfa);
  });
  afterAll(() => tenant?.child.kill());

  test("a flow that asks for MFA: the local tenant fails the login and says it doesn't run MFA (password grant: mfa_required)", async () => {
    const response = await tokenAt(tenant.url, {
      grant_type: "password",
      username: "alice@example.com",
      password: PASSWORD,
      scope: "openid",
    });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({
      error: "mfa_required",
      error_description:
        'the local tenant does not run MFA or other authentication challenges, so it fails this login (MFA required: api.multifactor.enable("any")); preview shows the rest of the flow',
    });
  });
});
