// /userinfo as Auth0 answers it: with an opaque access token (oidc-provider's own endpoint), or with
// the JWT access token issued for an API audience, which oidc-provider alone refuses.
import type { Context } from "koa";
import { jwtVerify } from "jose";
import type { TenantContext, Next } from "./context";

export function userinfo(t: TenantContext) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const bearer = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(ctx.get("authorization"))?.[1];
    if (ctx.path !== "/userinfo" || !bearer) return next();
    try {
      // Only an access token (typ at+jwt, RFC 9068) opens /userinfo; Auth0 refuses an ID token there.
      const { payload } = await jwtVerify(bearer, t.signing.publicKey, { issuer: t.url, typ: "at+jwt" });
      const user = t.users.bySubject(String(payload.sub));
      if (!user) throw new Error("unknown subject");
      ctx.type = "json";
      ctx.body = { sub: user.sub, ...t.users.profile(user), ...t.users.idTokenClaims(user.sub) };
    } catch {
      ctx.status = 401;
      ctx.set("WWW-Authenticate", 'Bearer error="invalid_token"');
      ctx.body = { error: "invalid_token", error_description: "invalid access token" };
    }
  };
}
