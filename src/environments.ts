// The tenant environments, one cdktf stack each: `cdktf diff dev`, `cdktf deploy prod`.
// Credentials never go here: the auth0 provider reads AUTH0_* from the environment at apply time.
import type { AppMetadataClaimsProps } from "./constructs/app-metadata-claims";
import type { HandBoundAction } from "./constructs/post-login-flow";
import type { TypeScriptActionProps } from "./constructs/typescript-action";

/** Where an environment's Terraform state lives. */
export type Backend =
  /** A file beside the project, `terraform.<env>.tfstate` by default. Fine for one person; no locking across machines. */
  | { readonly type: "local"; readonly path?: string }
  /** An S3 bucket with native S3 locking (Terraform >= 1.10). */
  | {
      readonly type: "s3";
      readonly bucket: string;
      readonly key: string;
      readonly region: string;
      readonly encrypt?: boolean;
    }
  /** HCP Terraform / Terraform Enterprise, one workspace per environment. */
  | { readonly type: "cloud"; readonly organization: string; readonly workspace: string; readonly hostname?: string };

/** Another action managed here, as data (TypeScriptActionProps without secret values), so the preview can compile it. */
export type ManagedActionConfig = Pick<
  TypeScriptActionProps,
  "entry" | "actionName" | "constants" | "dependencies" | "runtime" | "adopt"
> & {
  /** Names of the action's secrets; each gets a sensitive variable, set with TF_VAR_... at apply time. @default [] */
  readonly secrets?: readonly string[];
};

/** One action of the flow besides the claims action: managed here, or (exclusive mode only) bound by hand. */
export type FlowEntryConfig = ManagedActionConfig | HandBoundAction;

/**
 * How the environment's post-login flow is bound (see PostLoginFlow): the claims action, with the
 * actions of `before` ahead of it and those of `after` behind it.
 */
export type EnvironmentBinding =
  | {
      readonly mode: "append";
      readonly before?: readonly ManagedActionConfig[];
      readonly after?: readonly ManagedActionConfig[];
    }
  | {
      readonly mode: "exclusive";
      readonly before?: readonly FlowEntryConfig[];
      readonly after?: readonly FlowEntryConfig[];
    }
  /** Retiring: every binding removed, the actions kept. Apply this, then remove the actions (docs/lifecycle.md). */
  | {
      readonly mode: "unbound";
      readonly before?: readonly ManagedActionConfig[];
      readonly after?: readonly ManagedActionConfig[];
    };

/**
 * One environment: the claims construct's props (claimKeys, tokens, actionName, secrets, adopt: see
 * AppMetadataClaimsProps for each), its flow, a name, a default namespace and a state backend.
 */
export interface EnvironmentConfig extends Pick<
  AppMetadataClaimsProps,
  "claimKeys" | "tokens" | "actionName" | "adopt"
> {
  /** Names of the claims action's other secrets (an adopted action's own); values from TF_VAR_... at apply time. @default [] */
  readonly secrets?: readonly string[];
  /** The post-login flow: its mode, and the actions before and after the claims action. @default { mode: "append" } */
  readonly binding?: EnvironmentBinding;
  /** Managed actions taken out of the flow but still deployed: step 1 of removing them (docs/lifecycle.md). @default [] */
  readonly retired?: readonly ManagedActionConfig[];
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

/**
 * Examples, not deployed (main.ts synthesizes `environments` only): the claims action and a second
 * managed action in one exclusive flow; an action that reads a secret after the claims action; a
 * default-role writer before it and an API call with a secret after it; a redirect to a terms page.
 * Preview one with `npm run preview -- --env flow-example`; copy it into `environments` to deploy it
 * (docs/flow.md).
 */
export const exampleEnvironments: readonly EnvironmentConfig[] = [
  {
    name: "flow-example",
    namespace: "https://example.com/claims",
    tokens: ["id", "access"],
    binding: { mode: "exclusive", before: [{ entry: "actions/deny-blocked-users.ts" }] },
  },
  {
    // An action with a secret: its value comes from TF_VAR_support_user_hash_secret_user_hash_key at
    // apply time, and from that variable or --secrets-file when previewed (docs/flow.md#secrets).
    name: "secrets-example",
    namespace: "https://example.com/claims",
    tokens: ["id"],
    binding: {
      mode: "append",
      after: [
        {
          entry: "actions/support-user-hash.ts",
          secrets: ["USER_HASH_KEY"],
          constants: { USER_HASH_CLAIM: "https://example.com/claims/user_hash" },
        },
      ],
    },
  },
  {
    // The post-login api beyond claims (docs/post-login-api.md): a default role written to
    // app_metadata before the claims action copies it, and entitlements fetched from an API with a
    // secret token after it. Preview it against a mock of the API with --allow-fetch.
    name: "enrichment-example",
    namespace: "https://example.com/claims",
    tokens: ["id", "access"],
    binding: {
      mode: "append",
      before: [{ entry: "actions/default-role.ts", constants: { DEFAULT_ROLES: ["viewer"] } }],
      after: [
        {
          entry: "actions/entitlements-api.ts",
          secrets: ["ENTITLEMENTS_API_URL", "ENTITLEMENTS_API_TOKEN"],
          constants: { ENTITLEMENTS_CLAIM: "https://example.com/claims/entitlements" },
        },
      ],
    },
  },
  {
    // A redirect (docs/post-login-api.md#redirects): users who have not accepted the current terms go
    // to a terms page first and come back through /continue, where the acceptance is saved.
    name: "consent-example",
    namespace: "https://example.com/claims",
    tokens: ["id", "access"],
    binding: {
      mode: "append",
      before: [
        {
          entry: "actions/terms-consent.ts",
          secrets: ["CONSENT_PAGE_URL", "CONSENT_SECRET"],
          constants: { TERMS_VERSION: "2026-12" },
        },
      ],
    },
  },
];

/** An environment's post-login flow, in order: the claims action's place and the others' configs. */
export function flowOf(environment: EnvironmentConfig): readonly ("claims" | FlowEntryConfig)[] {
  const binding = environment.binding ?? { mode: "append" };
  return [...(binding.before ?? []), "claims", ...(binding.after ?? [])];
}

/** Whether a flow entry is an action managed here (it has an entry file) rather than one bound by hand. */
export function isManaged(entry: FlowEntryConfig): entry is ManagedActionConfig {
  return typeof (entry as ManagedActionConfig).entry === "string";
}
