// The post-login api as Auth0 runs it (docs/post-login-api.md), each part through the sandbox as every
// tool runs it: metadata writes seen by the later actions of the login and reported for persisting,
// scopes, redirects that pause a login and resume at onContinuePostLogin with real signed tokens,
// MFA recorded, the trigger's cache, transaction metadata and outbound calls to allowed origins only;
// and each misused as an action might, getting Auth0's error or a clear one.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac } from "node:crypto";
import { compileClaims, NAMESPACE } from "./helpers/claims-action";
import { type ActionSpec, loadInSandbox, loginOnce, useSandbox } from "./helpers/sandbox";
import { compileFlow } from "../src/flow/compile";
import type { FlowAsDeployed } from "../src/flow/model";
import { NAMESPACE_SECRET } from "../src/compile/claims-action";

const NS = "https://example.com";
const { sandbox } = useSandbox();
const action = (name: string, body: string, extra: Partial<ActionSpec> = {}): ActionSpec => ({
  name,
  code: `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};`,
  ...extra,
});
const claims = (): ActionSpec => ({
  name: "claims",
  code: compileClaims(["roles"], ["id", "access"]).code,
  secrets: { [NAMESPACE_SECRET]: NAMESPACE },
});
async function flowLogin(
  actions: ActionSpec[],
  user: Record<string, unknown>,
  context?: Parameters<Awaited<ReturnType<typeof loadInSandbox>>["login"]>[1],
) {
  const flow = await loadInSandbox(actions);
  try {
    return await flow.login(user, context);
  } finally {
    await flow.close();
  }
}

