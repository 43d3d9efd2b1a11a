// The local tenant's ActionsStore, in-process: builds, deploys and roll backs, what logins of a
// trigger run (boundFlow) and when they hear of a change (onChange), Auth0's limits, and that a
// refused change leaves everything as it was. Secrets' values stay inside: no view carries one.
import { ActionsError, ActionsStore, type ActionInput } from "../src/local-tenant/actions-store";

const POST_LOGIN = [{ id: "post-login", version: "v3" }];
const CODE = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/v', 1); };";
const input = (name: string, extra: Partial<ActionInput> = {}): ActionInput => ({
  name,
  supportedTriggers: POST_LOGIN,
  code: CODE,
  ...extra,
});

/** Everything the store shows, as JSON: to prove that a refused call changed nothing. */
function snapshot(store: ActionsStore): string {
  const actions = store.list();
  return JSON.stringify({
    actions,
    versions: actions.map((a) => store.versions(a.id)),
    drafts: actions.map((a) => store.draft(a.id)),
    bindings: store.bindingsOf("post-login"),
    flow: store.boundFlow("post-login"),
  });
}

function refused(call: () => unknown, reason: ActionsError["reason"], message: RegExp | string): void {
  let thrown: unknown;
  try {
    call();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ActionsError);
  expect((thrown as ActionsError).reason).toBe(reason);
  if (typeof message === "string") expect((thrown as Error).message).toBe(message);
  else expect((thrown as Error).message).toMatch(message);
}

describe("builds", () => {
  test("code that compiles is built; code that does not is failed, the reason and line on the draft, never on the action", () => {
    const store = new ActionsStore();
    expect(store.create(input("ok")).status).toBe("built");
    const bad = store.create(
      input("bad", { code: "exports.a = 1;\nexports.onExecutePostLogin = async (event, api) => {\n  api.x(;\n};" }),
    );
    expect(bad.status).toBe("failed");
    expect(Object.keys(bad)).not.toContain("errors");
    expect(store.draft(bad.id)).toMatchObject({
      status: "failed",
      errors: [{ id: "code_compile_error", msg: expect.stringMatching(/^SyntaxError: .+ \(line 3\)$/) }],
    });
  });

  test("the code is compiled, never run", () => {
    const store = new ActionsStore();
    const marker = `__actionsStoreRan${process.pid}`;
    expect(store.create(input("side effect", { code: `globalThis.${marker} = true;` })).status).toBe("built");
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
  });

  test("code over Auth0's 100 kB is failed with the limit named; a deploy of it is refused as Auth0 refuses it, and no version is made", () => {
    const store = new ActionsStore();
    const big = store.create(input("big", { code: `// ${"x".repeat(100_000)}` }));
    expect(big.status).toBe("failed");
    expect(store.draft(big.id).errors).toEqual([
      {
        id: "code_too_large",
        msg: expect.stringMatching(/^The code is 100003 bytes; Auth0 builds at most 100000 bytes/),
        url: "https://auth0.com/docs/customize/actions/limitations",
      },
    ]);
    refused(() => store.deploy(big.id), "invalid", "A draft must be in the 'built' state before it can be deployed.");
    expect(store.versions(big.id)).toEqual([]);
  });
});

