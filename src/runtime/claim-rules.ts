// Auth0's rules for custom claims (../shared/AUTH0-FACTS.md, "Create Custom Claims" in Auth0's docs),
// applied to what an action set, as Auth0 applies them when it issues the tokens.
import { isNamespaced, reservedNamespace } from "../namespace-rule";

/** Claim names Auth0 keeps for itself: set un-namespaced, they are silently dropped. */
export const RESTRICTED_CLAIMS: ReadonlySet<string> = new Set(
  (
    "acr act active amr at_hash ath attest aud auth_time authorization_details azp c_hash client_id cnf cty dest " +
    "entitlements events exp groups gty htm htu iat internalService iss jcard jku jti jwe jwk kid may_act mky nbf " +
    "nonce object_id org_id org_name orig origid permissions roles rph s_hash sid sip_callid sip_cseq_num sip_date " +
    "sip_from_tag sip_via_branch sub sub_jwk toe txn typ uuid vot vtm x5t#S256"
  ).split(" "),
);

/** All custom claims of one token together: at most 100 KB, or the login fails. */
export const MAX_CUSTOM_CLAIMS_BYTES = 100 * 1024;

export type TokenName = "id" | "access";

export interface ClaimContext {
  /** The access token's audience; an Auth0 API (…/api/v2/) refuses non-namespaced claims. */
  readonly audience?: string;
}

/** Why Auth0 would drop claim `name` from `token`, or undefined if it keeps it. */
export function claimNameProblem(name: string, token: TokenName, context: ClaimContext = {}): string | undefined {
  if (typeof name !== "string" || name === "") return "claim name is not a non-empty string";
  const reserved = reservedNamespace(name);
  if (reserved !== undefined) return reserved;
  if (isNamespaced(name)) return undefined;
  if (RESTRICTED_CLAIMS.has(name)) return `"${name}" is a restricted claim name; use a namespaced name such as https://example.com/${name}`;
  if (token === "access" && context.audience !== undefined && /\/api\/v2\/?$/.test(context.audience)) {
    return "access tokens for an Auth0 API can't carry non-namespaced claims";
  }
  return undefined;
}

/**
 * The JSON a claim value is sent as (JSON.stringify's, as Auth0 serializes tokens: nested functions
 * are left out, NaN becomes null), or the reason it can't be sent at all.
 */
export function claimJson(value: unknown): { json: string; problem?: undefined } | { json?: undefined; problem: string } {
  try {
    const json = JSON.stringify(value);
    if (json === undefined) return { problem: `value is ${value === undefined ? "undefined" : `a ${typeof value}`}, not JSON` };
    return { json };
  } catch (err) {
    const message = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
    if (/circular/i.test(message)) return { problem: "value is cyclic" };
    if (/BigInt/i.test(message)) return { problem: "value holds a bigint" };
    return { problem: `value can't be serialized (${message})` };
  }
}
