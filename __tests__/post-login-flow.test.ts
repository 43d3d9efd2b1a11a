// The general action construct and the flow construct through real cdktf synthesis: binding modes,
// the unbind step that retires actions without a 409, adoption with the action's other secrets, and
// the example environment with two managed actions.
import "./helpers/setup";
import { AnnotationMetadataEntryType, App, TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Action } from "../.gen/providers/auth0/action";
import { Auth0Provider } from "../.gen/providers/auth0/provider";
import { TriggerAction } from "../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../.gen/providers/auth0/trigger-actions";
import { AppMetadataClaims } from "../src/constructs/app-metadata-claims";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type FlowAction, type FlowMode, PostLoginFlow } from "../src/constructs/post-login-flow";
import { TypeScriptAction, type TypeScriptActionProps } from "../src/constructs/typescript-action";
import { exampleEnvironments } from "../src/environments";

const DENY = "actions/deny-blocked-users.ts";

function newStack(name = "test"): TerraformStack {
  const stack = new TerraformStack(Testing.app(), name);
  new Auth0Provider(stack, "auth0", {});
  return stack;
}

/** A stack with the claims action and the deny action in one flow, the deny action first. */
function twoActions(
  mode: FlowMode,
  extra: (stack: TerraformStack) => FlowAction[] = () => [],
): { stack: TerraformStack; json: string; parsed: any } {
  const stack = newStack();
  const deny = new TypeScriptAction(stack, "deny_blocked_users", { entry: DENY });
  const claims = new AppMetadataClaims(stack, "app_metadata_claims");
  new PostLoginFlow(stack, "post_login", { mode, actions: [deny, claims, ...extra(stack)] });
  const json = Testing.synth(stack);
  return { stack, json, parsed: JSON.parse(json) };
}