describe("metadata writes", () => {
  const writer = () =>
    action("default-role", `if (!event.user.app_metadata.roles) api.user.setAppMetadata("roles", ["viewer"]);`);

  test("a later action of the same login sees the write; the outcome reports it for persisting", async () => {
    const out = await flowLogin([writer(), claims()], { user_id: "auth0|new", app_metadata: {} });
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer"] });
    expect(out.effects?.metadata).toEqual({ app_metadata: { roles: ["viewer"] } });
    const existing = await flowLogin([writer(), claims()], {
      user_id: "auth0|old",
      app_metadata: { roles: ["admin"] },
    });
    expect(existing.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"] });
    expect(existing.effects).toBeUndefined();
  });

  test("a key is replaced whole (no deep merge), null removes it, undefined takes back a pending write; user_metadata alike", async () => {
    const body = `api.user.setAppMetadata("prefs", { b: 2 }); api.user.setAppMetadata("gone", null); api.user.setAppMetadata("tmp", "x"); api.user.setAppMetadata("tmp", undefined); api.user.setUserMetadata("theme", "dark");`;
    const seen = action(
      "reader",
      `api.idToken.setCustomClaim("${NS}/seen", [event.user.app_metadata, event.user.user_metadata]);`,
    );
    const out = await flowLogin([action("writer", body), seen], {
      user_id: "u",
      app_metadata: { prefs: { a: 1 }, gone: true, kept: 1 },
      user_metadata: {},
    });
    expect(out.idToken).toEqual({ [`${NS}/seen`]: [{ prefs: { b: 2 }, kept: 1 }, { theme: "dark" }] });
    expect(out.effects?.metadata).toEqual({
      app_metadata: { prefs: { b: 2 }, gone: null },
      user_metadata: { theme: "dark" },
    });
  });

  test("the writes of a denied login are reported too (Auth0 persists them)", async () => {
    const out = await flowLogin(
      [action("writer", `api.user.setAppMetadata("last_denied", true); api.access.deny("no");`)],
      { user_id: "u" },
    );
    expect(out.denied).toBe("api.access.deny: no");
    expect(out.effects?.metadata).toEqual({ app_metadata: { last_denied: true } });
  });

  test.each([
    [
      "a reserved app_metadata field",
      `api.user.setAppMetadata("blocked", true)`,
      /app_metadata: "blocked" is a field Auth0 keeps for itself/,
    ],
    ["a name with a dot", `api.user.setUserMetadata("a.b", 1)`, /refuses field names with "\." or "\$"/],
    [
      "a value JSON can't hold",
      `api.user.setAppMetadata("f", () => 1)`,
      /app_metadata\.f: the value is function, which JSON can't store/,
    ],
    [
      "a cycle",
      `const a = []; a.push(a); api.user.setAppMetadata("c", a)`,
      /app_metadata\.c: the value can't be stored as JSON/,
    ],
  ])("%s throws in the action, naming it (an uncaught throw fails the login)", async (_what, call, reason) => {
    const out = await loginOnce(action("misuse", `${call};`), { user_id: "u" });
    expect(out.denied).toMatch(reason);
  });

  test("writes over Auth0's 32 kB per login fail it, naming the field and the size", async () => {
    const out = await loginOnce(action("big", `api.user.setAppMetadata("blob", "x".repeat(33000));`), { user_id: "u" });
    expect(out.denied).toMatch(
      /^the login's app_metadata writes are 330\d\d bytes, over Auth0's 32768-byte limit per login/,
    );
  });
});

describe("scopes", () => {
  test("addScope and removeScope change the access token's scope, from the requested scopes", async () => {
    const out = await loginOnce(
      action(
        "scopes",
        `api.accessToken.addScope("read:reports"); api.accessToken.removeScope("email"); api.accessToken.addScope("write:reports"); api.accessToken.removeScope("write:reports");`,
      ),
      { user_id: "u" },
      { requestedScopes: ["openid", "email", "offline_access"] },
    );
    expect(out.effects?.scope).toEqual(["openid", "offline_access", "read:reports"]);
  });

  test("an invalid scope throws", async () => {
    expect((await loginOnce(action("bad", `api.accessToken.addScope("two words");`), { user_id: "u" })).denied).toMatch(
      /invalid scope "two words"/,
    );
  });
});

describe("redirects", () => {
  const SECRET = "a-shared-secret-with-the-site";
  const redirecting = action(
    "consent",
    `api.redirect.sendUserTo("https://consent.example/ask", { query: { session_token: api.redirect.encodeToken({ secret: "${SECRET}", payload: { ask: "terms" } }) } });`,
    {},
  );
  const withContinue: ActionSpec = {
    ...redirecting,
    code:
      redirecting.code +
      `\nexports.onContinuePostLogin = async (event, api) => { const payload = api.redirect.validateToken({ secret: "${SECRET}" }); api.idToken.setCustomClaim("${NS}/consent", payload.accepted); api.user.setAppMetadata("consented", payload.accepted); };`,
  };
  const after = action(
    "after",
    `api.idToken.setCustomClaim("${NS}/after", event.user.app_metadata.consented ?? "unset");`,
  );
  const before = action("before", `api.idToken.setCustomClaim("${NS}/before", 1);`);

  /** A token as the consent site would send back: HS256 with the shared secret, carrying the state. */
  function siteToken(state: string, claims: Record<string, unknown> = {}, secret = SECRET): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const body = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: "auth0|u", iss: "consent.example", exp: Math.floor(Date.now() / 1000) + 60, state, accepted: true, ...claims })}`;
    return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
  }

  test("sendUserTo pauses the login after its action: the URL with the query and Auth0's state, the actions after it not run", async () => {
    const out = await flowLogin([before, withContinue, after], { user_id: "auth0|u" });
    expect(out.denied).toBeNull();
    const redirect = out.effects!.redirect!;
    expect(redirect).toMatchObject({
      action: "consent",
      step: 1,
      notRun: ["after"],
      state: expect.stringMatching(/^[\w-]{32}$/),
    });
    const url = new URL(redirect.url);
    expect(url.origin + url.pathname).toBe("https://consent.example/ask");
    expect(url.searchParams.get("state")).toBe(redirect.state);
    // encodeToken: HS256 with the secret, sub, iss, ip, exp 900 s after iat, and the payload.
    const [h, b, sig] = url.searchParams.get("session_token")!.split(".");
    expect(createHmac("sha256", SECRET).update(`${h}.${b}`).digest("base64url")).toBe(sig);
    const claims = JSON.parse(Buffer.from(b, "base64url").toString());
    expect(claims).toMatchObject({ sub: "auth0|u", iss: "localhost", ip: "127.0.0.1", ask: "terms" });
    expect(claims.exp - claims.iat).toBe(900);
  });

  test("resumed at /continue: onContinuePostLogin validates the site's token, then the later actions run on the written metadata", async () => {
    const flow = await loadInSandbox([before, withContinue, after]);
    try {
      const paused = await flow.login({ user_id: "auth0|u" });
      const state = paused.effects!.redirect!.state;
      const done = await flow.resume(
        state,
        { user_id: "auth0|u" },
        { query: { state, session_token: siteToken(state) }, body: {} },
      );
      expect(done).toMatchObject({
        denied: null,
        idToken: { [`${NS}/before`]: 1, [`${NS}/consent`]: true, [`${NS}/after`]: true },
      });
      expect(done!.effects?.metadata).toEqual({ app_metadata: { consented: true } });
      expect(done!.effects?.redirect).toBeUndefined();
      // A state is used once.
      expect(await flow.resume(state, { user_id: "auth0|u" }, { query: { state }, body: {} })).toBeUndefined();
      expect(await flow.resume("made-up", { user_id: "auth0|u" }, { query: {}, body: {} })).toBeUndefined();
    } finally {
      await flow.close();
    }
  });

  test.each([
    ["signed with another secret", (state: string) => siteToken(state, {}, "another"), /signature does not match/],
    ["for another redirect's state", () => siteToken("another-state"), /its state is not the state of this redirect/],
    ["expired", (state: string) => siteToken(state, { exp: 1 }), /it has expired/],
    ["missing", () => undefined, /carried no "session_token" parameter/],
  ])("a token %s fails the login at /continue", async (_what, token, reason) => {
    const flow = await loadInSandbox([withContinue, after]);
    try {
      const state = (await flow.login({ user_id: "auth0|u" })).effects!.redirect!.state;
      const t = token(state);
      const done = await flow.resume(
        state,
        { user_id: "auth0|u" },
        { query: t === undefined ? {} : { session_token: t }, body: {} },
      );
      expect(done?.denied).toMatch(reason);
    } finally {
      await flow.close();
    }
  });

  test("a password or refresh-token login can't be redirected: interaction_required, as Auth0", async () => {
    for (const protocol of ["oauth2-resource-owner", "oauth2-refresh-token"]) {
      const out = await flowLogin([withContinue, after], { user_id: "u" }, { protocol });
      expect(out.denied).toMatch(
        new RegExp(
          `^consent: interaction_required: the action redirects \\(api\\.redirect\\.sendUserTo\\), which a ${protocol} login can't do`,
        ),
      );
    }
  });

  test("a bad URL throws in the action; an action without onContinuePostLogin fails at /continue", async () => {
    expect(
      (await loginOnce(action("bad", `api.redirect.sendUserTo("javascript:alert(1)");`), { user_id: "u" })).denied,
    ).toMatch(/is not an http\(s\) URL/);
    expect((await loginOnce(action("bad", `api.redirect.sendUserTo("/relative");`), { user_id: "u" })).denied).toMatch(
      /is not an absolute URL/,
    );
    const flow = await loadInSandbox([redirecting]);
    const state = (await flow.login({ user_id: "u" })).effects!.redirect!.state;
    expect((await flow.resume(state, { user_id: "u" }, { query: {}, body: {} }))?.denied).toMatch(
      /exports no onContinuePostLogin/,
    );
    await flow.close();
  });
});

