// HCL for review (`cdktf synth --hcl`): the same code and the same validation as the JSON, checked
// with the real terraform binary on a provider-less configuration rendered by cdktf's HCL renderer.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { format } from "@cdktf/hcl-tools";
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { ClaimNamespace } from "../src/constructs/claim-namespace";
import { compileAction } from "../src/compile/compile-action";
import { projectRoot } from "../src/project-root";
import { terraformDir, type TerraformDir } from "./helpers/terraform";

const root = projectRoot();

// One provider-less configuration rendered as HCL, one terraform init, then each test's command.
let hcl: string;
let compiled: ReturnType<typeof compileAction>;
let tf: TerraformDir;
beforeAll(() => {
  const stack = new TerraformStack(Testing.app(), "hcl");
  const namespace = new ClaimNamespace(stack, "ns");
  compiled = compileAction({ entry: "__tests__/fixtures/template-literals.action.ts" });
  new TerraformOutput(stack, "code", { value: compiled.terraformCode });
  new TerraformOutput(stack, "namespace", { value: namespace.value });
  hcl = Testing.synthHcl(stack) as string;
  tf = terraformDir({ hcl });
});
afterAll(() => tf?.remove());

test("code rendered as an HCL heredoc reaches Terraform unchanged but for one final newline", () => {
  expect(hcl).toContain("<<EOF");
  expect(tf.run(["apply", "-auto-approve", "-input=false", "-var", "claim_namespace=https://example.com"]).status).toBe(
    0,
  );
  const out = tf.run(["output", "-json", "code"]);
  expect(out.status).toBe(0);
  // cdktf's HCL renderer writes `<<EOF\n${lines.join("\n")}\nEOF` (cdktf/lib/hcl/render.js, renderString),
  // so a heredoc always holds one more newline than the string; every ${ and %{ survives. The HCL is
  // for review: `cdktf deploy` synthesizes JSON, which carries the code exactly.
  expect(JSON.parse(out.stdout)).toBe(compiled.code + "\n");
});

test("the namespace validation works in HCL and names the value", () => {
  const out = tf.run(["plan", "-input=false", "-no-color", "-var", "claim_namespace=https://x.auth0.com"]);
  expect(out.status).not.toBe(0);
  expect(out.stderr.replace(/[│\s]+/g, " ")).toContain(
    "Invalid claim_namespace <https://x.auth0.com>: use an http(s) URL you control",
  );
});

// `cdktf synth --hcl` does two things (@cdktf/cli-core 0.21, src/lib/synth-stack.js): it runs cdktf.json's
// app with CDKTF_OUTDIR and SYNTH_HCL_OUTPUT=true, then formats each stack's cdk.tf with @cdktf/hcl-tools.
// Both are done here the same way; the CLI itself runs once in the suite (stacks.test.ts), as its 4 s
// start would be paid again here for nothing it adds.
test("cdktf synth --hcl's two steps write cdk.tf for every environment, the action code as a heredoc", async () => {
  const out = mkdtempSync(join(tmpdir(), "claims-hcl-cli-"));
  try {
    const { app } = JSON.parse(readFileSync(join(root, "cdktf.json"), "utf8")) as { app: string };
    const run = spawnSync(app, {
      shell: true,
      cwd: root,
      env: {
        ...process.env,
        CDKTF_OUTDIR: out,
        CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: "true",
        SYNTH_HCL_OUTPUT: "true",
      },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const env of ["dev", "prod"]) {
      const hcl = await format(readFileSync(join(out, "stacks", env, "cdk.tf"), "utf8"));
      expect(hcl).toMatch(
        /resource "auth0_action" "app_metadata_claims" \{\n {2}code {4}= <<EOF\n\/\/ Auth0 post-login action compiled from actions\/post-login-claims\.ts/,
      );
      expect(hcl).toContain('resource "auth0_trigger_action" "app_metadata_claims"');
      expect(hcl).toContain('error_message = "Invalid claim_namespace <${var.claim_namespace}>: use');
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
