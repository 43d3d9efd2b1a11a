// The login as Auth0's Universal Login does it: /authorize sends the browser to a login form, and the
// submitted form runs post-login before the code is issued. offline_access works without consent. An
// action's redirect (api.redirect.sendUserTo) sends the browser away with Auth0's state, and
// /continue?state=... resumes the flow, then ends the login as the form would have.
import type { Context } from "koa";
import { errors, type KoaContextWithOIDC } from "oidc-provider";
import { MAX_PAUSED, PAUSED_MS } from "../runtime/flow-runtime";
import type { LoginOutcome } from "../runtime/types";
import { notRunHere, requestedScope, requestedScopes, type TenantUser, type TenantUsers } from "./users";
import { FORM_LIMIT, type TenantContext, type Next } from "./context";
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
/** Where /continue sends the browser on: under the login form's path, where the interaction's cookie goes. */
const CONTINUE_PATH = /^\/u\/login\/([\w-]{1,128})\/continue$/;

/**
 * Logins an action's redirect paused, by Auth0's state: whose, and which login form they belong to;
 * kept as long and as many as the runtime keeps their flows paused.
 */
export class PausedLogins {
  private readonly byState = new Map<
    string,
    { readonly uid: string; readonly sub: string; readonly authenticated: boolean; readonly until: number }
  >();

  pause(state: string, login: { uid: string; sub: string; authenticated: boolean }): void {
    for (const [key, paused] of this.byState)
      if (paused.until < Date.now() || this.byState.size >= MAX_PAUSED) this.byState.delete(key);
    this.byState.set(state, { ...login, until: Date.now() + PAUSED_MS });
  }

  /** The login form the login paused with `state` belongs to, if one waits. */
  uid(state: string): string | undefined {
    const paused = this.byState.get(state);
    return paused && paused.until >= Date.now() ? paused.uid : undefined;
  }

  /** The login paused with `state`, once: a state is used once. */
  take(state: string): { uid: string; sub: string; authenticated: boolean } | undefined {
    const paused = this.byState.get(state);
    this.byState.delete(state);
    return paused && paused.until >= Date.now() ? paused : undefined;
  }
}

/** Marks an /authorize request that asks for offline_access (see OFFLINE_ACCESS_PARAM). */
export async function markOfflineAccess(ctx: Context, next: Next): Promise<void> {
  if (
    ctx.path === "/authorize" &&
    ctx.method === "GET" &&
    String(ctx.query.scope ?? "")
      .split(" ")
      .includes("offline_access")
  ) {
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
  const user =
    ctx.oidc.account && !ctx.oidc.result && !ctx.oidc.prompts.has("login")
      ? users.bySubject(ctx.oidc.account.accountId)
      : undefined;
  if (user) {
    const outcome = await users.login(user, "oidc-basic-profile", {
      requestedScopes: requestedScopes(ctx.oidc.params?.scope),
    });
    if (outcome.denied !== null) throw new errors.AccessDenied(outcome.denied);
    const unmet = notRunHere(outcome);
    if (unmet !== undefined) throw new errors.AccessDenied(unmet);
    if (outcome.effects?.redirect !== undefined) {
      throw new errors.InteractionRequired(
        `an action redirects (${outcome.effects.redirect.action}); the local tenant follows redirects from its login form only: log in again with prompt=login`,
      );
    }
  }
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session!.grantIdFor(ctx.oidc.client!.clientId);
  return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
}

/** Whether the grant behind this token request was given offline_access at login. */
export function offlineAccessRequested(ctx: KoaContextWithOIDC): boolean {
  return Boolean(ctx.oidc.entities.Grant?.getOIDCScope().split(" ").includes("offline_access"));
}

/** The login form (GET) and its submission (POST) at /u/login/{interaction uid}; /continue after an action's redirect. */
export function loginInteraction(t: TenantContext) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === "/continue") return continueAtLoginPath(t, ctx);
    if (CONTINUE_PATH.test(ctx.path)) return continueLogin(t, ctx);
    if (!LOGIN_PATH.test(ctx.path)) return next();
    if (ctx.method !== "GET" && ctx.method !== "POST")
      throw new HttpError(405, `${ctx.method} is not allowed on the login page; use GET or POST`);
    const details = await t.provider.interactionDetails(ctx.req, ctx.res).catch(() => {
      throw new HttpError(400, "this login has expired or was never started; start again from the application");
    });
    const clientId = String(details.params.client_id);
    const signedIn =
      details.prompt.name === "consent" ? t.users.bySubject(String(details.session?.accountId)) : undefined;
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
 * Runs post-login for `user` and ends the interaction: back to the application with a code, an
 * error, or away to where an action redirects. `authenticated`: the password was just checked (a new
 * login, a new auth_time).
 */
