// The claims construct through cdktf's Testing matchers: resources, properties, its place in a flow, bad props.
import "./helpers/setup";
import { TerraformStack, TerraformVariable, Testing } from "cdktf";
import { Action } from "../.gen/providers/auth0/action";
import { Auth0Provider } from "../.gen/providers/auth0/provider";
import { TriggerAction } from "../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../.gen/providers/auth0/trigger-actions";
import { AppMetadataClaims, type AppMetadataClaimsProps } from "../src/constructs/app-metadata-claims";
import { type FlowAction, type FlowMode, PostLoginFlow } from "../src/constructs/post-login-flow";

/** The claims construct alone in a post-login flow (append by default), or between `before` and `after`. */
function synth(
  props: AppMetadataClaimsProps = {},
  flow: { mode?: FlowMode; before?: FlowAction[]; after?: FlowAction[] } = {},
): { json: string; claims: AppMetadataClaims } {
  const stack = new TerraformStack(Testing.app(), "test");
  new Auth0Provider(stack, "auth0", {});
  const claims = new AppMetadataClaims(stack, "claims", props);
  new PostLoginFlow(stack, "post_login", {
    mode: flow.mode,
    actions: [...(flow.before ?? []), claims, ...(flow.after ?? [])],
  });
  return { json: Testing.synth(stack), claims };
}

describe("defaults", () => {
  const { json, claims } = synth();

  test("declares the action: name, node22, deployed, post-login v3, the compiled code, the namespace secret", () => {
    expect(json).toHaveResourceWithProperties(Action, {
      name: "app-metadata-claims",
      runtime: "node22",
      deploy: true,
      supported_triggers: { id: "post-login", version: "v3" },
      code: claims.compiled.terraformCode,
      secrets: [{ name: "CLAIM_NAMESPACE", value: "${var.claim_namespace}" }],
    });
  });

  test("binds it in append mode with one auth0_trigger_action, and no auth0_trigger_actions", () => {
    expect(json).toHaveResourceWithProperties(TriggerAction, {
      trigger: "post-login",
      action_id: "${auth0_action.claims.id}",
    });
    expect(JSON.parse(json).resource.auth0_trigger_action.claims.display_name).toBeUndefined();
    expect(json).not.toHaveResource(TriggerActions);
  });

  test("declares the namespace variable without a default, with its validation", () => {
    const variable = JSON.parse(json).variable.claim_namespace;
    expect(variable).toMatchObject({ type: "string", nullable: false });
    expect(variable.default).toBeUndefined();
    expect(variable.validation[0].condition).toContain("auth0[.]com|webtask[.]io|webtask[.]run");
    expect(variable.validation[0].error_message).toMatch(/^Invalid claim_namespace <\$\{var\.claim_namespace\}>: /);
  });

  test("copies roles and permissions to the ID token", () => {
    expect(claims.claimKeys).toEqual(["roles", "permissions"]);
    expect(claims.tokens).toEqual(["id"]);
    expect(claims.compiled.code).toContain('keys: ["roles", "permissions"], tokens: ["id"]');
  });

  test("names resources after the construct id, for readable plans", () => {
    const parsed = JSON.parse(json);
    expect(Object.keys(parsed.resource.auth0_action)).toEqual(["claims"]);
    expect(Object.keys(parsed.resource.auth0_trigger_action)).toEqual(["claims"]);
  });
});

describe("props", () => {
  test("claim keys, tokens, action name and namespace default reach the code, the resources and the variable", () => {
    const { json, claims } = synth({
      claimKeys: ["groups", "plan"],
      tokens: ["access", "id"],
      actionName: "Claims v2",
      namespace: "https://acme.example/claims",
      namespaceVariable: "acme_namespace",
    });
    expect(claims.compiled.code).toContain('keys: ["groups", "plan"], tokens: ["id", "access"]');
    expect(json).toHaveResourceWithProperties(Action, {
      name: "Claims v2",
      secrets: [{ name: "CLAIM_NAMESPACE", value: "${var.acme_namespace}" }],
    });
    expect(JSON.parse(json).variable.acme_namespace.default).toBe("https://acme.example/claims");
  });

  test("exclusive mode owns the flow with one auth0_trigger_actions: before, ours, after", () => {
    const { json, claims } = synth(
      {},
      {
        mode: "exclusive",
        before: [{ id: "act-rate-limit", displayName: "Rate limit" }],
        after: [{ id: "act-audit", displayName: "Audit" }],
      },
    );
    expect(json).toHaveResourceWithProperties(TriggerActions, {
      trigger: "post-login",
      actions: [
        { id: "act-rate-limit", display_name: "Rate limit" },
        { id: "${auth0_action.claims.id}", display_name: "app-metadata-claims" },
        { id: "act-audit", display_name: "Audit" },
      ],
    });
    expect(json).not.toHaveResource(TriggerAction);
    expect(claims.binding).toEqual({
      mode: "exclusive",
      before: [{ id: "act-rate-limit", displayName: "Rate limit" }],
      after: [{ id: "act-audit", displayName: "Audit" }],
    });
  });

  test("a namespace default that is a token is left for Terraform to check", () => {
    const stack = new TerraformStack(Testing.app(), "tokens");
    new Auth0Provider(stack, "auth0", {});
    const upstream = new TerraformVariable(stack, "upstream", { type: "string" });
    expect(() => new AppMetadataClaims(stack, "claims", { namespace: upstream.stringValue })).not.toThrow();
  });
});

