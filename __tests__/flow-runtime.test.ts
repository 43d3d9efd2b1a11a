// The whole post-login flow run locally as Auth0 runs it, on real compiled actions: order, a deny
// stopping the flow, claims of every action merged, one time limit; and the deny-blocked-users action.
import { buildSync } from "esbuild";
import { compileActionSource } from "../src/compile/action-source";
import { FLOW_TIMEOUT_MS } from "../src/auth0/facts";
import { NAMESPACE_SECRET } from "../src/compile/claims-action";
import { startEnvironmentAction } from "../src/environment/load-action";
import { actionsOf } from "../src/flow/model";
import type { ExportedUser } from "../src/runtime/types";
import type { RunContext } from "../src/runtime/event";
import { compileClaims, NAMESPACE } from "./helpers/claims-action";
import { type ActionSpec, loadInSandbox, loginOnce } from "./helpers/sandbox";

const BLOCKED = "api.access.deny: This account is blocked. Contact your administrator.";

let denyCode: string;
let claimsCode: string;
beforeAll(() => {
  denyCode = compileActionSource({ entry: "actions/deny-blocked-users.ts" }).code;
  claimsCode = compileClaims(["roles"], ["id", "access"]).code;
});

const deny = (): ActionSpec => ({ name: "deny-blocked-users", code: denyCode });
const claims = (): ActionSpec => ({
  name: "app-metadata-claims",
  code: claimsCode,
  secrets: { [NAMESPACE_SECRET]: NAMESPACE },
});
/** An action from source text, for the cases the project's actions don't cover. */
const inline = (name: string, body: string): ActionSpec => ({
  name,
  code: `exports.onExecutePostLogin = async (event, api) => { ${body} };`,
});

/** One login of `user` through the flow of `actions`, in the sandbox. */
async function flowLogin(actions: ActionSpec[], user: ExportedUser, context?: RunContext, timeoutMs?: number) {
  const flow = await loadInSandbox(actions, timeoutMs);
  try {
    return await flow.login(user, context);
  } finally {
    await flow.close();
  }
}

describe("deny-blocked-users", () => {
  test("denies a user whose app_metadata.blocked is true, with a clear reason and a log line", async () => {
    const out = await loginOnce(deny(), { user_id: "auth0|1", app_metadata: { blocked: true } });
    expect(out.denied).toBe(BLOCKED);
    expect(out.logs).toEqual(["deny-blocked-users: denied a blocked user"]);
  });

  test.each<[string, unknown]>([
    ["no app_metadata", undefined],
    ["blocked false", { blocked: false }],
    ['blocked "true" (a string)', { blocked: "true" }],
    ["blocked 1", { blocked: 1 }],
    ["app_metadata a string", "blocked"],
    ["app_metadata null", null],
    ["app_metadata an array", [true]],
    ["blocked only on the prototype", JSON.parse('{"__proto__": {"blocked": true}}')],
  ])("lets the user in and never throws: %s", async (_case, appMetadata) => {
    const out = await loginOnce(deny(), { user_id: "auth0|2", app_metadata: appMetadata });
    expect(out.denied).toBeNull();
    expect(out.logs).toEqual([]);
  });

  test("a getter that throws on app_metadata does not fail the login", async () => {
    // The getter is made in the sandbox, before the action's handler: a user record sent there can't hold one.
    const code = `const deny = { exports: {} };\n(function (exports, module) {\n${denyCode}\n})(deny.exports, deny);\nexports.onExecutePostLogin = async (event, api) => {\n  Object.defineProperty(event.user, "app_metadata", { enumerable: true, get: () => ({ get blocked() { throw new Error("boom"); } }) });\n  return deny.exports.onExecutePostLogin(event, api);\n};`;
    const out = await loginOnce({ code }, { user_id: "auth0|3" });
    expect(out.denied).toBeNull();
  });
});