describe("what logins run: boundFlow and onChange", () => {
  let store: ActionsStore;
  let heard: string[];
  let first: string;
  let second: string;
  beforeEach(() => {
    store = new ActionsStore();
    heard = [];
    store.onChange((trigger) => heard.push(trigger));
    first = store.create(
      input("first", {
        secrets: [{ name: "KEY", value: "value-1" }],
        dependencies: [{ name: "lodash", version: "4.17.21" }],
      }),
    ).id;
    second = store.create(
      input("second", { code: "exports.onExecutePostLogin = async () => {};", runtime: "node18-actions" }),
    ).id;
  });

  test("nothing is bound at first, and a deploy of an unbound action tells no one", () => {
    store.deploy(first);
    expect(store.boundFlow("post-login")).toEqual([]);
    expect(heard).toEqual([]);
  });

  test("bound actions run as deployed, in binding order, with their secrets' values and dependencies", () => {
    const v1 = store.deploy(first);
    const v2 = store.deploy(second);
    store.setBindings("post-login", [
      { ref: { type: "action_id", value: second } },
      { ref: { type: "action_name", value: "first" }, displayName: "First" },
    ]);
    expect(heard).toEqual(["post-login"]);
    expect(store.boundFlow("post-login")).toEqual([
      {
        id: second,
        name: "second",
        versionId: v2.id,
        number: 1,
        code: "exports.onExecutePostLogin = async () => {};",
        runtime: "node18-actions",
        dependencies: [],
        secrets: {},
      },
      {
        id: first,
        name: "first",
        versionId: v1.id,
        number: 1,
        code: CODE,
        runtime: "node22",
        dependencies: [{ name: "lodash", version: "4.17.21" }],
        secrets: { KEY: "value-1" },
      },
    ]);
    expect(store.bindingsOf("post-login").map((b) => b.displayName)).toEqual(["second", "First"]);
  });

  test("a changed draft changes nothing logins run until it is deployed; the deploy tells the trigger", () => {
    store.deploy(first);
    store.setBindings("post-login", [{ ref: { type: "action_id", value: first } }]);
    const before = store.boundFlow("post-login");
    heard.length = 0;
    store.update(first, {
      code: "exports.onExecutePostLogin = async () => { /* v2 */ };",
      secrets: [{ name: "KEY", value: "value-2" }],
    });
    expect(store.boundFlow("post-login")).toEqual(before);
    expect(heard).toEqual([]);
    const v2 = store.deploy(first);
    expect(heard).toEqual(["post-login"]);
    expect(store.boundFlow("post-login")).toEqual([
      {
        ...before[0],
        versionId: v2.id,
        number: 2,
        code: "exports.onExecutePostLogin = async () => { /* v2 */ };",
        secrets: { KEY: "value-2" },
      },
    ]);
  });

  test("a roll back deploys a copy of the old version, secrets as they were, and tells the trigger; update_draft puts it in the draft too", () => {
    const v1 = store.deploy(first);
    store.setBindings("post-login", [{ ref: { type: "action_id", value: first } }]);
    store.update(first, { code: "exports.onExecutePostLogin = async () => {};", secrets: [] });
    store.deploy(first);
    heard.length = 0;
    const v3 = store.rollback(first, v1.id);
    expect(v3).toMatchObject({ number: 3, code: CODE, deployed: true });
    expect(heard).toEqual(["post-login"]);
    expect(store.boundFlow("post-login")[0]).toMatchObject({
      versionId: v3.id,
      number: 3,
      code: CODE,
      secrets: { KEY: "value-1" },
    });
    expect(store.get(first)).toMatchObject({
      code: "exports.onExecutePostLogin = async () => {};",
      allChangesDeployed: false,
    });
    store.rollback(first, v1.id, { updateDraft: true });
    expect(store.get(first)).toMatchObject({
      code: CODE,
      status: "built",
      allChangesDeployed: true,
      secrets: [{ name: "KEY" }],
    });
    expect(store.versions(first).map((v) => [v.number, v.deployed])).toEqual([
      [4, true],
      [3, false],
      [2, false],
      [1, false],
    ]);
  });

  test("a bound action can't be deleted (409), and nothing changes; with force it is unbound, deleted, and the trigger told", () => {
    store.deploy(first);
    store.deploy(second);
    store.setBindings("post-login", [
      { ref: { type: "action_id", value: first } },
      { ref: { type: "action_id", value: second } },
    ]);
    const before = snapshot(store);
    heard.length = 0;
    refused(() => store.remove(first), "conflict", "Unable to delete an action bound to a trigger.");
    expect(snapshot(store)).toBe(before);
    store.remove(first, { force: true });
    expect(heard).toEqual(["post-login"]);
    expect(store.boundFlow("post-login").map((a) => a.name)).toEqual(["second"]);
    refused(() => store.get(first), "not-found", "That action does not exist.");
  });

  test("a listener that throws is reported, and the change stands", () => {
    store.onChange(() => {
      throw new Error("listener broke");
    });
    const errors: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
    try {
      store.deploy(first);
      store.setBindings("post-login", [{ ref: { type: "action_id", value: first } }]);
    } finally {
      spy.mockRestore();
    }
    expect(errors).toEqual([`local tenant: a listener of "post-login"'s flow failed: listener broke`]);
    expect(store.boundFlow("post-login").map((a) => a.name)).toEqual(["first"]);
    expect(heard).toEqual(["post-login"]);
  });

  test("onChange returns its unsubscribe", () => {
    const other: string[] = [];
    const stop = store.onChange((t) => other.push(t));
    store.deploy(first);
    store.setBindings("post-login", [{ ref: { type: "action_id", value: first } }]);
    stop();
    store.setBindings("post-login", []);
    expect(other).toEqual(["post-login"]);
  });
});

