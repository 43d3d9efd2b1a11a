// The login as Auth0's Universal Login does it: /authorize sends the browser to a login form, and the
// submitted form runs post-login before the code is issued. offline_access works without consent.
import type { Context, Next } from "koa";
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import type { TenantUser, TenantUsers } from "./users";
import { FORM_LIMIT, type TenantContext } from "./context";
import { HttpError, readForm } from "./http";
import { loginPage } from "./login-page";
import { userScopeFor } from "./management-access";

type Interaction = Awaited<ReturnType<TenantContext["provider"]["interactionDetails"]>>;

/**
 * oidc-provider drops offline_access unless prompt=consent; Auth0 never asks first-party apps for
 * consent. /authorize marks the request with this parameter, and the login grants offline_access.
 */
export const OFFLINE_ACCESS_PARAM = "x_local_offline_access";
const LOGIN_PATH = /^\/u\/login\/([\w-]{1,128})$/;

/** Marks an /authorize request that asks for offline_access (see OFFLINE_ACCESS_PARAM). */
export async function markOfflineAccess(ctx: Context, next: Next): Promise<void> {
  if (ctx.path === "/authorize" && ctx.method === "GET" && String(ctx.query.scope ?? "").split(" ").includes("offline_access")) {
    const query = new URLSearchParams(ctx.querystring);
    query.set(OFFLINE_ACCESS_PARAM, "1");
    ctx.querystring = query.toString();
  }
  await next();
}

/**
 * oidc-provider's loadExistingGrant, plus what Auth0 does on an SSO login (an /authorize answered from
 * the session, without the form): post-login runs again. Not when the form follows (prompt=login) or
 * has just run it (an interaction result).
 */
export async function loadGrantAfterSsoLogin(ctx: KoaContextWithOIDC, users: TenantUsers) {
  const user = ctx.oidc.account && !ctx.oidc.result && !ctx.oidc.prompts.has("login") ? users.bySubject(ctx.oidc.account.accountId) : undefined;
  if (user) {
    const outcome = await users.login(user, "oidc-basic-profile");
    if (outcome.denied !== null) throw new errors.AccessDenied(outcome.denied);
  }
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
  return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
}

/** Whether the grant behind this token request was given offline_access at login. */
export function offlineAccessRequested(ctx: KoaContextWithOIDC): boolean {
  return Boolean(ctx.oidc.entities.Grant?.getOIDCScope().split(" ").includes("offline_access"));
}

/** The login form (GET) and its submission (POST) at /u/login/{interaction uid}. */
export function loginInteraction(t: TenantContext) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!LOGIN_PATH.test(ctx.path)) return next();
    if (ctx.method !== "GET" && ctx.method !== "POST") throw new HttpError(405, `${ctx.method} is not allowed on the login page; use GET or POST`);
    const details = await t.provider.interactionDetails(ctx.req, ctx.res).catch(() => {
      throw new HttpError(400, "this login has expired or was never started; start again from the application");
    });
    const clientId = String(details.params.client_id);
    const signedIn = details.prompt.name === "consent" ? t.users.bySubject(String(details.session?.accountId)) : undefined;
    if (signedIn) {
      // Already logged in, asked only for consent (offline_access): Auth0 doesn't ask a first-party app.
      return finishLogin(t, ctx, details, signedIn, false);
    }
    if (ctx.method === "GET") {
      ctx.type = "html";
      ctx.body = loginPage(details.uid, clientId, undefined);
      return;
    }
    const form = await readForm(ctx, FORM_LIMIT);
    const user = t.users.authenticate(form.get("username"), form.get("password"), t.password);
    if (!user) {
      ctx.type = "html";
      ctx.status = 401;
      ctx.body = loginPage(details.uid, clientId, "Wrong email or password.");
      return;
    }
    return finishLogin(t, ctx, details, user, true);
  };
}

/**
 * Runs post-login for `user` and ends the interaction: back to the application with a code, or an
 * error. `authenticated`: the password was just checked (a new login, a new auth_time).
 */
async function finishLogin(t: TenantContext, ctx: Context, details: Interaction, user: TenantUser, authenticated: boolean): Promise<void> {
  const outcome = await t.users.login(user, "oidc-basic-profile");
  ctx.respond = false;
  if (outcome.denied !== null) {
    await t.provider.interactionFinished(ctx.req, ctx.res, { error: "access_denied", error_description: outcome.denied }, { mergeWithLastSubmission: false });
    return;
  }
  const clientId = String(details.params.client_id);
  const grant = (details.grantId && (await t.provider.Grant.find(details.grantId))) || new t.provider.Grant({ accountId: user.sub, clientId });
  const scope = String(details.params.scope ?? "openid");
  grant.addOIDCScope(details.params[OFFLINE_ACCESS_PARAM] ? `${scope} offline_access` : scope);
  const audience = details.params.audience as string | undefined;
  if (audience) grant.addResourceScope(audience, userScopeFor(audience, t.url, scope));
  const grantId = await grant.save();
  const result = authenticated ? { login: { accountId: user.sub }, consent: { grantId } } : { consent: { grantId } };
  await t.provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
}