async function finishLogin(
  t: TenantContext,
  ctx: Context,
  details: Interaction,
  user: TenantUser,
  authenticated: boolean,
): Promise<void> {
  const scopes = requestedScopes(details.params.scope);
  const prompt =
    typeof details.params.prompt === "string" ? details.params.prompt.split(" ").filter(Boolean) : undefined;
  const outcome = await t.users.login(user, "oidc-basic-profile", {
    requestedScopes: scopes,
    prompt,
    request: requestOf(t, ctx, details.params),
  });
  return afterFlow(t, ctx, details, user, authenticated, outcome);
}

/** `event.request` of a login at the tenant: the browser's address, the tenant's host name, the query. */
function requestOf(t: TenantContext, ctx: Context, query: Readonly<Record<string, unknown>>) {
  return { ip: ctx.ip, hostname: new URL(t.url).hostname, query };
}

const invalid = (why: string) =>
  new HttpError(400, `invalid_request: ${why}; start the login again from the application`);
const NOT_WAITING = "no login waits with this state (it was used, it expired, or the flow was deployed again)";

/** The state of a /continue request: in its query, or its form (read, then kept for the resumed action). */
async function continueParameters(
  ctx: Context,
): Promise<{ state: string; query: Record<string, string>; body: Record<string, string> }> {
  if (ctx.method !== "GET" && ctx.method !== "POST")
    throw new HttpError(405, `${ctx.method} is not allowed on /continue; use GET or POST`);
  const body = ctx.method === "POST" ? Object.fromEntries(await readForm(ctx, FORM_LIMIT)) : {};
  const query = Object.fromEntries(new URLSearchParams(ctx.querystring));
  const state = query.state ?? body.state ?? "";
  if (state === "") throw invalid("/continue needs the state parameter the redirect carried");
  return { state, query, body };
}

/**
 * /continue?state=... (GET, or POST of a form), where the browser comes back from an action's
 * redirect: on to the same request under the paused login form's path (307 keeps a POST's method and
 * body), where the browser sends the login's cookie (oidc-provider scopes it to that path).
 */
async function continueAtLoginPath(t: TenantContext, ctx: Context): Promise<void> {
  const { state } = await continueParameters(ctx);
  const uid = t.paused.uid(state);
  if (uid === undefined) throw invalid(NOT_WAITING);
  const query = new URLSearchParams(ctx.querystring);
  query.set("state", state);
  ctx.status = 307;
  ctx.redirect(`/u/login/${uid}/continue?${query.toString()}`);
}

/**
 * The paused login's /continue: its flow resumes at the redirecting action's onContinuePostLogin,
 * then the later actions, and the login ends as the form's would. An unknown or used state, or a
 * state of another browser's login, is invalid_request.
 */
async function continueLogin(t: TenantContext, ctx: Context): Promise<void> {
  const { state, query, body } = await continueParameters(ctx);
  const paused = t.paused.take(state);
  if (paused === undefined) throw invalid(NOT_WAITING);
  const details = await t.provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined);
  if (details === undefined || details.uid !== paused.uid)
    throw invalid("this state belongs to a login started in another browser");
  const user = t.users.bySubject(paused.sub);
  if (user === undefined) throw invalid("the user of this login is gone");
  const outcome = await t.users.resume(user, state, { ...requestOf(t, ctx, query), body });
  if (outcome === undefined) throw invalid(NOT_WAITING);
  return afterFlow(t, ctx, details, user, paused.authenticated, outcome);
}

/** Ends the interaction with the flow's outcome: away to a redirect, an error, or a code. */
async function afterFlow(
  t: TenantContext,
  ctx: Context,
  details: Interaction,
  user: TenantUser,
  authenticated: boolean,
  outcome: LoginOutcome,
): Promise<void> {
  const redirect = outcome.effects?.redirect;
  if (outcome.denied === null && redirect !== undefined) {
    t.paused.pause(redirect.state, { uid: details.uid, sub: user.sub, authenticated });
    ctx.redirect(redirect.url);
    return;
  }
  ctx.respond = false;
  const failure = outcome.denied ?? notRunHere(outcome);
  if (failure !== undefined) {
    await t.provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: "access_denied", error_description: failure },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const clientId = String(details.params.client_id);
  // The session's grant only if it is this user's: another account's (a switch of user in one browser) would be theirs.
  const existing = details.grantId ? await t.provider.Grant.find(details.grantId) : undefined;
  const grant = existing?.accountId === user.sub ? existing : new t.provider.Grant({ accountId: user.sub, clientId });
  const scope = requestedScope(details.params.scope);
  grant.addOIDCScope(details.params[OFFLINE_ACCESS_PARAM] ? `${scope} offline_access` : scope);
  const audience = details.params.audience as string | undefined;
  if (audience) grant.addResourceScope(audience, userScopeFor(audience, t.url, scope));
  const grantId = await grant.save();
  const result = authenticated ? { login: { accountId: user.sub }, consent: { grantId } } : { consent: { grantId } };
  await t.provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
}