describe("a flow", () => {
  test("a deny stops the flow: later actions don't run, their claims and logs are absent", async () => {
    const out = await flowLogin([deny(), claims()], {
      user_id: "auth0|1",
      app_metadata: { blocked: true, roles: ["admin"] },
    });
    expect(out.denied).toBe(`deny-blocked-users: ${BLOCKED}`);
    expect(out.idToken).toEqual({});
    expect(out.logs).toEqual(["deny-blocked-users: denied a blocked user"]);
  });

  test("a user let through gets the claims of the later action", async () => {
    const out = await flowLogin([deny(), claims()], { user_id: "auth0|2", app_metadata: { roles: ["admin"] } });
    expect(out.denied).toBeNull();
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"] });
    expect(out.accessToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"] });
  });

  test("claims from every action merge into one token; a later action's value wins a name both set", async () => {
    const first = inline(
      "first",
      `api.idToken.setCustomClaim("https://a.example/x", 1); api.idToken.setCustomClaim("https://a.example/y", 1); console.log("one");`,
    );
    const second = inline("second", `api.idToken.setCustomClaim("https://a.example/y", 2); console.log("two");`);
    const out = await flowLogin([first, second], { user_id: "u" });
    expect(out.idToken).toEqual({ "https://a.example/x": 1, "https://a.example/y": 2 });
    expect(out.logs).toEqual(["one", "two"]);
  });

  test("each action run gets its own copy of the user: changes in place to nested metadata reach no later action and no later login", async () => {
    const meddler = inline(
      "meddler",
      `event.user.app_metadata.roles.push("intruder"); event.user.app_metadata.roles.sort(); event.user.app_metadata.plan = "free";`,
    );
    const user = { user_id: "auth0|2", app_metadata: { roles: ["viewer", "admin"] } };
    const flow = await loadInSandbox([meddler, claims()]);
    const first = await flow.login(user);
    expect(first.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer", "admin"] });
    expect((await flow.login(user)).idToken).toEqual(first.idToken);
    await flow.close();
  });

  test("with lastUse (a preview worker's parsed user), an earlier action still gets its own copy of the user", async () => {
    const meddler = inline("meddler", `event.user.app_metadata.roles.push("intruder");`);
    const out = await flowLogin(
      [meddler, claims()],
      { user_id: "auth0|2", app_metadata: { roles: ["viewer"] } },
      { lastUse: true },
    );
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer"] });
  });

  test("the 100 KB limit applies to the claims of all actions together", async () => {
    const half = "x".repeat(60_000);
    const a = inline("a", `api.idToken.setCustomClaim("https://a.example/a", "${half}");`);
    const b = inline("b", `api.idToken.setCustomClaim("https://a.example/b", "${half}");`);
    expect((await flowLogin([a], {})).denied).toBeNull();
    expect((await flowLogin([a, b], {})).denied).toMatch(
      /^the ID token's custom claims are 1200\d\d bytes, over Auth0's 102400-byte limit/,
    );
  });

  test("an action that throws fails the login and names the action", async () => {
    const out = await flowLogin([inline("thrower", `throw new Error("nope");`), claims()], {
      app_metadata: { roles: ["r"] },
    });
    expect(out.denied).toBe("thrower: the action threw Error: nope; Auth0 fails the login");
  });

  test("one time limit for the whole flow, not one per action", async () => {
    const slow = (name: string) => inline(name, `await new Promise((r) => setTimeout(r, 60));`);
    const out = await flowLogin([slow("a"), slow("b"), slow("c")], {}, undefined, 150);
    expect(out.denied).toMatch(/^[bc]: the flow did not finish within 150 ms; Auth0 fails the login$/);
  });

  test("the default time limit is Auth0's 20 s flow limit, and a flow holds at least one action", async () => {
    expect(FLOW_TIMEOUT_MS).toBe(20_000);
    await expect(loadInSandbox([])).rejects.toThrow(/^flow: it holds no action/);
  });
});

describe("an environment's whole managed flow, as preview, verify and the local tenant load it", () => {
  test("the example environment runs deny-blocked-users, then the claims action", async () => {
    const loaded = await startEnvironmentAction({ env: "flow-example" });
    try {
      expect(actionsOf(loaded.flow).map((a) => a.name)).toEqual(["deny-blocked-users", "app-metadata-claims"]);
      expect(actionsOf(loaded.flow)[0].source).toMatch(/^actions\/deny-blocked-users\.ts \(sha256 [0-9a-f]{12}\)$/);
      const blocked = await loaded.runtime.login({
        user_id: "auth0|b",
        app_metadata: { blocked: true, roles: ["admin"] },
      });
      expect(blocked.denied).toBe(`deny-blocked-users: ${BLOCKED}`);
      const allowed = await loaded.runtime.login({ user_id: "auth0|a", app_metadata: { roles: ["admin"] } });
      expect(allowed.idToken).toEqual({ "https://example.com/claims/roles": ["admin"] });
    } finally {
      await loaded.runtime.close();
    }
  });

  test("an environment with only the claims action keeps the single action's messages", async () => {
    const loaded = await startEnvironmentAction({ env: "dev" });
    expect(actionsOf(loaded.flow).map((a) => a.name)).toEqual(["app-metadata-claims"]);
    const out = await loaded.runtime.login({ app_metadata: { roles: ["r"] } });
    await loaded.runtime.close();
    expect(out.idToken).toEqual({ "https://dev.example.com/claims/roles": ["r"] });
  });
});

test("the runtime layer and the sandbox worker load neither the compiler, esbuild nor cdktf (one home for Auth0's facts instead)", () => {
  for (const entry of ["src/runtime/flow-runtime.ts", "src/cli/sandbox-worker.ts"]) {
    const { metafile } = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "node",
      metafile: true,
      logLevel: "silent",
      packages: "external",
    });
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).toContain("src/auth0/facts.ts");
    expect(inputs.filter((file) => /^src\/(compile|constructs)\/|esbuild|cdktf/.test(file))).toEqual([]);
    const packages = Object.values(metafile.outputs).flatMap((o) =>
      o.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(packages.filter((p) => /esbuild|cdktf|constructs/.test(p))).toEqual([]);
  }
});

describe("how the login came about", () => {
  const echo = (name: string) =>
    inline(name, `api.idToken.setCustomClaim("https://example.com/${name}", event.transaction.protocol);`);

  test("every action of the flow sees the protocol the login gives, as Auth0's event.transaction.protocol", async () => {
    const out = await flowLogin(
      [echo("first"), echo("second")],
      { user_id: "auth0|1" },
      { protocol: "oauth2-refresh-token" },
    );
    expect(out.idToken).toEqual({
      "https://example.com/first": "oauth2-refresh-token",
      "https://example.com/second": "oauth2-refresh-token",
    });
  });

  test("an interactive login is oidc-basic-profile when no protocol is given", async () => {
    const out = await loginOnce(echo("only"), { user_id: "auth0|1" });
    expect(out.idToken).toEqual({ "https://example.com/only": "oidc-basic-profile" });
  });
});