describe("TypeScriptAction", () => {
  test("defaults: the entry file's name, node22, deployed, post-login v3, no secrets, no dependencies", () => {
    const stack = newStack();
    const action = new TypeScriptAction(stack, "deny", { entry: DENY });
    new PostLoginFlow(stack, "flow", { actions: [action] });
    const resource = JSON.parse(Testing.synth(stack)).resource.auth0_action.deny;
    expect(resource).toMatchObject({
      name: "deny-blocked-users",
      runtime: "node22",
      deploy: true,
      supported_triggers: { id: "post-login", version: "v3" },
    });
    expect(resource.code).toBe(action.compiled.terraformCode);
    expect(resource.secrets).toBeUndefined();
    expect(resource.dependencies).toBeUndefined();
  });

  test("npm dependencies are declared on the action and left out of the bundle", () => {
    const stack = newStack();
    const action = new TypeScriptAction(stack, "uses_jose", {
      entry: "__tests__/fixtures/imports-jose.action.ts",
      dependencies: [{ name: "jose", version: "6.2.18" }],
    });
    new PostLoginFlow(stack, "flow", { actions: [action] });
    expect(Testing.synth(stack)).toHaveResourceWithProperties(Action, {
      dependencies: [{ name: "jose", version: "6.2.18" }],
    });
    expect(action.compiled.code).toMatch(/require\("jose"\)/);
    expect(action.compiled.bytes).toBeLessThan(5_000);
  });

  test("compile-time constants replace their identifiers in the code", () => {
    const stack = newStack();
    const action = new TypeScriptAction(stack, "constants", {
      entry: "__tests__/fixtures/imports-jose.action.ts",
      constants: { JOSE_ALG: "ES256" },
      dependencies: [{ name: "jose", version: "6.2.18" }],
    });
    expect(action.compiled.code).toContain('"ES256"');
  });

  test.each<[string, Partial<TypeScriptActionProps>, RegExp]>([
    ["an empty entry", { entry: "" }, /^test\/bad: entry: "" is not a file; give the action's entry file/],
    [
      "a missing entry file",
      { entry: "actions/nope.ts" },
      /^test\/bad: actions\/nope\.ts: esbuild could not compile the action: Could not resolve/,
    ],
    [
      "a runtime Auth0 removed",
      { runtime: "node16" },
      /^test\/bad: runtime: "node16" is not a runtime Auth0 runs; use "node18" or "node22"/,
    ],
    [
      "a bad trigger version",
      { trigger: { id: "post-login", version: "" } },
      /^test\/bad: trigger\.version: "" is not a trigger version/,
    ],
    [
      "a literal secret value",
      { secrets: [{ name: "API_KEY", value: "s3cr3t" }] },
      /^test\/bad: secrets\[0\]\.value: a literal string would write secret API_KEY into cdk\.tf\.json; omit "value"/,
    ],
    [
      "a secret listed twice",
      { secrets: [{ name: "A" }, { name: "A" }] },
      /^test\/bad: secrets\[1\]\.name: "A" is listed twice/,
    ],
    [
      "a secret name with a space",
      { secrets: [{ name: "API KEY" }] },
      /^test\/bad: secrets\[0\]\.name: "API KEY" is not a secret name/,
    ],
    [
      "an unpinned dependency",
      { dependencies: [{ name: "jose", version: "" }] },
      /^test\/bad: dependencies\[0\]\.version: "" is not a version; pin an exact one/,
    ],
    [
      "eleven dependencies",
      { dependencies: Array.from({ length: 11 }, (_, i) => ({ name: `p${i}`, version: "1.0.0" })) },
      /^test\/bad: dependencies: 11 packages is more than Auth0 takes; list at most 10/,
    ],
  ])("%s is refused at synth time, naming the path, the prop and the fix", (_case, props, message) => {
    expect(() => new TypeScriptAction(newStack(), "bad", { entry: DENY, ...props })).toThrow(message);
  });
});

describe("PostLoginFlow", () => {
  test("append with two managed actions: one auth0_trigger_action each, the second created after the first", () => {
    const { json, parsed } = twoActions("append");
    expect(json).toHaveResourceWithProperties(TriggerAction, {
      trigger: "post-login",
      action_id: "${auth0_action.deny_blocked_users.id}",
    });
    expect(parsed.resource.auth0_trigger_action.app_metadata_claims).toMatchObject({
      action_id: "${auth0_action.app_metadata_claims.id}",
      depends_on: ["auth0_trigger_action.deny_blocked_users"],
    });
    expect(json).not.toHaveResource(TriggerActions);
  });

  test("exclusive: one auth0_trigger_actions with managed and hand-bound actions in the listed order", () => {
    const { json } = twoActions("exclusive", () => [{ id: "act-audit", displayName: "Audit" }]);
    expect(json).toHaveResourceWithProperties(TriggerActions, {
      trigger: "post-login",
      actions: [
        { id: "${auth0_action.deny_blocked_users.id}", display_name: "deny-blocked-users" },
        { id: "${auth0_action.app_metadata_claims.id}", display_name: "app-metadata-claims" },
        { id: "act-audit", display_name: "Audit" },
      ],
    });
    expect(json).not.toHaveResource(TriggerAction);
  });

  test("unbound, synthesized in a bare scope: the action without any binding", () => {
    const json = Testing.synthScope((scope) => {
      new PostLoginFlow(scope, "flow", {
        mode: "unbound",
        actions: [new TypeScriptAction(scope, "deny", { entry: DENY })],
      });
    });
    expect(json).toHaveResourceWithProperties(Action, { name: "deny-blocked-users", deploy: true });
    expect(json).not.toHaveResource(TriggerAction);
    expect(json).not.toHaveResource(TriggerActions);
  });

  test("unbound (step 1 of retiring): no binding resource, every action kept", () => {
    const { json, parsed } = twoActions("unbound");
    expect(json).not.toHaveResource(TriggerAction);
    expect(json).not.toHaveResource(TriggerActions);
    expect(Object.keys(parsed.resource.auth0_action).sort()).toEqual(["app_metadata_claims", "deny_blocked_users"]);
  });

  test("retiring one action: out of the flow but still declared, it keeps its auth0_action and loses its binding", () => {
    const stack = newStack();
    const deny = new TypeScriptAction(stack, "deny_blocked_users", { entry: DENY });
    const claims = new AppMetadataClaims(stack, "app_metadata_claims");
    new PostLoginFlow(stack, "post_login", { actions: [claims] });
    new PostLoginFlow(stack, "retiring", { mode: "unbound", actions: [deny] });
    const parsed = JSON.parse(Testing.synth(stack));
    expect(Object.keys(parsed.resource.auth0_trigger_action)).toEqual(["app_metadata_claims"]);
    expect(Object.keys(parsed.resource.auth0_action).sort()).toEqual(["app_metadata_claims", "deny_blocked_users"]);
  });

  test("a claims action in no flow fails synthesis instead of silently losing its binding", () => {
    const app = new App({ outdir: Testing.app().outdir });
    const stack = new TerraformStack(app, "lost");
    new Auth0Provider(stack, "auth0", {});
    new AppMetadataClaims(stack, "app_metadata_claims");
    expect(() => app.synth()).toThrow(
      /lost\/app_metadata_claims: is in no PostLoginFlow, so it would be deployed but never run/,
    );
  });

  test.each<[string, string, (s: TerraformStack) => FlowAction[], RegExp]>([
    [
      "an unknown mode",
      "replace",
      (s) => [new TypeScriptAction(s, "a", { entry: DENY })],
      /^test\/flow: mode: "replace" is not a binding mode; use "append", "exclusive" or "unbound"/,
    ],
    ["no action", "append", () => [], /^test\/flow: actions: \[\] holds no action/],
    [
      "a hand-bound action in append mode",
      "append",
      () => [{ id: "act-1", displayName: "Audit" }],
      /^test\/flow: actions\[0\]: "Audit" is bound by hand; "append" leaves actions bound by hand where they are/,
    ],
    [
      "an empty id",
      "exclusive",
      () => [{ id: " ", displayName: "x" }],
      /^test\/flow: actions\[0\]\.id: " " is not an action id/,
    ],
    [
      "an empty display name",
      "exclusive",
      () => [{ id: "a", displayName: "" }],
      /^test\/flow: actions\[0\]\.displayName: "" is empty/,
    ],
    [
      "an action listed twice",
      "exclusive",
      () => [
        { id: "a", displayName: "A" },
        { id: "a", displayName: "A" },
      ],
      /^test\/flow: actions\[1\]: "A" is listed twice/,
    ],
    [
      "an action of another trigger",
      "append",
      (s) => [new TypeScriptAction(s, "m2m", { entry: DENY, trigger: { id: "credentials-exchange", version: "v2" } })],
      /^test\/flow: actions\[0\]: "deny-blocked-users" is written for trigger credentials-exchange, not post-login/,
    ],
  ])("%s is refused, naming the flow and the fix", (_case, mode, actions, message) => {
    const stack = newStack();
    expect(() => new PostLoginFlow(stack, "flow", { mode: mode as FlowMode, actions: actions(stack) })).toThrow(
      message,
    );
  });
});

describe("adopting a hand-made action with secrets of its own", () => {
  const stack = newStack();
  const claims = new AppMetadataClaims(stack, "app_metadata_claims", {
    adopt: { actionId: "act_123" },
    secrets: [
      { name: "API_KEY" },
      { name: "WEBHOOK_URL", value: new TerraformVariable(stack, "webhook", { type: "string" }).stringValue },
    ],
  });
  new PostLoginFlow(stack, "post_login", { actions: [claims] });
  const json = Testing.synth(stack);
  const parsed = JSON.parse(json);

  test("the action sends its whole secrets list: the namespace, then the hand-made action's secrets", () => {
    expect(json).toHaveResourceWithProperties(Action, {
      secrets: [
        { name: "CLAIM_NAMESPACE", value: "${var.claim_namespace}" },
        { name: "API_KEY", value: "${var.app_metadata_claims_secret_api_key}" },
        { name: "WEBHOOK_URL", value: "${var.webhook}" },
      ],
    });
  });

  test("a secret without a value gets a sensitive variable, set with TF_VAR_ at apply time", () => {
    expect(parsed.variable.app_metadata_claims_secret_api_key).toMatchObject({
      type: "string",
      sensitive: true,
      nullable: false,
    });
    expect(parsed.variable.app_metadata_claims_secret_api_key.default).toBeUndefined();
    expect(parsed.variable.app_metadata_claims_secret_api_key.description).toContain(
      "TF_VAR_app_metadata_claims_secret_api_key",
    );
  });

  test("import blocks for the action and its binding", () => {
    expect(parsed.import).toEqual([
      { id: "act_123", to: "auth0_action.app_metadata_claims" },
      { id: "post-login::act_123", to: "auth0_trigger_action.app_metadata_claims" },
    ]);
  });

  test("a synth-time warning says the first apply deploys a new version and every secret must be listed", () => {
    const adopted = new TypeScriptAction(newStack(), "adopted", {
      entry: DENY,
      adopt: { actionId: "act_9" },
      secrets: [{ name: "API_KEY" }],
    });
    const warnings = adopted.node.metadata
      .filter((m) => m.type === (AnnotationMetadataEntryType.WARN as string))
      .map((m) => String(m.data));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^adopting action act_9: the first apply updates it and deploys a new version.*\(API_KEY\), or Auth0 refuses the update with "Unmanaged Action Secret"$/,
      ),
    ]);
  });
});