describe("bindings are refused as Auth0 refuses them, and the list stays as it was", () => {
  let store: ActionsStore;
  let deployed: string;
  let before: string;
  beforeEach(() => {
    store = new ActionsStore();
    deployed = store.create(input("deployed")).id;
    store.deploy(deployed);
    store.setBindings("post-login", [{ ref: { type: "action_id", value: deployed } }]);
    before = snapshot(store);
  });
  afterEach(() => expect(snapshot(store)).toBe(before));

  test("an action never deployed", () => {
    const draft = store.create(input("draft only")).id;
    before = snapshot(store);
    refused(
      () => store.setBindings("post-login", [{ ref: { type: "action_id", value: draft } }]),
      "invalid",
      "Trying to create a binding for an action that has not been deployed yet.",
    );
  });

  test("an action of another trigger", () => {
    const other = store.create(
      input("exchange", { supportedTriggers: [{ id: "credentials-exchange", version: "v2" }] }),
    ).id;
    store.deploy(other);
    before = snapshot(store);
    refused(
      () => store.setBindings("post-login", [{ ref: { type: "action_id", value: other } }]),
      "invalid",
      "Trying to create a binding between an incompatible action and trigger.",
    );
  });

  test("an action that does not exist, by id or by name", () => {
    refused(
      () => store.setBindings("post-login", [{ ref: { type: "action_id", value: "nope" } }]),
      "invalid",
      /^Trying to create a binding for an action that does not exist: bindings\[0\]\.ref: no action has the id "nope"$/,
    );
    refused(
      () => store.setBindings("post-login", [{ ref: { type: "action_name", value: "nope" } }]),
      "invalid",
      /no action has the name "nope"$/,
    );
  });

  test("more than 20 on one trigger", () => {
    const refs = Array.from({ length: 21 }, () => ({ ref: { type: "action_id" as const, value: deployed } }));
    refused(
      () => store.setBindings("post-login", refs),
      "invalid",
      /^Binding limit reached: a trigger runs at most 20 actions \(Auth0's limit\) and this request binds 21 to "post-login"; remove 1$/,
    );
  });

  test("the same action twice (the local tenant's rule)", () => {
    refused(
      () =>
        store.setBindings("post-login", [
          { ref: { type: "action_id", value: deployed } },
          { ref: { type: "action_name", value: "deployed" } },
        ]),
      "invalid",
      /is bound twice in this request/,
    );
  });

  test("a trigger the tenant does not serve", () => {
    refused(
      () => store.setBindings("post-nothing", []),
      "invalid",
      /^Trigger "post-nothing" is not one the local tenant serves/,
    );
  });

  test("a bound action's trigger can't change, by a change or by a deploy", () => {
    refused(
      () => store.update(deployed, { supportedTriggers: [{ id: "credentials-exchange", version: "v2" }] }),
      "invalid",
      "can't upgrade to this trigger.",
    );
    const moving = store.create(input("moving")).id;
    store.deploy(moving);
    store.update(moving, { supportedTriggers: [{ id: "credentials-exchange", version: "v2" }] });
    store.setBindings("post-login", [
      { ref: { type: "action_id", value: deployed } },
      { ref: { type: "action_id", value: moving } },
    ]);
    before = snapshot(store);
    refused(() => store.deploy(moving), "invalid", "can't upgrade to this trigger.");
  });
});

describe("a refused change changes nothing: every field is checked first", () => {
  let store: ActionsStore;
  let id: string;
  let before: string;
  beforeEach(() => {
    store = new ActionsStore();
    id = store.create(input("kept", { secrets: [{ name: "A", value: "a-value" }] })).id;
    store.deploy(id);
    before = snapshot(store);
  });
  afterEach(() => expect(snapshot(store)).toBe(before));

  test("new code with an unknown runtime: neither is taken", () => {
    refused(
      () => store.update(id, { code: "exports.changed = 1;", runtime: "node16" }),
      "invalid",
      'runtime is not supported: "node16"; use node18-actions or node22',
    );
  });

  test("31 secrets (Auth0's limit is 30), sent with a new name", () => {
    const secrets = Array.from({ length: 31 }, (_, i) => ({ name: `S${i}`, value: `value-${i}` }));
    refused(
      () => store.update(id, { name: "renamed", secrets }),
      "invalid",
      "Too many secrets: an action has at most 30 (Auth0's limit) and this request sends 31",
    );
  });

  test("11 dependencies (Auth0's limit is 10)", () => {
    const dependencies = Array.from({ length: 11 }, (_, i) => ({ name: `m${i}`, version: "1.0.0" }));
    refused(
      () => store.update(id, { dependencies }),
      "invalid",
      "Too many dependencies: an action has at most 10 npm modules (Auth0's limit) and this request lists 11",
    );
  });

  test("a secret's name over 128 characters, or its value over 4,096: the message names the secret, never the value", () => {
    refused(
      () => store.update(id, { secrets: [{ name: "N".repeat(129), value: "v" }] }),
      "invalid",
      /^secrets\[0\]\.name "N+\.\.\. is 129 characters; Auth0 allows at most 128$/,
    );
    const value = `hidden-${"v".repeat(4090)}`;
    let message = "";
    try {
      store.update(id, { secrets: [{ name: "LONG", value }] });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toBe('The value of secret "LONG" is 4097 characters; Auth0 allows at most 4096');
  });

  test("a name another action has (409)", () => {
    store.create(input("taken"));
    before = snapshot(store);
    refused(() => store.update(id, { name: "taken" }), "conflict", /^An action named "taken" already exists/);
  });

  test("a trigger version the tenant does not serve", () => {
    refused(
      () => store.update(id, { supportedTriggers: [{ id: "post-login", version: "v2" }] }),
      "invalid",
      'supported_triggers[0].version: "v2" is not a version of post-login the local tenant serves; use v3',
    );
  });
});

test("Auth0's entity limits: 100 actions in a tenant, 50 versions of an action; past them nothing is made", () => {
  const store = new ActionsStore();
  for (let i = 0; i < 100; i++) store.create(input(`action ${i}`));
  refused(
    () => store.create(input("one too many")),
    "invalid",
    /^Action limit reached: a tenant holds at most 100 actions/,
  );
  expect(store.list()).toHaveLength(100);
  const id = store.list()[0].id;
  for (let i = 0; i < 50; i++) store.deploy(id);
  const deployed = store.get(id).deployedVersion;
  refused(
    () => store.deploy(id),
    "invalid",
    /^Version limit reached: action "action 0" has 50 versions, Auth0's limit for one action; delete the action/,
  );
  refused(() => store.rollback(id, store.versions(id)[49].id), "invalid", /^Version limit reached/);
  expect(store.versions(id)).toHaveLength(50);
  expect(store.get(id).deployedVersion).toEqual(deployed);
});

test("secrets: a change that sends them replaces the set (kept names first, then new ones), one that does not keeps them; no view carries a value", () => {
  const store = new ActionsStore();
  const created = store.create(
    input("secretive", {
      secrets: [
        { name: "foo", value: "foo-value-1" },
        { name: "old", value: "old-value-1" },
      ],
    }),
  );
  const kept = store.update(created.id, { code: "exports.a = 1;" });
  expect(kept.secrets).toEqual(created.secrets);
  const replaced = store.update(created.id, {
    secrets: [
      { name: "bar", value: "bar-value-2" },
      { name: "foo", value: "foo-value-2" },
    ],
  });
  expect(replaced.secrets).toEqual([
    { name: "foo", updatedAt: replaced.updatedAt },
    { name: "bar", updatedAt: replaced.updatedAt },
  ]);
  store.deploy(created.id);
  store.setBindings("post-login", [{ ref: { type: "action_id", value: created.id } }]);
  const shown = JSON.stringify([
    store.list(),
    store.get(created.id),
    store.versions(created.id),
    store.draft(created.id),
    store.bindingsOf("post-login"),
  ]);
  for (const value of ["foo-value-1", "old-value-1", "bar-value-2", "foo-value-2"]) expect(shown).not.toContain(value);
  expect(store.boundFlow("post-login")[0].secrets).toEqual({ foo: "foo-value-2", bar: "bar-value-2" });
});

test("timestamps are RFC 3339 with 9 fraction digits, and each write's is later than the one before", () => {
  const store = new ActionsStore();
  const a = store.create(input("clock"));
  const b = store.update(a.id, {});
  const c = store.update(a.id, {});
  for (const stamp of [a.createdAt, a.updatedAt, b.updatedAt, c.updatedAt])
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  expect([a.createdAt < a.updatedAt, a.updatedAt < b.updatedAt, b.updatedAt < c.updatedAt]).toEqual([true, true, true]);
  expect(Math.abs(Date.parse(c.updatedAt) - Date.now())).toBeLessThan(60_000);
});

test("the triggers the tenant serves, post-login at v3, node22 by default", () => {
  const triggers = new ActionsStore().triggers();
  expect(triggers[0]).toEqual({
    id: "post-login",
    version: "v3",
    status: "CURRENT",
    runtimes: ["node18-actions", "node22"],
    defaultRuntime: "node22",
    compatibleTriggers: [],
    bindingPolicy: "trigger-bound",
  });
  expect(new ActionsStore().create({ name: "x", supportedTriggers: POST_LOGIN }).runtime).toBe("node22");
});
