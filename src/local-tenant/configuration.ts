// oidc-provider's configuration for the local tenant: Auth0's paths, its `audience` parameter (JWT
// access tokens for an API), refresh tokens as Auth0 issues them, and claims from the action's outcome.
import { randomBytes } from "node:crypto";
import type { JWK } from "jose";
import type Provider from "oidc-provider";
import type { Configuration, KoaContextWithOIDC } from "oidc-provider";
import instance from "oidc-provider/lib/helpers/weak_cache.js";
import { clientMetadata, type ClientSettings } from "./clients";
import { OIDC_SCOPES } from "./context";
import { escapeHtml } from "../errors";
import { CURRENT_USER_SCOPES, managementAudience } from "./management-access";
import { loadGrantAfterSsoLogin, offlineAccessRequested, OFFLINE_ACCESS_PARAM } from "./login-interaction";
import { refreshRunsTheAction } from "./refresh";
import { tokenStore } from "./token-store";
import type { TenantUsers } from "./users";

/**
 * Lets claim `names` into ID tokens: oidc-provider keeps only the claims its configuration lists under
 * a scope, fixed when it starts, while a deployed action may set any name at any login. Added to the
 * `openid` scope of the provider's own configuration (an internal of oidc-provider 8.8.1, pinned;
 * tests/local-tenant-deploy.test.ts fails if an upgrade moves it).
 */
export function allowClaims(provider: Provider, names: Iterable<string>): void {
  const configuration = instance(provider).configuration();
  const openid = configuration.claims.openid as Record<string, null>;
  for (const name of names) {
    if (configuration.claimsSupported.has(name)) continue;
    openid[name] = null;
    configuration.claimsSupported.add(name);
  }
}

export function providerConfiguration(users: TenantUsers, jwk: JWK, clients: ClientSettings): Configuration {
  return {
    clients: clientMetadata(clients),
    adapter: tokenStore(),
    routes: {
      authorization: "/authorize",
      token: "/oauth/token",
      userinfo: "/userinfo",
      jwks: "/.well-known/jwks.json",
      revocation: "/oauth/revoke",
    },
    jwks: { keys: [jwk] },
    scopes: OIDC_SCOPES,
    claims: {
      // Custom claims are added as logins set them (allowClaims).
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "nickname", "picture", "updated_at"],
    },
    // Auth0 puts profile claims in the ID token even when it issues an access token.
    conformIdTokenClaims: false,
    extraParams: ["audience", OFFLINE_ACCESS_PARAM],
    pkce: { required: () => false, methods: ["S256"] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    // Auth0 issues a refresh token whenever offline_access was asked for (no consent prompt) and keeps
    // it across uses unless rotation is turned on.
    issueRefreshToken: (ctx, client, code) =>
      client.grantTypeAllowed("refresh_token") && (code.scopes.has("offline_access") || offlineAccessRequested(ctx)),
    rotateRefreshToken: false,
    // Auth0's defaults (seconds); set, not left to oidc-provider, which prints a notice for each default.
    ttl: {
      AccessToken: 86_400,
      AuthorizationCode: 60,
      ClientCredentials: 86_400,
      Grant: 2_592_000,
      IdToken: 36_000,
      Interaction: 3_600,
      RefreshToken: 2_592_000,
      Session: 259_200,
    },
    features: {
      devInteractions: { enabled: false },
      // Logout is Auth0's /v2/logout (logout.ts); without end_session_endpoint in discovery, Auth0's SDKs use it.
      rpInitiatedLogout: { enabled: false },
      resourceIndicators: AUDIENCE_PARAMETER,
    },
    interactions: { url: (_ctx, interaction) => `/u/login/${interaction.uid}` },
    ...accountHooks(users),
    // An API's JWT access token carries the scope the actions left (api.accessToken.addScope/removeScope).
    formats: {
      customizers: {
        jwt: (_ctx, token, jwt) => {
          const accountId = (token as { accountId?: string }).accountId;
          const scope =
            accountId && token.kind === "AccessToken" && jwt.payload.aud !== managementAudienceOf(jwt.payload.iss)
              ? users.accessTokenScope(accountId)
              : undefined;
          if (scope !== undefined) {
            jwt.payload.scope = scope;
            (token as { scope?: string }).scope = scope;
          }
          return jwt;
        },
      },
    },
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>error</title><h1>${escapeHtml(String(out.error))}</h1><p>${escapeHtml(String(out.error_description ?? ""))}</p>\n`;
    },
  };
}

/** Auth0's `audience` parameter gives a JWT access token for that API, carrying the access-token claims. */
const AUDIENCE_PARAMETER: NonNullable<Configuration["features"]>["resourceIndicators"] = {
  enabled: true,
  // Typed as always returning a resource; returning none means "no audience": an opaque access token.
  defaultResource: ((ctx: KoaContextWithOIDC) =>
    ctx.oidc.params?.audience as string | undefined) as unknown as () => string,
  useGrantedResource: () => true,
  getResourceServerInfo: (ctx: KoaContextWithOIDC, resource: string) => ({
    // A refresh keeps only these: a user's Management API token keeps its current-user scopes too.
    scope: [
      ...OIDC_SCOPES,
      ...(resource === managementAudience(ctx.oidc.provider.issuer) ? CURRENT_USER_SCOPES : []),
    ].join(" "),
    audience: resource,
    accessTokenFormat: "jwt",
    jwt: { sign: { alg: "RS256" } },
  }),
};

/** Who logs in and what their tokens carry: the users' records and their latest action outcome. */
function accountHooks(
  users: TenantUsers,
): Pick<Configuration, "loadExistingGrant" | "extraTokenClaims" | "findAccount"> {
  return {
    loadExistingGrant: (ctx) => loadGrantAfterSsoLogin(ctx, users),
    extraTokenClaims: (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      return accountId ? users.accessTokenClaims(accountId) : {};
    },
    findAccount: async (ctx, sub) => {
      const user = users.bySubject(sub);
      if (!user) return undefined;
      await refreshRunsTheAction(ctx, user, users);
      return {
        accountId: sub,
        claims: () => ({ sub, ...users.profile(user), ...users.idTokenClaims(sub) }),
      };
    },
  };
}

/** The Management API's audience for the issuer `iss`: its tokens' scopes are Auth0's, never an action's. */
function managementAudienceOf(iss: unknown): string | undefined {
  return typeof iss === "string" ? managementAudience(iss) : undefined;
}
