// The tenant environments, one cdktf stack each: `cdktf diff dev`, `cdktf deploy prod`.
// Credentials never go here: the auth0 provider reads AUTH0_* from the environment at apply time.
import type { Adoption, Binding, TokenKind } from "./app-metadata-claims";

/** Where an environment's Terraform state lives. */
export type Backend =
  /** A file beside the project, `terraform.<env>.tfstate` by default. Fine for one person; no locking across machines. */
  | { readonly type: "local"; readonly path?: string }
  /** An S3 bucket with native S3 locking (Terraform >= 1.10). */
  | { readonly type: "s3"; readonly bucket: string; readonly key: string; readonly region: string; readonly encrypt?: boolean }
  /** HCP Terraform / Terraform Enterprise, one workspace per environment. */
  | { readonly type: "cloud"; readonly organization: string; readonly workspace: string; readonly hostname?: string };

export interface EnvironmentConfig {
  /** Stack name, as given to `cdktf diff <name>`: lower case letters, digits and "-". */
  readonly name: string;
  /** Default claim namespace; omit it to require one at plan time (tfvars or TF_VAR_claim_namespace). @default - none */
  readonly namespace?: string;
  /** app_metadata fields to copy. @default ["roles", "permissions"] */
  readonly claimKeys?: readonly string[];
  /** Tokens that carry the claims. @default ["id"] */
  readonly tokens?: readonly TokenKind[];
  /** The action's name in the tenant. @default "app-metadata-claims" */
  readonly actionName?: string;
  /** How the action is bound to post-login. @default { mode: "append" } */
  readonly binding?: Binding;
  /** Where the state lives. @default { type: "local" } */
  readonly backend?: Backend;
  /** An action made by hand to take over (import) instead of creating a second one. @default - none */
  readonly adopt?: Adoption;
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