test("an environment's retired action stays deployed, bound nowhere, while the rest of the flow stays bound", () => {
  const parsed = JSON.parse(
    Testing.synth(
      new ClaimsStack(Testing.app(), {
        ...exampleEnvironments[0],
        binding: { mode: "exclusive" },
        retired: [{ entry: DENY }],
      }),
    ),
  );
  expect(Object.keys(parsed.resource.auth0_action).sort()).toEqual(["app_metadata_claims", "deny_blocked_users"]);
  expect(parsed.resource.auth0_trigger_actions.post_login.actions).toEqual([
    { id: "${auth0_action.app_metadata_claims.id}", display_name: "app-metadata-claims" },
  ]);
  expect(parsed.resource.auth0_trigger_action).toBeUndefined();
});

test("an environment in unbound mode (retiring it) keeps its actions and has no binding", () => {
  const parsed = JSON.parse(
    Testing.synth(
      new ClaimsStack(Testing.app(), {
        ...exampleEnvironments[0],
        binding: { mode: "unbound", before: [{ entry: DENY }] },
      }),
    ),
  );
  expect(Object.keys(parsed.resource)).toEqual(["auth0_action"]);
  expect(Object.keys(parsed.resource.auth0_action).sort()).toEqual(["app_metadata_claims", "deny_blocked_users"]);
});

describe("the example environment: claims and deny-blocked-users in one exclusive flow", () => {
  const stack = new ClaimsStack(Testing.app(), exampleEnvironments[0]);
  const json = Testing.synth(stack);

  test("synthesizes both actions and one auth0_trigger_actions, deny first", () => {
    expect(json).toHaveResourceWithProperties(Action, { name: "deny-blocked-users" });
    expect(json).toHaveResourceWithProperties(Action, { name: "app-metadata-claims" });
    expect(json).toHaveResourceWithProperties(TriggerActions, {
      actions: [
        { id: "${auth0_action.deny_blocked_users.id}", display_name: "deny-blocked-users" },
        { id: "${auth0_action.app_metadata_claims.id}", display_name: "app-metadata-claims" },
      ],
    });
  });

  test("the claims construct's binding view lists the action before it", () => {
    expect(stack.claims.binding).toEqual({
      mode: "exclusive",
      before: [{ id: expect.any(String), displayName: "deny-blocked-users" }],
      after: [],
    });
  });
});