describe("MFA, authentication and the rest", () => {
  test("MFA requests are recorded as outcomes, not passed silently", async () => {
    const out = await loginOnce(
      action("mfa", `api.multifactor.enable("any"); api.authentication.challengeWith({ type: "otp" });`),
      { user_id: "u" },
    );
    expect(out.effects?.challenges).toEqual([
      'MFA required: api.multifactor.enable("any")',
      'MFA required: api.authentication.challengeWith({"type":"otp"})',
    ]);
  });

  test("transaction metadata set by an action is in the later actions' event.transaction.metadata", async () => {
    const out = await flowLogin(
      [
        action("set", `api.transaction.setMetadata("risk", 3);`),
        action("get", `api.idToken.setCustomClaim("${NS}/risk", event.transaction.metadata.risk);`),
      ],
      { user_id: "u" },
    );
    expect(out.idToken).toEqual({ [`${NS}/risk`]: 3 });
  });
});

describe("the cache", () => {
  test("kept across logins and shared by the actions of the trigger, with Auth0's return shapes", async () => {
    const counter = action(
      "count",
      `const n = Number(api.cache.get("n")?.value ?? 0) + 1; const r = api.cache.set("n", String(n)); api.idToken.setCustomClaim("${NS}/n", [n, r.type, typeof r.record.expires_at]);`,
    );
    const reader = action("read", `api.idToken.setCustomClaim("${NS}/seen", api.cache.get("n").value);`);
    const flow = await loadInSandbox([counter, reader]);
    try {
      expect((await flow.login({ user_id: "a" })).idToken).toEqual({
        [`${NS}/n`]: [1, "success", "number"],
        [`${NS}/seen`]: "1",
      });
      expect((await flow.login({ user_id: "b" })).idToken).toEqual({
        [`${NS}/n`]: [2, "success", "number"],
        [`${NS}/seen`]: "2",
      });
    } finally {
      await flow.close();
    }
  });

  test("its limits answer Auth0's error codes; a value that is not a string throws", async () => {
    const body = `
      const out = [];
      out.push(api.cache.set("k".repeat(65), "v").code);
      out.push(api.cache.set("big", "x".repeat(4097)).code);
      out.push(api.cache.set("past", "v", { expires_at: Date.now() - 1 }).code);
      for (let i = 0; i < 20; i++) api.cache.set("k" + i, "v");
      out.push(api.cache.set("k20", "v").code);
      out.push(api.cache.delete("nope").code);
      out.push(api.cache.get("k1").expires_at - Date.now() <= 15 * 60000);
      api.idToken.setCustomClaim("${NS}/codes", out);
      api.cache.set("n", 1);`;
    const out = await loginOnce(action("limits", body), { user_id: "u" });
    expect(out.denied).toMatch(/api\.cache\.set: the value must be a string, got number/);
    const codes = await loginOnce(action("limits", body.replace(`api.cache.set("n", 1);`, "")), { user_id: "u" });
    expect(codes.idToken).toEqual({
      [`${NS}/codes`]: [
        "CacheKeySizeExceeded",
        "CacheValueSizeExceeded",
        "ItemAlreadyExpired",
        "CacheSizeExceeded",
        "CacheKeyDoesNotExist",
        true,
      ],
    });
  });
});

