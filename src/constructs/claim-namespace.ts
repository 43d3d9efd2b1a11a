// The claim namespace: a Terraform variable whose validation holds Auth0's namespace rules, so a bad
// value stops `cdktf diff/deploy` before anything reaches the tenant.
import { Token, TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { namespaceCode, namespaceProblem } from "../auth0/namespace-rule";
import { NAMESPACE_VARIABLE } from "../compile/claims-action";
import { ConstructPropError } from "./construct-error";

export const DEFAULT_NAMESPACE_VARIABLE = NAMESPACE_VARIABLE;

export interface ClaimNamespaceProps {
  /** Name of the Terraform variable (so also of `TF_VAR_<name>`). @default "claim_namespace" */
  readonly variableName?: string;
  /** Value used when none is given at plan time; checked at synth time. @default - none: the value must come from tfvars or TF_VAR_<name> */
  readonly default?: string;
}

export class ClaimNamespace extends Construct {
  /** The variable's name in Terraform. */
  public readonly variableName: string;
  /** The default, when one was given. */
  public readonly default?: string;
  /** The variable's value, as a token to pass to other resources. */
  public readonly value: string;

  constructor(scope: Construct, id: string, props: ClaimNamespaceProps = {}) {
    super(scope, id);
    // Errors name `scope`: its owner (AppMetadataClaims) took the value as its own prop.
    this.variableName = props.variableName ?? DEFAULT_NAMESPACE_VARIABLE;
    if (!/^[a-z][a-z0-9_]*$/.test(this.variableName)) {
      throw new ConstructPropError(
        scope,
        "ERR_NAMESPACE_VARIABLE",
        `variableName: "${this.variableName}" is not a usable Terraform variable name; use lower case letters, digits and _ (e.g. "claim_namespace")`,
      );
    }
    if (props.default !== undefined && !Token.isUnresolved(props.default)) {
      const problem = namespaceProblem(props.default);
      if (problem) {
        throw new ConstructPropError(
          scope,
          namespaceCode(props.default),
          `namespace: "${props.default}" can't be a claim namespace (${problem}); use an http(s) URL you control, such as https://example.com/claims`,
        );
      }
    }
    this.default = props.default;
    const ref = `var.${this.variableName}`;
    const variable = new TerraformVariable(this, "variable", {
      type: "string",
      default: props.default,
      nullable: false,
      description:
        "Namespace of the custom claims, an http(s) URL you control (claim name = namespace + '/' + app_metadata key). " +
        `Set it with -var, a .tfvars file or TF_VAR_${this.variableName}.`,
      validation: [
        {
          condition:
            // RE2 escapes written for an HCL string: "\\\\" is one backslash in the pattern.
            `\${can(regex("^https?://[^/?#[:space:]]+", lower(${ref}))) && ` +
            `!can(regex("[\\\\p{Cc}\\\\p{Cf}\\\\p{Z}]", ${ref})) && ` +
            `!can(regex("^https?://([^/?#\\\\\\\\]*[.@])?(auth0[.]com|webtask[.]io|webtask[.]run)[.]?(:[0-9]*)?([/?#\\\\\\\\]|$)", lower(${ref})))}`,
          errorMessage:
            // No quotes around the value: cdktf's HCL output (cdktf synth --hcl) garbles a quoted interpolation.
            `Invalid ${this.variableName} <\${${ref}}>: use an http(s) URL you control, such as https://example.com/claims ` +
            `(auth0.com, webtask.io, webtask.run and urn:auth0 are reserved by Auth0). ` +
            `Set it with -var, a .tfvars file or TF_VAR_${this.variableName}.`,
        },
      ],
    });
    variable.overrideLogicalId(this.variableName);
    this.value = variable.stringValue;
  }
}
