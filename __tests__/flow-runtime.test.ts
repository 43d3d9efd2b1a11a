// The whole post-login flow run locally as Auth0 runs it, on real compiled actions: order, a deny
// stopping the flow, claims of every action merged, one time limit; and the deny-blocked-users action.
import { buildSync } from "esbuild";
import { compileActionSource } from "../src/compile/action-source";
import { FLOW_TIMEOUT_MS } from "../src/auth0/facts";
import { NAMESPACE_SECRET } from "../src/compile/claims-action";
import { loadEnvironmentAction } from "../src/environment/load-action";
import { FlowRuntime } from "../src/runtime/flow-runtime";
import { PostLoginRuntime } from "../src/runtime/post-login-runtime";
import { compileClaims, NAMESPACE } from "./helpers/claims-action";

const BLOCKED = "api.access.deny: This account is blocked. Contact your administrator.";

let denyCode: string;
let claimsCode: string;
beforeAll(() => {
  denyCode = compileActionSource({ entry: "actions/deny-blocked-users.ts" }).code;
  claimsCode = compileClaims(["roles"], ["id", "access"]).code;
});

const deny = () => ({ name: "deny-blocked-users", runtime: PostLoginRuntime.load({ code: denyCode }) });
const claims = () => ({ name: "app-metadata-claims", runtime: PostLoginRuntime.load({ code: claimsCode, secrets: { [NAMESPACE_SECRET]: NAMESPACE } }) });
/** An action from source text, for the cases the project's actions don't cover. */
const inline = (name: string, body: string) => ({ name, runtime: PostLoginRuntime.load({ code: `exports.onExecutePostLogin = async (event, api) => { ${body} };` }) });

describe("deny-blocked-users", () => {
  test("denies a user whose app_metadata.blocked is true, with a clear reason and a log line", async () => {
    const out = await PostLoginRuntime.load({ code: denyCode }).login({ user_id: "auth0|1", app_metadata: { blocked: true } });
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
    const out = await PostLoginRuntime.load({ code: denyCode }).login({ user_id: "auth0|2", app_metadata: appMetadata });
    expect(out.denied).toBeNull();
    expect(out.logs).toEqual([]);
  });

  test("a getter that throws on app_metadata does not fail the login", async () => {
    const user = Object.defineProperty({ user_id: "auth0|3" }, "app_metadata", { enumerable: true, get: () => ({ get blocked() { throw new Error("boom"); } }) });
    const out = await PostLoginRuntime.load({ code: denyCode }).login(user);
    expect(out.denied).toBeNull();
  });
});

