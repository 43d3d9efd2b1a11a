// The preview runs the very bytes the stack deploys, with the secret the stack gives the action.
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { escapeTerraformTemplate } from "../src/compile/compile-action";
import { environments, exampleEnvironments } from "../src/environments";
import { compileEnvironmentFlow, startEnvironmentAction } from "../src/environment/load-action";
import { actionsOf } from "../src/flow/model";

test.each(environments.map((e) => e.name))(
  "environment %s: preview code = auth0_action.code in the synthesized stack",
  (name) => {
    const environment = environments.find((e) => e.name === name)!;
    const preview = compileEnvironmentFlow({
      env: name,
      namespace: environment.namespace ?? "https://example.com/claims",
    });
    const stack = new ClaimsStack(Testing.app(), environment);
    const synthesized = JSON.parse(Testing.synth(stack)).resource.auth0_action.app_metadata_claims;
    const claims = actionsOf(preview.flow).find((a) => a.name === "app-metadata-claims")!;
    expect(synthesized.code).toBe(escapeTerraformTemplate(claims.code));
    expect(claims.code).toBe(stack.claims.compiled.code);
    expect(synthesized.secrets).toEqual([{ name: "CLAIM_NAMESPACE", value: "${var.claim_namespace}" }]);
  },
);

test("the namespace the preview runs with is the environment's default unless overridden", async () => {
  const dev = environments[0];
  expect(compileEnvironmentFlow({ env: dev.name }).namespace).toBe(dev.namespace);
  const other = await startEnvironmentAction({ env: dev.name, namespace: "https://other.example" });
  const out = await other.runtime.login({ app_metadata: { roles: ["r"] } });
  await other.runtime.close();
  expect(Object.keys(out.idToken)).toEqual(["https://other.example/roles"]);
});

test("a flow's second managed action: the preview compiles the bytes the stack deploys", () => {
  const example = exampleEnvironments[0];
  const preview = compileEnvironmentFlow({ env: example.name });
  const stack = new ClaimsStack(Testing.app(), example);
  const synthesized = JSON.parse(Testing.synth(stack)).resource.auth0_action;
  const deny = actionsOf(preview.flow).find((a) => a.name === "deny-blocked-users")!;
  expect(synthesized.deny_blocked_users.code).toBe(escapeTerraformTemplate(deny.code));
  expect(Object.keys(synthesized).sort()).toEqual(["app_metadata_claims", "deny_blocked_users"]);
});
