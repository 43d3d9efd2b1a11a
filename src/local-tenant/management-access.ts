// Who may use the local tenant's Management API, as Auth0 decides it: a machine client gets the
// scopes of its client grant through client credentials; a user's own login gets only Auth0's
// current-user scopes, on that user's record. Every /api/v2/ route checks a token through here.
import { quote } from "../errors";
import { LOCAL_CLIENT_ID, MANAGEMENT_CLIENT_ID, MANAGEMENT_SCOPES } from "./clients";
import { OIDC_SCOPES } from "./context";
import { HttpError } from "./http";

/** The Management API's audience on this tenant, as Auth0 names it. */
export function managementAudience(url: string): string {
  return `${url}api/v2/`;
}

/** Auth0's client grants to the Management API: which client may ask for which scopes. */
export const MANAGEMENT_CLIENT_GRANTS: ReadonlyMap<string, readonly string[]> = new Map([
  [MANAGEMENT_CLIENT_ID, MANAGEMENT_SCOPES],
]);

/** Applications whose users log in; their tokens for the Management API act for that user only. */
const LOGIN_CLIENTS: readonly string[] = [LOCAL_CLIENT_ID];

/**
 * The current-user scopes the local tenant serves (of Auth0's list in "Get Management API Access
 * Tokens for Single-Page Applications"): the only scopes a user's token for the Management API gets.
 */
export const CURRENT_USER_SCOPES: readonly string[] = [
  "read:current_user",
  "update:current_user_metadata",
  "create:current_user_metadata",
];

/** An error as the Management API answers it: { statusCode, error, message, errorCode? }. */
export class ManagementError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(status, message);
  }
}

/** Whom a verified Management API token speaks for, and the scopes that count for it. */
export type ManagementCaller =
  | { readonly kind: "client"; readonly clientId: string; readonly scopes: ReadonlySet<string> }
  | { readonly kind: "user"; readonly clientId: string; readonly userId: string; readonly scopes: ReadonlySet<string> };

/** What a route needs: one of `scopes` (a client's token), or a user's own token on `currentUser.userId`. */
export interface ManagementAccess {
  readonly scopes: readonly string[];
  readonly currentUser?: { readonly userId: string; readonly scopes: readonly string[] };
}

/**
 * The scope a user's login (code flow, password grant) gets for an API `audience`: for the
 * Management API only the OpenID and current-user scopes it asked for, as Auth0 drops the others;
 * for any other API what it asked for.
 */
export function userScopeFor(audience: string, issuer: string, requested: string): string {
  if (audience !== managementAudience(issuer)) return requested;
  return requested
    .split(" ")
    .filter((scope) => OIDC_SCOPES.includes(scope) || CURRENT_USER_SCOPES.includes(scope))
    .join(" ");
}

/**
 * The caller of a token whose signature, issuer, audience and expiry were checked: a client through
 * client credentials with a grant to this API (only granted scopes count), or a user through a login
 * application (only current-user scopes count). Any other token is 401 invalid_token.
 */
export function managementCaller(claims: Readonly<Record<string, unknown>>): ManagementCaller {
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (claims.gty === "client-credentials") {
    const clientId = typeof claims.azp === "string" ? claims.azp : "";
    const granted = MANAGEMENT_CLIENT_GRANTS.get(clientId);
    if (!granted || sub !== `${clientId}@clients`)
      throw new ManagementError(
        401,
        `Invalid token: client ${quote(clientId)} has no grant to the Management API`,
        "invalid_token",
      );
    return { kind: "client", clientId, scopes: new Set(scopes.filter((s) => granted.includes(s))) };
  }
  // oidc-provider's access tokens name the client in client_id; Auth0's in azp.
  const clientId =
    typeof claims.client_id === "string" ? claims.client_id : typeof claims.azp === "string" ? claims.azp : "";
  if (!LOGIN_CLIENTS.includes(clientId) || sub === "" || sub.endsWith("@clients")) {
    throw new ManagementError(
      401,
      `Invalid token: not issued to ${LOGIN_CLIENTS.join(", ")} for a user's login, nor to a client with a grant to the Management API`,
      "invalid_token",
    );
  }
  return {
    kind: "user",
    clientId,
    userId: sub,
    scopes: new Set(scopes.filter((s) => CURRENT_USER_SCOPES.includes(s))),
  };
}

/** 403 insufficient_scope unless `caller` may do what `access` describes. */
export function requireAccess(caller: ManagementCaller, access: ManagementAccess): void {
  const own = access.currentUser;
  const allowed =
    caller.kind === "client"
      ? access.scopes.some((s) => caller.scopes.has(s))
      : own !== undefined && own.userId === caller.userId && own.scopes.some((s) => caller.scopes.has(s));
  if (allowed) return;
  throw new ManagementError(
    403,
    `Insufficient scope, expected any of: ${[...access.scopes, ...(own?.scopes ?? [])].join(",")}`,
    "insufficient_scope",
  );
}