describe("FlowRuntime", () => {
  test("a deny stops the flow: later actions don't run, their claims and logs are absent", async () => {
    const flow = new FlowRuntime([deny(), claims()]);
    const out = await flow.login({ user_id: "auth0|1", app_metadata: { blocked: true, roles: ["admin"] } });
    expect(out.denied).toBe(`deny-blocked-users: ${BLOCKED}`);
    expect(out.idToken).toEqual({});
    expect(out.logs).toEqual(["deny-blocked-users: denied a blocked user"]);
  });

  test("a user let through gets the claims of the later action", async () => {
    const out = await new FlowRuntime([deny(), claims()]).login({ user_id: "auth0|2", app_metadata: { roles: ["admin"] } });
    expect(out.denied).toBeNull();
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"] });
    expect(out.accessToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"] });
  });

  test("claims from every action merge into one token; a later action's value wins a name both set", async () => {
    const first = inline("first", `api.idToken.setCustomClaim("https://a.example/x", 1); api.idToken.setCustomClaim("https://a.example/y", 1); console.log("one");`);
    const second = inline("second", `api.idToken.setCustomClaim("https://a.example/y", 2); console.log("two");`);
    const out = await new FlowRuntime([first, second]).login({ user_id: "u" });
    expect(out.idToken).toEqual({ "https://a.example/x": 1, "https://a.example/y": 2 });
    expect(out.logs).toEqual(["one", "two"]);
  });

  test("each action run gets its own copy of the user: changes in place to nested metadata reach no later action and no later login", async () => {
    const meddler = inline("meddler", `event.user.app_metadata.roles.push("intruder"); event.user.app_metadata.roles.sort(); event.user.app_metadata.plan = "free";`);
    const user = { user_id: "auth0|2", app_metadata: { roles: ["viewer", "admin"] } };
    const flow = new FlowRuntime([meddler, claims()]);
    const first = await flow.login(user);
    expect(first.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer", "admin"] });
    expect((await flow.login(user)).idToken).toEqual(first.idToken);
    expect(user).toEqual({ user_id: "auth0|2", app_metadata: { roles: ["viewer", "admin"] } });
  });

  test("with lastUse (a preview worker's parsed user), only the flow's last action shares the user's nested values", async () => {
    const meddler = inline("meddler", `event.user.app_metadata.roles.push("intruder");`);
    const user = { user_id: "auth0|2", app_metadata: { roles: ["viewer"] } };
    const out = await new FlowRuntime([meddler, claims()]).loginNow(user, { lastUse: true });
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer"] });
    await new FlowRuntime([claims(), meddler]).loginNow(user, { lastUse: true });
    expect(user.app_metadata.roles).toEqual(["viewer", "intruder"]);
  });

  test("the 100 KB limit applies to the claims of all actions together", async () => {
    const half = "x".repeat(60_000);
    const a = inline("a", `api.idToken.setCustomClaim("https://a.example/a", "${half}");`);
    const b = inline("b", `api.idToken.setCustomClaim("https://a.example/b", "${half}");`);
    expect((await new FlowRuntime([a]).login({})).denied).toBeNull();
    expect((await new FlowRuntime([a, b]).login({})).denied).toMatch(/^the ID token's custom claims are 1200\d\d bytes, over Auth0's 102400-byte limit/);
  });

  test("an action that throws fails the login and names the action", async () => {
    const out = await new FlowRuntime([inline("thrower", `throw new Error("nope");`), claims()]).login({ app_metadata: { roles: ["r"] } });
    expect(out.denied).toBe("thrower: the action threw Error: nope; Auth0 fails the login");
  });

  test("one time limit for the whole flow, not one per action", async () => {
    const slow = (name: string) => inline(name, `await new Promise((r) => setTimeout(r, 60));`);
    const out = await new FlowRuntime([slow("a"), slow("b"), slow("c")], 150).login({});
    expect(out.denied).toMatch(/^[bc]: the flow did not finish within 150 ms; Auth0 fails the login$/);
  });

  test("the default time limit is Auth0's 20 s flow limit", () => {
    expect(FLOW_TIMEOUT_MS).toBe(20_000);
    expect(() => new FlowRuntime([], 1)).toThrow(/^steps: \[\] holds no action/);
  });
});

describe("an environment's whole managed flow, as preview, verify and the local tenant load it", () => {
  test("the example environment runs deny-blocked-users, then the claims action", async () => {
    const loaded = loadEnvironmentAction({ env: "flow-example" });
    expect(loaded.actions.map((a) => a.name)).toEqual(["deny-blocked-users", "app-metadata-claims"]);
    expect(loaded.actions[0].source).toMatch(/^actions\/deny-blocked-users\.ts \(sha256 [0-9a-f]{12}\)$/);
    const blocked = await loaded.runtime.login({ user_id: "auth0|b", app_metadata: { blocked: true, roles: ["admin"] } });
    expect(blocked.denied).toBe(`deny-blocked-users: ${BLOCKED}`);
    const allowed = await loaded.runtime.login({ user_id: "auth0|a", app_metadata: { roles: ["admin"] } });
    expect(allowed.idToken).toEqual({ "https://example.com/claims/roles": ["admin"] });
  });

  test("an environment with only the claims action keeps the single action's messages", async () => {
    const loaded = loadEnvironmentAction({ env: "dev" });
    expect(loaded.actions.map((a) => a.name)).toEqual(["app-metadata-claims"]);
    const out = await loaded.runtime.login({ app_metadata: { roles: ["r"] } });
    expect(out.idToken).toEqual({ "https://dev.example.com/claims/roles": ["r"] });
  });
});

test("the runtime layer loads neither the compiler nor esbuild (one home for Auth0's facts instead)", () => {
  const { metafile } = buildSync({ entryPoints: ["src/runtime/flow-runtime.ts"], bundle: true, write: false, platform: "node", metafile: true, logLevel: "silent" });
  const inputs = Object.keys(metafile!.inputs);
  expect(inputs).toContain("src/auth0/facts.ts");
  expect(inputs.filter((file) => /compile-action|esbuild|cdktf/.test(file))).toEqual([]);
});

describe("how the login came about", () => {
  const echo = (name: string) => inline(name, `api.idToken.setCustomClaim("https://example.com/${name}", event.transaction.protocol);`);

  test("every action of the flow sees the protocol the login gives, as Auth0's event.transaction.protocol", async () => {
    const out = await new FlowRuntime([echo("first"), echo("second")]).login({ user_id: "auth0|1" }, { protocol: "oauth2-refresh-token" });
    expect(out.idToken).toEqual({ "https://example.com/first": "oauth2-refresh-token", "https://example.com/second": "oauth2-refresh-token" });
  });

  test("an interactive login is oidc-basic-profile when no protocol is given", async () => {
    const out = await echo("only").runtime.login({ user_id: "auth0|1" });
    expect(out.idToken).toEqual({ "https://example.com/only": "oidc-basic-profile" });
  });
});