describe("bad props fail at synth time, naming the prop and the value", () => {
  test.each<[string, AppMetadataClaimsProps, RegExp]>([
    [
      "empty claimKeys",
      { claimKeys: [] },
      /^test\/claims: claimKeys: \[\] names no app_metadata field; list at least one/,
    ],
    [
      "a key with a space",
      { claimKeys: ["my roles"] },
      /^test\/claims: claimKeys: "my roles" can't be a claim key; use 1 to 64 letters/,
    ],
    ["a key with a slash", { claimKeys: ["a/b"] }, /^test\/claims: claimKeys: "a\/b" can't be a claim key/],
    ["an empty key", { claimKeys: [""] }, /^test\/claims: claimKeys: "" can't be a claim key/],
    [
      "__proto__",
      { claimKeys: ["__proto__"] },
      /^test\/claims: claimKeys: "__proto__" can't be a claim key.*not __proto__, constructor or prototype/,
    ],
    [
      "constructor",
      { claimKeys: ["roles", "constructor"] },
      /^test\/claims: claimKeys: "constructor" can't be a claim key/,
    ],
    ["a duplicate key", { claimKeys: ["roles", "roles"] }, /^test\/claims: claimKeys: "roles" is listed twice/],
    [
      "empty tokens",
      { tokens: [] },
      /^test\/claims: tokens: \[\] names no token; use \["id"\], \["access"\] or \["id", "access"\]/,
    ],
    [
      "an unknown token",
      { tokens: ["refresh" as "id"] },
      /^test\/claims: tokens: "refresh" is not a token kind; use "id" \(ID token and \/userinfo\) or "access"/,
    ],
    ["a duplicate token", { tokens: ["id", "id"] }, /^test\/claims: tokens: "id" is listed twice/],
    ["an empty action name", { actionName: "" }, /^test\/claims\/action: actionName: "" is not a usable action name/],
    [
      "a padded action name",
      { actionName: " claims" },
      /^test\/claims\/action: actionName: " claims" is not a usable action name/,
    ],
    [
      "a reserved namespace",
      { namespace: "https://acme.auth0.com" },
      /^test\/claims: namespace: "https:\/\/acme\.auth0\.com" can't be a claim namespace/,
    ],
    [
      "a non-URL namespace",
      { namespace: "acme" },
      /^test\/claims: namespace: "acme" can't be a claim namespace \(it is not an http\(s\) URL\)/,
    ],
    [
      "another CLAIM_NAMESPACE secret",
      { secrets: [{ name: "CLAIM_NAMESPACE" }] },
      /^test\/claims: secrets: "CLAIM_NAMESPACE" is this construct's own secret/,
    ],
  ])("%s", (_case, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test("the message starts with the construct's path, so the environment shows", () => {
    const stack = new TerraformStack(Testing.app(), "prod");
    expect(() => new AppMetadataClaims(stack, "app_metadata_claims", { tokens: [] })).toThrow(
      /^prod\/app_metadata_claims: tokens: \[\] names no token; use/,
    );
  });
});

describe("adopting an action made by hand", () => {
  test("append mode: import blocks for the action and its post-login binding, nothing new to create", () => {
    const { json } = synth({ adopt: { actionId: "7f3c9f0e-5b1a-4c1e-9d7e-0123456789ab" } });
    expect(JSON.parse(json).import).toEqual([
      { id: "7f3c9f0e-5b1a-4c1e-9d7e-0123456789ab", to: "auth0_action.claims" },
      { id: "post-login::7f3c9f0e-5b1a-4c1e-9d7e-0123456789ab", to: "auth0_trigger_action.claims" },
    ]);
  });

  test("exclusive mode: the whole post-login flow is imported", () => {
    const { json } = synth({ adopt: { actionId: "abc" } }, { mode: "exclusive" });
    expect(JSON.parse(json).import).toEqual([
      { id: "abc", to: "auth0_action.claims" },
      { id: "post-login", to: "auth0_trigger_actions.post_login" },
    ]);
  });

  test("no adoption, no import block", () => {
    expect(JSON.parse(synth().json).import).toBeUndefined();
  });

  test.each(["", "post-login::abc", "a b"])("a bad action id %j is refused with where to find it", (actionId) => {
    expect(() => synth({ adopt: { actionId } })).toThrow(
      /^test\/claims\/action: adopt\.actionId: .* is not an action id; copy it from the action's URL in Actions > Library/,
    );
  });
});
