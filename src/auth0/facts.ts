// Auth0's facts that this project builds on, in one place: limits, claim rules, token kinds, the
// runtime and the trigger. Sources: Auth0's docs, "Actions limitations" and "Create Custom Claims".
// Kept free of esbuild and cdktf so every layer (compiler, constructs, runtime) can import it.

/** The Node runtime for new actions (node22 is GA since 2025-01-15; node18 is past end of life). */
export const ACTION_RUNTIME = "node22";

/** A trigger an action supports, as auth0_action.supported_triggers takes it. */
export interface ActionTrigger {
  /** The trigger's id, e.g. "post-login". */
  readonly id: string;
  /** The trigger's version, e.g. "v3". */
  readonly version: string;
}

/** The post-login trigger, at the version whose event and api the runtime and the actions implement. */
export const POST_LOGIN: ActionTrigger = Object.freeze({ id: "post-login", version: "v3" });

/** Auth0 refuses action code over 100 kB (npm modules excluded); counted as 1,000 bytes a kB, to be safe. */
export const MAX_ACTION_CODE_BYTES = 100_000;

/** All custom claims of one token together: at most 100 KB (1,024 bytes a KB), or the login fails. */
export const MAX_CUSTOM_CLAIMS_BYTES = 100 * 1024;

/** Auth0 ends a flow (every action bound to the trigger, together) after 20 s; the login fails. */
export const FLOW_TIMEOUT_MS = 20_000;

/** Protocols where Auth0 can't send the user anywhere: a redirect there fails the login ("Redirect with Actions"). */
export const NON_INTERACTIVE_PROTOCOLS: ReadonlySet<string> = new Set([
  "oauth2-resource-owner",
  "oauth2-refresh-token",
  "oauth2-password",
  "oauth2-resource-owner-jwt-bearer",
  "oauth2-token-exchange",
  "oauth2-device-code",
]);

/** Whether an action may redirect a login of `protocol` with the `prompt` values it was asked with. */
export function canRedirect(protocol: string, prompt: readonly string[]): boolean {
  return !NON_INTERACTIVE_PROTOCOLS.has(protocol) && !prompt.includes("none");
}

/** Tokens an action can put custom claims in: the ID token (also returned by /userinfo) and the access token. */
export type TokenKind = "id" | "access";
export const TOKEN_KINDS: readonly TokenKind[] = ["id", "access"];

/** Claim names Auth0 keeps for itself: set un-namespaced, they are silently dropped. */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set(
  (
    "acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest " +
    "entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf " +
    "nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date " +
    "sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256"
  ).split(" "),
);

/** Runtimes Auth0 still runs (node12 and node16 were removed in 2025). */
export const ACTION_RUNTIMES: readonly string[] = ["node18", "node22"];

/** Per action: at most 30 secrets, 10 npm modules; a secret's name at most 128 characters. */
export const MAX_ACTION_SECRETS = 30;
export const MAX_ACTION_DEPENDENCIES = 10;
export const MAX_SECRET_NAME_CHARS = 128;

/** At most 20 actions bound to one trigger's flow. */
export const MAX_FLOW_ACTIONS = 20;

/** A secret's value: at most 4,096 characters ("Actions limitations"; some older pages say 2,048). */
export const MAX_SECRET_VALUE_CHARS = 4096;

/** Entity limits ("Entity Limit Policy", Actions): 100 actions in a tenant, 50 versions of one action. */
export const MAX_TENANT_ACTIONS = 100;
export const MAX_ACTION_VERSIONS = 50;
