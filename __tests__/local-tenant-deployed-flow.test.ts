// The local tenant's DeployedFlow, in-process over a real ActionsStore and sandbox worker: a deploy
// or a bindings change takes effect at the next login, even one that lands while a login is still
// loading the flow it replaces.
import { ActionsStore } from "../src/local-tenant/actions-store";
import { DeployedFlow } from "../src/local-tenant/deployed-flow";
import { TenantUsers } from "../src/local-tenant/users";

const CLAIM = "https://example.com/v";
const action = (value: string) => ({
  name: `sets-${value}`,
  supportedTriggers: [{ id: "post-login", version: "v3" }],
  code: `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim(${JSON.stringify(CLAIM)}, ${JSON.stringify(value)}); };`,
});
const USER = { user_id: "auth0|alice", email: "alice@example.com" };

let flow: DeployedFlow | undefined;
afterEach(() => flow?.close());

/** Resolves when the flow first reads the store's bindings: the load has begun, its sandbox not yet ready. */
function loadBegun(store: ActionsStore): Promise<void> {
  const boundFlow = store.boundFlow.bind(store);
  return new Promise((resolve) => {
    store.boundFlow = (trigger) => {
      const flow = boundFlow(trigger);
      resolve();
      return flow;
    };
  });
}

function bindOne(store: ActionsStore, value: string): void {
  const created = store.create(action(value));
  store.deploy(created.id);
  store.setBindings("post-login", [{ ref: { type: "action_id", value: created.id } }]);
}

test("a bindings change while the first login loads the flow: that login runs what it started with, the next runs the change", async () => {
  const store = new ActionsStore();
  bindOne(store, "old");
  flow = new DeployedFlow(store);
  const begun = loadBegun(store);
  const first = flow.login(USER);
  await begun;
  // The first login is still waiting for its sandbox worker: the change lands during the load.
  store.setBindings("post-login", []);
  expect((await first).idToken).toEqual({ [CLAIM]: "old" });
  expect(flow.names).toEqual([]);
  expect((await flow.login(USER)).idToken).toEqual({});
});

test("a deploy of another action while a login loads: the next login runs the new one", async () => {
  const store = new ActionsStore();
  bindOne(store, "old");
  flow = new DeployedFlow(store);
  const begun = loadBegun(store);
  const first = flow.login(USER);
  await begun;
  bindOne(store, "new");
  expect((await first).idToken).toEqual({ [CLAIM]: "old" });
  expect((await flow.login(USER)).idToken).toEqual({ [CLAIM]: "new" });
  expect((await flow.login(USER)).idToken).toEqual({ [CLAIM]: "new" });
});

test("a login's metadata writes are saved to the user's record key by key, a \"__proto__\" key as a plain key", async () => {
  const store = new ActionsStore();
  const writer = store.create({
    name: "writes",
    supportedTriggers: [{ id: "post-login", version: "v3" }],
    code: `exports.onExecutePostLogin = async (event, api) => {
      api.user.setAppMetadata("__proto__", { polluted: true });
      api.user.setAppMetadata("roles", ["viewer"]);
      api.user.setAppMetadata("old", null);
    };`,
  });
  store.deploy(writer.id);
  store.setBindings("post-login", [{ ref: { type: "action_id", value: writer.id } }]);
  flow = new DeployedFlow(store);
  const users = new TenantUsers([{ ...USER, app_metadata: { old: 1, kept: 2 } }], flow);
  const alice = users.bySubject(USER.user_id)!;
  expect((await users.login(alice, "oidc-basic-profile")).denied).toBeNull();
  const saved = alice.record.app_metadata as Record<string, unknown>;
  expect(Object.getPrototypeOf(saved)).toBe(Object.prototype);
  expect(Object.keys(saved)).toEqual(["kept", "__proto__", "roles"]);
  expect(JSON.parse(JSON.stringify(saved))).toEqual(
    JSON.parse('{"kept":2,"__proto__":{"polluted":true},"roles":["viewer"]}'),
  );
});
