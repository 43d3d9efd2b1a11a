// Proof with the real terraform binary that the code Auth0 receives equals the compiled code byte
// for byte, even when the action's source is full of ${ and %{.
import { TerraformStack, Testing } from "cdktf";
import { Auth0Provider } from "../.gen/providers/auth0/provider";
import { AppMetadataClaims } from "../src/constructs/app-metadata-claims";
import { terraform } from "./helpers/terraform";

function synthesizedCode(entry?: string): { compiled: string; synthesized: string } {
  const stack = new TerraformStack(Testing.app(), "escaping");
  new Auth0Provider(stack, "auth0", {});
  const claims = new AppMetadataClaims(stack, "claims", { entry, namespace: "https://example.com" });
  const json = JSON.parse(Testing.synth(stack));
  return { compiled: claims.compiled.code, synthesized: json.resource.auth0_action.claims.code };
}

test.each([
  ["an action built of template literals, ${ and %{", "__tests__/fixtures/template-literals.action.ts"],
  ["the project's own action", undefined],
])("%s reaches Terraform unchanged", (_name, entry) => {
  const { compiled, synthesized } = synthesizedCode(entry);
  if (entry) expect(compiled).toMatch(/\$\{[^}]*\}[\s\S]*%\{/);
  // Terraform evaluates the synthesized string exactly as it would for auth0_action.code.
  const run = terraform(
    { output: { code: { value: synthesized } } },
    ["apply", "-auto-approve", "-input=false"],
    ["output", "-json", "code"],
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  expect(JSON.parse(run.stdout)).toBe(compiled);
});

test("without escaping, terraform would not hand the same code to the provider", () => {
  const { compiled } = synthesizedCode("__tests__/fixtures/template-literals.action.ts");
  const run = terraform(
    { output: { code: { value: compiled } } },
    ["apply", "-auto-approve", "-input=false"],
    ["output", "-json", "code"],
  );
  const reachedAuth0 = run.status === 0 ? JSON.parse(run.stdout) : undefined;
  expect(reachedAuth0).not.toBe(compiled);
});
