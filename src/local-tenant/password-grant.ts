// Auth0's Resource Owner Password grant (grant_type=password), which oidc-provider leaves to the
// host: post-login runs, then an ID token, an access token (a JWT for an `audience`) and, with
// offline_access, a refresh token.
import type Provider from "oidc-provider";
import { OIDC_SCOPES, type TenantContext } from "./context";
import { managementAudience, userScopeFor } from "./management-access";
import { notRunHere, requestedScope, requestedScopes } from "./users";

// oidc-provider has the class but its types leave it out.
type ResourceServerClass = new (
  identifier: string,
  info: object,
) => NonNullable<InstanceType<Provider["AccessToken"]>["resourceServer"]>;

const PARAMETERS = ["username", "password", "scope", "audience", "realm"];

export function registerPasswordGrant(t: TenantContext): void {
  const { provider } = t;
  provider.registerGrantType(
    "password",
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const user = t.users.authenticate(params.username, params.password, t.password);
      if (!user) {
        ctx.status = 403;
        ctx.body = { error: "invalid_grant", error_description: "Wrong email or password." };
        return;
      }
      const requested = requestedScope(params.scope);
      const outcome = await t.users.login(user, "oauth2-resource-owner", {
        requestedScopes: requestedScopes(params.scope),
      });
      if (outcome.denied !== null) {
        ctx.status = 403;
        ctx.body = { error: "access_denied", error_description: outcome.denied };
        return;
      }
      const unmet = notRunHere(outcome);
      if (unmet !== undefined) {
        // What Auth0 answers a password grant whose flow asks for MFA.
        ctx.status = 403;
        ctx.body = { error: "mfa_required", error_description: unmet };
        return;
      }
      const client = ctx.oidc.client!;
      const scopes = requested.split(" ").filter((s) => OIDC_SCOPES.includes(s));
      const scope = scopes.join(" ");
      const audience = params.audience || undefined;
      // The Management API also takes Auth0's current-user scopes from a user (management-access.ts);
      // an API's token carries the scope the actions left (api.accessToken.addScope/removeScope).
      const apiScope =
        audience && audience === managementAudience(t.url)
          ? userScopeFor(audience, t.url, requested)
          : audience
            ? (t.users.accessTokenScope(user.sub) ?? scope)
            : scope;
      const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId });
      grant.addOIDCScope(scope);
      if (audience) grant.addResourceScope(audience, apiScope);
      const grantId = await grant.save();

      const at = new provider.AccessToken({ accountId: user.sub, client, grantId, gty: "password", scope: apiScope });
      if (audience)
        at.resourceServer = new (provider as unknown as { ResourceServer: ResourceServerClass }).ResourceServer(
          audience,
          { scope: apiScope, audience, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } } },
        );
      const accessToken = await at.save();
      const body: Record<string, unknown> = {
        access_token: accessToken,
        expires_in: at.expiration,
        scope: apiScope,
        token_type: "Bearer",
      };
      if (scopes.includes("offline_access") && client.grantTypeAllowed("refresh_token")) {
        // With the API's scopes, so an exchange can give them again (oidc-provider's refresh asks the token).
        const rtScope = [...new Set([...scopes, ...apiScope.split(" ")])].filter(Boolean).join(" ");
        const rt = new provider.RefreshToken({
          accountId: user.sub,
          client,
          grantId,
          gty: "password",
          scope: rtScope,
          resource: audience,
          rotations: 0,
          expiresWithSession: false,
        });
        body.refresh_token = await rt.save();
      }
      if (scopes.includes("openid")) {
        const account = await provider.Account.findAccount(ctx, user.sub);
        const idToken = new provider.IdToken(
          { ...(await account!.claims("id_token", scope, {}, [])), auth_time: Math.floor(Date.now() / 1000) },
          { ctx },
        );
        (idToken as unknown as { scope: string }).scope = scope;
        idToken.set("at_hash", accessToken);
        body.id_token = await idToken.issue({ use: "idtoken" });
      }
      ctx.body = body;
      await next();
    },
    PARAMETERS,
  );
}
