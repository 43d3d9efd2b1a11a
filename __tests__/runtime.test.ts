// The local post-login runtime on small hand-written actions whose Auth0 outcome is known, each
// run in the sandbox worker as every tool runs it.
import { ActionLoadError } from "../src/errors";
import type { PostLoginRuntimeOptions } from "../src/runtime/post-login-runtime";
import type { ExportedUser } from "../src/runtime/types";
import { useSandbox } from "./helpers/sandbox";

const NS = "https://example.com";
const alice = {
  user_id: "auth0|alice",
  email: "alice@example.com",
  app_metadata: { roles: ["admin"] },
  user_metadata: { theme: "dark" },
};
const box = useSandbox();

function run(body: string, options: Partial<PostLoginRuntimeOptions> = {}, user: ExportedUser = alice) {
  const code = `exports.onExecutePostLogin = async (event, api) => {\n${body}\n};\n`;
  return box.once({ code, ...options }, user);
}

describe("claims Auth0 keeps or drops", () => {
  test("a namespaced claim on the ID token is in the ID token and in /userinfo", async () => {
    const out = await run(`api.idToken.setCustomClaim("${NS}/roles", event.user.app_metadata.roles);`);
    expect(out).toMatchObject({
      denied: null,
      idToken: { [`${NS}/roles`]: ["admin"] },
      userinfo: { [`${NS}/roles`]: ["admin"] },
      accessToken: {},
      dropped: [],
    });
  });

  test("an access-token claim is not in /userinfo", async () => {
    const out = await run(`api.accessToken.setCustomClaim("${NS}/roles", ["a"]);`);
    expect(out).toMatchObject({ idToken: {}, userinfo: {}, accessToken: { [`${NS}/roles`]: ["a"] } });
  });

  test.each(["roles", "permissions", "sub", "iss", "aud", "nonce", "groups", "x5t#S256"])(
    "the restricted name %j is dropped and reported, and the login continues",
    async (name) => {
      const out = await run(
        `api.idToken.setCustomClaim(${JSON.stringify(name)}, ["x"]); api.idToken.setCustomClaim("${NS}/ok", 1);`,
      );
      expect(out.denied).toBeNull();
      expect(out.idToken).toEqual({ [`${NS}/ok`]: 1 });
      expect(out.dropped).toEqual([
        { token: "id", claim: name, reason: expect.stringMatching(/restricted claim name; use a namespaced name/) },
      ]);
    },
  );

  test.each(["https://tenant.auth0.com/roles", "https://auth0.com/x", "http://x.webtask.io/y", "urn:auth0:roles"])(
    "a claim under Auth0's own namespace %j is dropped",
    async (name) => {
      const out = await run(`api.accessToken.setCustomClaim(${JSON.stringify(name)}, 1);`);
      expect(out.accessToken).toEqual({});
      expect(out.dropped).toEqual([
        { token: "access", claim: name, reason: expect.stringMatching(/reserved by Auth0/) },
      ]);
    },
  );

  test("a non-namespaced private claim is kept, except on an access token for an Auth0 API", async () => {
    const body = `api.idToken.setCustomClaim("tier", "gold"); api.accessToken.setCustomClaim("tier", "gold");`;
    const custom = await run(body, { audience: "https://api.example.com" });
    expect(custom).toMatchObject({ idToken: { tier: "gold" }, accessToken: { tier: "gold" }, dropped: [] });
    const management = await run(body, { audience: "https://tenant.eu.auth0.com/api/v2/" });
    expect(management.idToken).toEqual({ tier: "gold" });
    expect(management.accessToken).toEqual({});
    expect(management.dropped).toEqual([
      { token: "access", claim: "tier", reason: expect.stringMatching(/Auth0 API/) },
    ]);
  });

  test.each([
    ["undefined", "undefined", /value is undefined, not JSON/],
    ["a function", "() => 1", /value is a function, not JSON/],
    ["a cycle", "(() => { const a = []; a.push(a); return a; })()", /value is cyclic/],
    ["a BigInt", "10n", /value holds a bigint/],
  ])("a value that is %s is dropped and reported", async (_what, value, reason) => {
    const out = await run(`api.idToken.setCustomClaim("${NS}/v", ${value});`);
    expect(out.idToken).toEqual({});
    expect(out.dropped).toEqual([{ token: "id", claim: `${NS}/v`, reason: expect.stringMatching(reason) }]);
  });

  test("nested values are sent as JSON.stringify sends them: functions left out, NaN as null", async () => {
    const out = await run(`api.idToken.setCustomClaim("${NS}/v", { a: [NaN, Infinity], f: () => 1, d: new Date(0) });`);
    expect(out.idToken).toEqual({ [`${NS}/v`]: { a: [null, null], d: "1970-01-01T00:00:00.000Z" } });
    expect(out.dropped).toEqual([]);
  });

  test("an action declaring a name the runtime passes in still loads", async () => {
    const code = `const Buffer = require("buffer").Buffer;\nexports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("${NS}/b", Buffer.from("hi").toString("hex")); };`;
    const out = await box.once({ code }, alice);
    expect(out.idToken).toEqual({ [`${NS}/b`]: "6869" });
  });

  test("concurrent logins don't mix their claims", async () => {
    const runtime = await box.load({
      code: `exports.onExecutePostLogin = async (event, api) => { await new Promise((r) => setTimeout(r, 5)); api.idToken.setCustomClaim("${NS}/u", event.user.user_id); };`,
    });
    const outs = await Promise.all(["a", "b", "c"].map((user_id) => runtime.login({ user_id })));
    expect(outs.map((o) => o.idToken[`${NS}/u`])).toEqual(["a", "b", "c"]);
  });

  test("setting a claim twice keeps the last value", async () => {
    const out = await run(`api.idToken.setCustomClaim("${NS}/v", 1); api.idToken.setCustomClaim("${NS}/v", 2);`);
    expect(out.idToken).toEqual({ [`${NS}/v`]: 2 });
  });
});

