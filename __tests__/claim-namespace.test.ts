// The namespace rule, stated three times (HCL validation, synth-time check, the action's own guard),
// checked on one table of cases against the real terraform binary and the compiled action.
import { TerraformOutput, TerraformStack, Testing } from "cdktf";
import { NAMESPACE_SECRET } from "../src/compile/claims-action";
import { namespaceProblem } from "../src/auth0/namespace-rule";
import { ClaimNamespace } from "../src/constructs/claim-namespace";
import { loadCode } from "./helpers/claims-action";
import { compileClaims } from "./helpers/claims-action";
import { terraform } from "./helpers/terraform";

import { escapeControl } from "../src/errors";
import cases from "./fixtures/namespace-cases.json";

const ALLOWED: string[] = cases.allowed;
const REFUSED: string[] = cases.refused.map((c) => c.value);
/** Test names show control characters as escapes. */
const named = (values: string[]) => values.map((value) => [escapeControl(JSON.stringify(value)), value] as const);

describe("Terraform variable validation, run by the real terraform", () => {
  // One configuration with a variable per case, planned once: terraform reports every failing one.
  const all = [...ALLOWED, ...REFUSED];
  let failed: Set<string>;
  let stderr: string;
  beforeAll(() => {
    const stack = new TerraformStack(Testing.app(), "ns");
    all.forEach((_, i) => {
      const ns = new ClaimNamespace(stack, `ns${i}`, { variableName: `ns_${i}` });
      new TerraformOutput(stack, `out${i}`, { value: ns.value });
    });
    const args = all.flatMap((value, i) => ["-var", `ns_${i}=${value}`]);
    const run = terraform(JSON.parse(Testing.synth(stack)), ["plan", "-input=false", "-no-color", ...args]);
    stderr = run.stderr;
    failed = new Set(
      [...run.stderr.replace(/[│\s]+/g, " ").matchAll(/Invalid ns_(\d+) <(?!\$\{)/g)].map((m) => all[Number(m[1])]),
    );
  });

  test.each(named(ALLOWED))("accepts %s", (_name, value) => expect(failed.has(value)).toBe(false));
  test.each(named(REFUSED))("refuses %s", (_name, value) => expect(failed.has(value)).toBe(true));

  test("the message names the variable, the value and the fix", () => {
    const i = all.indexOf("https://tenant.auth0.com");
    const text = stderr.replace(/[│\s]+/g, " ");
    expect(
      text.includes(
        `Invalid ns_${i} <https://tenant.auth0.com>: use an http(s) URL you control, such as https://example.com/claims ` +
          "(auth0.com, webtask.io, webtask.run and urn:auth0 are reserved by Auth0). Set it with -var, a .tfvars file or TF_VAR_ns_" +
          i +
          ".",
      ),
    ).toBe(true);
  });
});

describe("the synth-time check of a default agrees", () => {
  test.each(named(ALLOWED))("accepts %s", (_name, value) => expect(namespaceProblem(value)).toBeUndefined());
  test.each(named(REFUSED))("refuses %s", (_name, value) =>
    expect(namespaceProblem(value)).toEqual(expect.any(String)),
  );

  test("a bad default fails at synth time, naming the prop, the value and the fix", () => {
    const stack = new TerraformStack(Testing.app(), "bad");
    expect(() => new ClaimNamespace(stack, "ns", { default: "https://tenant.auth0.com/" })).toThrow(
      'namespace: "https://tenant.auth0.com/" can\'t be a claim namespace (auth0.com, webtask.io and webtask.run are reserved by Auth0); use an http(s) URL you control, such as https://example.com/claims',
    );
  });

  test("a bad variable name is refused", () => {
    const stack = new TerraformStack(Testing.app(), "bad");
    expect(() => new ClaimNamespace(stack, "ns", { variableName: "Claim-NS" })).toThrow(
      /^bad: variableName: "Claim-NS" is not a usable Terraform variable name/,
    );
  });
});

describe("the compiled action's own guard agrees", () => {
  let code: string;
  beforeAll(() => {
    code = compileClaims(["roles"]).code;
  });
  const claimsWith = async (secret: string) =>
    Object.keys(
      (await loadCode(code, { secrets: { [NAMESPACE_SECRET]: secret } }).login({ app_metadata: { roles: ["r"] } }))
        .idToken,
    );

  test.each(named(ALLOWED))("sets claims under %s", async (_name, value) =>
    expect(await claimsWith(value)).toHaveLength(1),
  );
  test.each(named(REFUSED))("sets nothing under %s", async (_name, value) =>
    expect(await claimsWith(value)).toEqual([]),
  );
});
