// The tenant environments, one cdktf stack each: `cdktf diff dev`, `cdktf deploy prod`.
// Credentials never go here: the auth0 provider reads AUTH0_* from the environment at apply time.
import type { AppMetadataClaimsProps } from "./app-metadata-claims";

/** Where an environment's Terraform state lives. */
export type Backend =
  /** A file beside the project, `terraform.<env>.tfstate` by default. Fine for one person; no locking across machines. */
  | { readonly type: "local"; readonly path?: string }
  /** An S3 bucket with native S3 locking (Terraform >= 1.10). */
  | { readonly type: "s3"; readonly bucket: string; readonly key: string; readonly region: string; readonly encrypt?: boolean }
  /** HCP Terraform / Terraform Enterprise, one workspace per environment. */
  | { readonly type: "cloud"; readonly organization: string; readonly workspace: string; readonly hostname?: string };

/**
 * One environment: the construct's props (claimKeys, tokens, actionName, binding, adopt: see
 * AppMetadataClaimsProps for each), plus a name, a default namespace and a state backend.
 */
export interface EnvironmentConfig extends Pick<AppMetadataClaimsProps, "claimKeys" | "tokens" | "actionName" | "binding" | "adopt"> {
  /** Stack name, as given to `cdktf diff <name>`: lower case letters, digits and "-". */
  readonly name: string;
  /** Default claim namespace; omit it to require one at plan time (tfvars or TF_VAR_claim_namespace). @default - none */
  readonly namespace?: string;
  /** Where the state lives. @default { type: "local" } */
  readonly backend?: Backend;
}

export const environments: readonly EnvironmentConfig[] = [
  {
    name: "dev",
    namespace: "https://dev.example.com/claims",
    tokens: ["id", "access"],
  },
  {
    name: "prod",
    // No default: prod's namespace comes from prod.tfvars or TF_VAR_claim_namespace at plan time.
    tokens: ["id"],
    binding: { mode: "append" },
    backend: { type: "local" },
  },
];