describe("logins Auth0 denies", () => {
  test("custom claims over 100 KB on one token deny the login", async () => {
    const out = await run(
      `api.idToken.setCustomClaim("${NS}/a", "x".repeat(60000)); api.idToken.setCustomClaim("${NS}/b", "y".repeat(60000));`,
    );
    expect(out.denied).toMatch(/^the ID token's custom claims are 1200\d\d bytes, over Auth0's 102400-byte limit/);
    expect(out).toMatchObject({ idToken: {}, accessToken: {}, userinfo: {} });
  });

  test("exactly 100 KB is allowed", async () => {
    const fill = 102400 - JSON.stringify({ [`${NS}/a`]: "" }).length;
    const out = await run(`api.idToken.setCustomClaim("${NS}/a", "x".repeat(${fill}));`);
    expect(out.denied).toBeNull();
  });

  test("one byte over 100 KB denies the login", async () => {
    const fill = 102401 - JSON.stringify({ [`${NS}/a`]: "" }).length;
    const out = await run(`api.idToken.setCustomClaim("${NS}/a", "x".repeat(${fill}));`);
    expect(out.denied).toBe(
      "the ID token's custom claims are 102401 bytes, over Auth0's 102400-byte limit; Auth0 fails the login",
    );
  });

  test("a thrown error denies the login, and claims set before it are not issued", async () => {
    const out = await run(`api.idToken.setCustomClaim("${NS}/a", 1); throw new Error("db down");`);
    expect(out.denied).toBe("the action threw Error: db down; Auth0 fails the login");
    expect(out.idToken).toEqual({});
  });

  test("a rejected promise denies the login", async () => {
    const out = await run(`await new Promise((_, reject) => setTimeout(() => reject(new TypeError("late")), 5));`);
    expect(out.denied).toBe("the action threw TypeError: late; Auth0 fails the login");
  });

  test("api.access.deny denies the login with its reason, even though the code goes on", async () => {
    const out = await run(
      `api.access.deny("not in this org"); api.idToken.setCustomClaim("${NS}/a", 1); console.log("after deny");`,
    );
    expect(out.denied).toBe("api.access.deny: not in this org");
    expect(out.logs).toEqual(["after deny"]);
  });

  test("a handler that never settles is denied after the time limit (shortened here to 50 ms)", async () => {
    const started = Date.now();
    const out = await run(`await new Promise(() => {});`, { timeoutMs: 50 });
    expect(out.denied).toBe("the flow did not finish within 50 ms; Auth0 fails the login");
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  test("a slow but finishing handler is not denied", async () => {
    const out = await run(`await new Promise((r) => setTimeout(r, 20)); api.idToken.setCustomClaim("${NS}/a", 1);`, {
      timeoutMs: 1000,
    });
    expect(out).toMatchObject({ denied: null, idToken: { [`${NS}/a`]: 1 } });
  });

  test("require of an undeclared module inside the handler denies the login", async () => {
    const out = await run(`require("lodash");`);
    expect(out.denied).toMatch(
      /^the action threw Error: Cannot find module 'lodash': it is not declared in the action's dependencies/,
    );
  });

  test("node's own modules and declared dependencies can be required", async () => {
    const out = await run(
      `const { createHash } = require("crypto"); const fc = require("fast-check"); api.idToken.setCustomClaim("${NS}/h", createHash("sha256").update("a").digest("hex").slice(0, 8) + typeof fc.assert);`,
      {
        dependencies: ["fast-check"],
      },
    );
    expect(out).toMatchObject({ denied: null, idToken: { [`${NS}/h`]: "ca978112function" } });
  });
});

describe("loading", () => {
  test("code over 100 kB is refused as Auth0 refuses it", async () => {
    await expect(
      box.load({ code: `exports.onExecutePostLogin = async () => {}; // ${"x".repeat(100_000)}` }),
    ).rejects.toThrow(ActionLoadError);
  });

  test("a top-level require of an undeclared module fails the load", async () => {
    await expect(
      box.load({ code: `const _ = require("lodash"); exports.onExecutePostLogin = async () => {};` }),
    ).rejects.toThrow(/^action failed to load: Error: Cannot find module 'lodash'/);
  });

  test("code without onExecutePostLogin is refused with the fix", async () => {
    await expect(box.load({ code: `exports.onContinuePostLogin = async () => {};` })).rejects.toThrow(
      /does not export onExecutePostLogin/,
    );
  });

  test("the code is isolated: it can't see the host's globals", async () => {
    const out = await run(
      `api.idToken.setCustomClaim("${NS}/g", [typeof process.exit, typeof globalThis.jest, typeof globalThis.process.env.PATH]);`,
    );
    expect(out.idToken).toEqual({ [`${NS}/g`]: ["undefined", "undefined", "undefined"] });
  });
});

describe("the event", () => {
  test("has the post-login v3 shape: user with both metadata, secrets, client, request, transaction", async () => {
    const out = await run(
      `api.idToken.setCustomClaim("${NS}/e", { user: event.user.user_id, md: event.user.user_metadata, secret: event.secrets.S, client: event.client.client_id, ip: event.request.ip, protocol: event.transaction.protocol, scopes: event.transaction.requested_scopes });`,
      { secrets: { S: "v" }, client: { client_id: "cid", name: "App" } },
    );
    expect(out.idToken[`${NS}/e`]).toEqual({
      user: "auth0|alice",
      md: { theme: "dark" },
      secret: "v",
      client: "cid",
      ip: "127.0.0.1",
      protocol: "oidc-basic-profile",
      scopes: ["openid", "profile", "email"],
    });
  });

  test("missing metadata arrives as {}", async () => {
    const out = await run(
      `api.idToken.setCustomClaim("${NS}/e", [event.user.app_metadata, event.user.user_metadata]);`,
      {},
      { user_id: "u" },
    );
    expect(out.idToken).toEqual({ [`${NS}/e`]: [{}, {}] });
  });

  test("secrets are read-only", async () => {
    const out = await run(`"use strict"; event.secrets.S = "changed";`, { secrets: { S: "v" } });
    expect(out.denied).toMatch(/Cannot assign to read only property 'S'/);
  });

  test("console output is captured per login", async () => {
    const out = await run(`console.log("user %s", event.user.user_id); console.error({ a: 1 });`);
    expect(out.logs).toEqual(["user auth0|alice", "{ a: 1 }"]);
  });
});

describe("robustness", () => {
  test("a user_id that can't be turned into text fails neither this login nor the next", async () => {
    const runtime = await box.load({
      code: `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("${NS}/a", 1); };`,
    });
    const odd = await runtime.login({ user_id: { toString: 0 } as unknown as string });
    expect(odd.denied).toBeNull();
    expect(odd.user_id).toBe('{"toString":0}');
    const next = await runtime.login({ user_id: "auth0|ok" });
    expect(next).toMatchObject({ user_id: "auth0|ok", denied: null, idToken: { [`${NS}/a`]: 1 } });
  });

  test("a claim set by a timer the action left behind lands in its own login, never in the next user's", async () => {
    const code = `exports.onExecutePostLogin = async (event, api) => {
      if (event.user.user_id === "slow") await new Promise((r) => setTimeout(r, 20));
      setTimeout(() => api.idToken.setCustomClaim("${NS}/owner", event.user.user_id), 0);
    };`;
    const runtime = await box.load({ code });
    await runtime.login({ user_id: "fast" });
    expect((await runtime.login({ user_id: "slow" })).idToken).toEqual({});
  });

  test("a login that timed out and denies late does not deny the next user", async () => {
    // "late" times out at 100 ms and denies at 160 ms, while the next login runs (100 to 180 ms).
    const code = `exports.onExecutePostLogin = async (event, api) => {
      if (event.user.user_id === "late") { await new Promise((r) => setTimeout(r, 160)); api.access.deny("no"); }
      else await new Promise((r) => setTimeout(r, 80));
    };`;
    const runtime = await box.load({ code, timeoutMs: 100 });
    expect((await runtime.login({ user_id: "late" })).denied).toBe(
      "the flow did not finish within 100 ms; Auth0 fails the login",
    );
    expect((await runtime.login({ user_id: "next" })).denied).toBeNull();
  });

  test("console lines of a timer go to the login that set it: its own while it runs, never a later user's", async () => {
    const code = `exports.onExecutePostLogin = async (event, api) => {
      await new Promise((r) => setTimeout(() => { console.log("waited " + event.user.user_id); r(); }, 1));
      if (event.user.user_id === "slow") await new Promise((r) => setTimeout(r, 20));
      setTimeout(() => console.log("late " + event.user.user_id), 0);
    };`;
    const runtime = await box.load({ code });
    expect((await runtime.login({ user_id: "fast" })).logs).toEqual(["waited fast"]);
    expect((await runtime.login({ user_id: "slow" })).logs).toEqual(["waited slow"]);
  });

  test("console lines of a login that timed out never reach the next user's logs", async () => {
    const code = `exports.onExecutePostLogin = async (event, api) => {
      if (event.user.user_id === "late") { await new Promise((r) => setTimeout(r, 160)); console.log("late line"); }
      else await new Promise((r) => setTimeout(r, 80));
    };`;
    const runtime = await box.load({ code, timeoutMs: 100 });
    expect((await runtime.login({ user_id: "late" })).logs).toEqual([]);
    expect((await runtime.login({ user_id: "next" })).logs).toEqual([]);
  });

  test("require('process') gives the action the same stub as its global process: it can't end the tool", async () => {
    const out = await run(
      `api.idToken.setCustomClaim("${NS}/exit", [typeof require("process").exit, typeof require("node:process").exit, typeof process.exit]);`,
    );
    expect(out.idToken).toEqual({ [`${NS}/exit`]: ["undefined", "undefined", "undefined"] });
  });

  test("a fetch or a rejection the action never awaits fails neither its login nor the next", async () => {
    const runtime = await box.load({
      code: `exports.onExecutePostLogin = async (event, api) => { fetch("https://example.com/"); Promise.reject(new Error("ignored")); api.idToken.setCustomClaim("${NS}/a", 1); };`,
    });
    expect((await runtime.login({ user_id: "first" })).denied).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(await runtime.login({ user_id: "next" })).toMatchObject({ denied: null, idToken: { [`${NS}/a`]: 1 } });
  });

  test("a thrown value whose message getter throws is still a denied login", async () => {
    const out = await run(`throw { get message() { throw new Error("boom"); } };`);
    expect(out.denied).toBe("the action threw a value that can't be printed; Auth0 fails the login");
  });

  test.each([0, -1, 1.5, 2 ** 31])(
    "a time limit of %p ms is refused (Node fires longer timers at once)",
    async (timeoutMs) => {
      await expect(box.load({ code: "exports.onExecutePostLogin = async () => {};", timeoutMs })).rejects.toThrow(
        /^timeoutMs: .* is not a whole number of milliseconds between 1 and 2147483647$/,
      );
    },
  );
});
