// Refresh tokens as Auth0 treats them: each refresh-token exchange runs post-login again, on the
// user's current record, so new app_metadata reaches the new tokens while old tokens keep old claims.
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import { notRunHere, requestedScopes, type TenantUser, type TenantUsers } from "./users";

/** Called where oidc-provider loads the account: at a refresh-token exchange, the action runs first. */
export async function refreshRunsTheAction(
  ctx: KoaContextWithOIDC,
  user: TenantUser,
  users: TenantUsers,
): Promise<void> {
  if (ctx.oidc?.route !== "token" || ctx.oidc.params?.grant_type !== "refresh_token") return;
  // The scopes asked for again, or the refresh token's own: what api.accessToken.addScope adds to.
  const scopes = requestedScopes(ctx.oidc.params?.scope ?? ctx.oidc.entities.RefreshToken?.scope);
  const outcome = await users.login(user, "oauth2-refresh-token", {
    requestedScopes: scopes,
  });
  // A denial at refresh fails the exchange, as in Auth0; the refresh token itself stays.
  if (outcome.denied !== null) throw new errors.AccessDenied(outcome.denied);
  const unmet = notRunHere(outcome);
  if (unmet !== undefined) throw new errors.AccessDenied(unmet);
}
