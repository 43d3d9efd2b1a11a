// A local OpenID Provider at Auth0's paths, built on oidc-provider, that runs an environment's
// compiled post-login action on every login and issues exactly the claims it computes.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK } from "jose";
import Provider, { type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import type { EnvironmentAction } from "../preview/environment-action";
import type { ExportedUser, LoginOutcome } from "../runtime/post-login-runtime";
import { escapeHtml, loginPage } from "./login-page";

export const LOCAL_CLIENT_ID = "local-test-client";
export const LOCAL_CLIENT_SECRET = "local-test-secret";
/** Any port on these hosts is accepted (a native client's loopback redirect, RFC 8252). */
export const LOCAL_REDIRECT_URIS = ["http://127.0.0.1/callback", "http://localhost/callback"];
const OIDC_SCOPES = ["openid", "profile", "email", "offline_access"];

export interface LocalTenantOptions {
  /** The environment's action, loaded in the preview runtime. */
  readonly action: EnvironmentAction;
  /** Users who can log in. */
  readonly users: readonly ExportedUser[];
  /** Password of every user. */
  readonly password: string;
  /** Port on 127.0.0.1; 0 picks a free one. @default 4000 */
  readonly port?: number;
}

export interface LocalTenant {
  /** Issuer and base URL, with a trailing slash as Auth0's. */
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

interface TenantUser {
  readonly sub: string;
  readonly user: ExportedUser;
}

export async function startLocalTenant(options: LocalTenantOptions): Promise<LocalTenant> {
  const users = options.users.map((user): TenantUser => ({ sub: String(user.user_id), user }));
  const bySub = new Map(users.map((u) => [u.sub, u]));
  const byLogin = new Map<string, TenantUser>();
  for (const u of users) {
    byLogin.set(u.sub.toLowerCase(), u);
    if (typeof u.user.email === "string") byLogin.set(u.user.email.toLowerCase(), u);
  }
  // The outcome of each user's latest login: what their tokens and /userinfo carry.
  const outcomes = new Map<string, LoginOutcome>();
  const login = async (u: TenantUser): Promise<LoginOutcome> => {
    const outcome = await options.action.runtime.login(u.user);
    outcomes.set(u.sub, outcome);
    return outcome;
  };
  // Names of every custom claim the action can set for these users, so oidc-provider lets them through.
  const customClaims = new Set<string>();
  for (const u of users) {
    const outcome = await options.action.runtime.login(u.user);
    for (const name of [...Object.keys(outcome.idToken), ...Object.keys(outcome.accessToken)]) customClaims.add(name);
  }

  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid: "local-tenant", alg: "RS256", use: "sig" };
  const port = options.port ?? 4000;
  // The real port is known only once listening; the issuer needs it, so listen first on a plain server.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  const profile = (u: TenantUser) => ({
    email: u.user.email,
    email_verified: u.user.email_verified ?? false,
    name: u.user.name,
    nickname: u.user.nickname,
    picture: u.user.picture,
    updated_at: typeof u.user.updated_at === "string" ? Math.floor(Date.parse(u.user.updated_at) / 1000) || undefined : undefined,
  });

  const configuration: Configuration = {
    clients: [
      {
        client_id: LOCAL_CLIENT_ID,
        client_secret: LOCAL_CLIENT_SECRET,
        application_type: "native",
        redirect_uris: LOCAL_REDIRECT_URIS,
        grant_types: ["authorization_code", "refresh_token", "password"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    routes: {
      authorization: "/authorize",
      token: "/oauth/token",
      userinfo: "/userinfo",
      jwks: "/.well-known/jwks.json",
      end_session: "/oidc/logout",
      revocation: "/oauth/revoke",
    },
    jwks: { keys: [jwk] },
    scopes: OIDC_SCOPES,
    claims: {
      openid: ["sub", ...customClaims],
      email: ["email", "email_verified"],
      profile: ["name", "nickname", "picture", "updated_at"],
    },
    // Auth0 puts profile claims in the ID token even when it issues an access token.
    conformIdTokenClaims: false,
    extraParams: ["audience"],
    pkce: { required: () => false, methods: ["S256"] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    features: {
      devInteractions: { enabled: false },
      // Auth0's `audience` parameter gives a JWT access token for that API, carrying the access-token claims.
      resourceIndicators: {
        enabled: true,
        // Typed as always returning a resource; returning none means "no audience": an opaque access token.
        defaultResource: ((ctx: KoaContextWithOIDC) => ctx.oidc.params?.audience as string | undefined) as unknown as () => string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string) => ({
          scope: OIDC_SCOPES.join(" "),
          audience: resource,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        }),
      },
    },
    interactions: { url: (_ctx, interaction) => `/u/login/${interaction.uid}` },
    extraTokenClaims: (_ctx, token) => {
      const accountId = (token as { accountId?: string }).accountId;
      return accountId ? (outcomes.get(accountId)?.accessToken ?? {}) : {};
    },
    findAccount: (_ctx, sub) => {
      const u = bySub.get(sub);
      if (!u) return undefined;
      return {
        accountId: sub,
        claims: () => ({ sub, ...profile(u), ...(outcomes.get(sub)?.idToken ?? {}) }),
      };
    },
    renderError: (ctx, out) => {
      ctx.type = "html";
      ctx.body = `<!doctype html><title>error</title><h1>${escapeHtml(String(out.error))}</h1><p>${escapeHtml(String(out.error_description ?? ""))}</p>`;
    },
  };

  const provider = new Provider(url, configuration);
  provider.proxy = false;

  // The password grant (Auth0's Resource Owner Password flow), which oidc-provider leaves to the host.
  provider.registerGrantType(
    "password",
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const u = byLogin.get(String(params.username ?? "").toLowerCase());
      if (!u || params.password !== options.password) {
        ctx.status = 403;
        ctx.body = { error: "invalid_grant", error_description: "Wrong email or password." };
        return;
      }
      const outcome = await login(u);
      if (outcome.denied !== null) {
        ctx.status = 403;
        ctx.body = { error: "access_denied", error_description: outcome.denied };
        return;
      }
      const client = ctx.oidc.client!;
      const scope = String(params.scope ?? "openid").split(" ").filter((s) => OIDC_SCOPES.includes(s)).join(" ");
      const grant = new provider.Grant({ accountId: u.sub, clientId: client.clientId });
      grant.addOIDCScope(scope);
      if (params.audience) grant.addResourceScope(params.audience, scope);
      const grantId = await grant.save();
      const at = new provider.AccessToken({ accountId: u.sub, client, grantId, gty: "password", scope });
      if (params.audience) {
        const { ResourceServer } = provider as unknown as { ResourceServer: new (id: string, info: object) => unknown };
        (at as unknown as { resourceServer: unknown }).resourceServer = new ResourceServer(params.audience, {
          scope,
          audience: params.audience,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        });
      }
      const accessToken = await at.save();
      const body: Record<string, unknown> = { access_token: accessToken, expires_in: at.expiration, scope, token_type: "Bearer" };
      if (scope.split(" ").includes("openid")) {
        const account = await provider.Account.findAccount(ctx, u.sub);
        const idToken = new provider.IdToken({ ...(await account!.claims("id_token", scope, {}, [])), auth_time: Math.floor(Date.now() / 1000) }, { ctx });
        (idToken as unknown as { scope: string }).scope = scope;
        idToken.set("at_hash", accessToken);
        body.id_token = await idToken.issue({ use: "idtoken" });
      }
      ctx.body = body;
      await next();
    },
    ["username", "password", "scope", "audience", "realm"],
  );

  // /userinfo, as Auth0 answers it: with an opaque access token, or with the JWT access token
  // issued for an API audience (oidc-provider alone refuses the latter).
  provider.use(async (ctx, next) => {
    const auth = ctx.get("authorization");
    const bearer = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(auth)?.[1];
    if (ctx.path !== "/userinfo" || !bearer) return next();
    try {
      // Only an access token (typ at+jwt, RFC 9068) opens /userinfo; Auth0 refuses an ID token there.
      const { payload } = await jwtVerify(bearer, publicKey as CryptoKey, { issuer: url, typ: "at+jwt" });
      const u = bySub.get(String(payload.sub));
      if (!u) throw new Error("unknown subject");
      ctx.type = "json";
      ctx.body = { sub: u.sub, ...profile(u), ...(outcomes.get(u.sub)?.idToken ?? {}) };
    } catch {
      ctx.status = 401;
      ctx.set("WWW-Authenticate", 'Bearer error="invalid_token"');
      ctx.body = { error: "invalid_token", error_description: "invalid access token" };
    }
  });

  // The login page, and what happens when it is submitted: post-login runs, as in Auth0.
  provider.use(async (ctx, next) => {
    const match = /^\/u\/login\/([\w-]+)$/.exec(ctx.path);
    if (!match) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === "GET") {
      ctx.type = "html";
      ctx.body = loginPage(details.uid, String(details.params.client_id), undefined);
      return;
    }
    const form = new URLSearchParams(await readBody(ctx.req));
    const u = byLogin.get(String(form.get("username") ?? "").toLowerCase());
    if (!u || form.get("password") !== options.password) {
      ctx.type = "html";
      ctx.status = 401;
      ctx.body = loginPage(details.uid, String(details.params.client_id), "Wrong email or password.");
      return;
    }
    const outcome = await login(u);
    if (outcome.denied !== null) {
      await provider.interactionFinished(ctx.req, ctx.res, { error: "access_denied", error_description: outcome.denied }, { mergeWithLastSubmission: false });
      ctx.respond = false;
      return;
    }
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: u.sub, clientId: String(details.params.client_id) });
    grant!.addOIDCScope(String(details.params.scope ?? "openid"));
    const audience = details.params.audience as string | undefined;
    if (audience) grant!.addResourceScope(audience, String(details.params.scope ?? "openid"));
    const grantId = await grant!.save();
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: u.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
    ctx.respond = false;
  });

  server.on("request", provider.callback());
  return {
    url,
    clientId: LOCAL_CLIENT_ID,
    clientSecret: LOCAL_CLIENT_SECRET,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > 1 << 16) reject(new Error("form too large"));
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}
