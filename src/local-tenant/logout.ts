// Auth0's logout endpoint, /v2/logout: ends the login session (the next /authorize asks for the
// password again) and sends the browser to `returnTo` if it is an allowed logout URL.
import type { Context } from "koa";
import { quote } from "../errors";
import { LOCAL_CLIENT_ID, logoutUrlAllowed, MANAGEMENT_CLIENT_ID } from "./clients";
import type { TenantContext, Next } from "./context";
import { HttpError } from "./http";

export function logout(t: TenantContext) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== "/v2/logout") return next();
    if (ctx.method !== "GET") throw new HttpError(405, `${ctx.method} is not allowed on /v2/logout; use GET`);
    const clientId = single(ctx, "client_id");
    const returnTo = single(ctx, "returnTo");
    if (clientId !== undefined && clientId !== LOCAL_CLIENT_ID && clientId !== MANAGEMENT_CLIENT_ID) {
      throw new HttpError(
        400,
        `client_id ${quote(clientId)} is not an application of this tenant; use ${LOCAL_CLIENT_ID}`,
      );
    }
    let target: URL | undefined;
    if (returnTo !== undefined) {
      target = URL.canParse(returnTo) ? new URL(returnTo) : undefined;
      if (!target || !logoutUrlAllowed(target, t.clients)) {
        throw new HttpError(
          400,
          `returnTo ${quote(returnTo)} is not an allowed logout URL; allowed: http(s)://127.0.0.1 or localhost (any port), or add it with --logout-urls`,
        );
      }
    }
    const session = await t.provider.Session.get(ctx);
    await session.destroy();
    // The record is gone either way; the cookie goes too, so the browser holds nothing stale.
    ctx.cookies.set((t.provider as unknown as { cookieName(type: string): string }).cookieName("session"), null);
    if (target) {
      ctx.redirect(target.href);
      return;
    }
    ctx.type = "html";
    ctx.body = "<!doctype html><title>Logged out</title><p>You are logged out.</p>\n";
  };
}

/** A query parameter given at most once; HttpError 400 if repeated. */
function single(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  if (Array.isArray(value)) throw new HttpError(400, `${name} is given ${value.length} times; give it once`);
  return value;
}
