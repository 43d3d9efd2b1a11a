// Auth0's rules for custom claims (the facts are in ../auth0/facts.ts; Auth0's "Create Custom Claims"
// page), applied to what an action set, as Auth0 applies them when it issues the tokens.
import { RESTRICTED_CLAIMS, type TokenKind } from "../auth0/facts";
import { isNamespaced, reservedNamespace } from "../auth0/namespace-rule";

export interface ClaimContext {
  /** The access token's audience; an Auth0 API (…/api/v2/) refuses non-namespaced claims. */
  readonly audience?: string;
}

/** Why Auth0 would drop claim `name` from `token`, or undefined if it keeps it. */
export function claimNameProblem(name: string, token: TokenKind, context: ClaimContext = {}): string | undefined {
  if (typeof name !== "string" || name === "") return "claim name is not a non-empty string";
  const reserved = reservedNamespace(name);
  if (reserved !== undefined) return reserved;
  if (isNamespaced(name)) return undefined;
  if (RESTRICTED_CLAIMS.has(name))
    return `"${name}" is a restricted claim name; use a namespaced name such as https://example.com/${name}`;
  if (token === "access" && context.audience !== undefined && /\/api\/v2\/?$/.test(context.audience)) {
    return "access tokens for an Auth0 API can't carry non-namespaced claims";
  }
  return undefined;
}

/**
 * The JSON a claim value is sent as (JSON.stringify's, as Auth0 serializes tokens: nested functions
 * are left out, NaN becomes null), or the reason it can't be sent at all.
 */
export function claimJson(
  value: unknown,
): { json: string; problem?: undefined } | { json?: undefined; problem: string } {
  try {
    const json = JSON.stringify(value);
    if (json === undefined)
      return { problem: `value is ${value === undefined ? "undefined" : `a ${typeof value}`}, not JSON` };
    return { json };
  } catch (err) {
    const message = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err);
    if (/circular/i.test(message)) return { problem: "value is cyclic" };
    if (/BigInt/i.test(message)) return { problem: "value holds a bigint" };
    return { problem: `value can't be serialized (${message})` };
  }
}