describe("outbound calls", () => {
  let mock: Server;
  let origin: string;
  const seen: string[] = [];
  /** Told when the connection of a call to /slow closes (the caller gave up). */
  const slowClosed: (() => void)[] = [];
  beforeAll(async () => {
    mock = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ""}`);
      if (request.url === "/slow") {
        request.socket.once("close", () => slowClosed.forEach((resolve) => resolve()));
        return; // never answers
      }
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ roles: ["from-api"] }));
    });
    await new Promise<void>((resolve) => mock.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(mock.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => mock.close(resolve)));

  test("denied by default, naming the URL; each call recorded with its method, URL and status", async () => {
    const out = await loginOnce(
      action(
        "call",
        `try { await fetch("${origin}/roles"); } catch (e) { api.idToken.setCustomClaim("${NS}/error", e.message); }`,
      ),
      { user_id: "u" },
    );
    expect(out.idToken).toEqual({
      [`${NS}/error`]: `fetch ${origin}/roles: the local sandbox makes no network calls (allow an origin with --allow-fetch)`,
    });
    expect(out.effects?.calls).toEqual([{ method: "GET", url: `${origin}/roles`, status: "refused" }]);
    expect(seen).toEqual([]);
  });

  test("an allowed origin is reached, with the secret the action sends; another origin is still refused", async () => {
    const body = `
      const answer = await fetch("${origin}/roles", { headers: { authorization: "Bearer " + event.secrets.API_KEY } });
      api.idToken.setCustomClaim("${NS}/api", (await answer.json()).roles);
      await fetch("http://127.0.0.1:1/other").catch(() => undefined);`;
    const out = await loginOnce(action("call", body, { allowFetch: [origin], secrets: { API_KEY: "key-123" } }), {
      user_id: "u",
    });
    expect(out.idToken).toEqual({ [`${NS}/api`]: ["from-api"] });
    expect(out.effects?.calls).toEqual([
      { method: "GET", url: `${origin}/roles`, status: 200 },
      { method: "GET", url: "http://127.0.0.1:1/other", status: "refused" },
    ]);
    expect(seen).toContain("GET /roles Bearer key-123");
  });

  test("a call that never answers is bounded by the login's time limit", async () => {
    const out = await loginOnce(
      action("call", `await fetch("${origin}/slow");`, { allowFetch: [origin], timeoutMs: 300 }),
      { user_id: "u" },
    );
    expect(out.denied).toMatch(/did not finish within 300 ms|TimeoutError|aborted/);
  });

  test("a flow compiled as every tool compiles it: the flow's time limit also ends a call left hanging", async () => {
    const flow: FlowAsDeployed = {
      trigger: "post-login",
      mode: "exclusive",
      entries: [
        {
          kind: "action",
          displayName: "call",
          action: {
            name: "call",
            source: "call.js",
            code: `exports.onExecutePostLogin = async () => { await fetch("${origin}/slow"); };`,
            dependencies: [],
            secrets: [],
          },
        },
      ],
      retired: [],
    };
    const closed = new Promise<void>((resolve) => slowClosed.push(resolve));
    const loaded = await sandbox().load(compileFlow(flow, { runtime: { timeoutMs: 300, allowFetch: [origin] } }));
    try {
      expect((await loaded.login({ user_id: "u" })).denied).toMatch(
        /did not finish within 300 ms|TimeoutError|aborted/,
      );
      // Aborted at the flow's limit, not left open for the runtime's 20 s default: 10 s tells the two apart on any machine.
      const left = new Promise<string>((resolve) => setTimeout(() => resolve("still open after 10 s"), 10_000).unref());
      expect(await Promise.race([closed.then(() => "closed"), left])).toBe("closed");
    } finally {
      await loaded.close();
    }
  });
});
