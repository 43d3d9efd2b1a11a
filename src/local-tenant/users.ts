// The local tenant's users: who can log in, their Management API record (app_metadata can change
// while the tenant runs), and the claims each one's latest post-login run computed.
import { mergedMetadata } from "../runtime/effects";
import type { ContinueRequest } from "../runtime/flow-runtime";
import type { ExportedUser, LoginContext, LoginOutcome } from "../runtime/types";
import type { DeployedFlow } from "./deployed-flow";

/**
 * How the login that runs the action came about, as Auth0 names it in `event.transaction.protocol`:
 * `oidc-basic-profile` (authorization code), `oauth2-resource-owner` (password grant),
 * `oauth2-refresh-token` (a refresh-token exchange, where Auth0 runs post-login again).
 */
export type LoginProtocol = "oidc-basic-profile" | "oauth2-resource-owner" | "oauth2-refresh-token";

export interface TenantUser {
  readonly sub: string;
  /** The user's current record; PATCH /api/v2/users/{id} replaces it. */
  record: ExportedUser;
}

export class TenantUsers {
  private readonly bySub = new Map<string, TenantUser>();
  private readonly byLogin = new Map<string, TenantUser>();
  // The outcome of each user's latest login or refresh: what their next tokens and /userinfo carry.
  private readonly outcomes = new Map<string, LoginOutcome>();

  /** Told the names of the custom claims each login's ID token carries (the provider must allow them). */
  private claimsSeen: (names: readonly string[]) => void = () => undefined;

  constructor(
    users: readonly ExportedUser[],
    private readonly flow: DeployedFlow,
  ) {
    for (const record of users) {
      const user: TenantUser = { sub: String(record.user_id), record: structuredClone(record) };
      this.bySub.set(user.sub, user);
      this.byLogin.set(user.sub.toLowerCase(), user);
      if (typeof record.email === "string") this.byLogin.set(record.email.toLowerCase(), user);
    }
  }

  get all(): IterableIterator<TenantUser> {
    return this.bySub.values();
  }

  bySubject(sub: string): TenantUser | undefined {
    return this.bySub.get(sub);
  }

  /** The user whose email or user_id is `login` (case-insensitive) if `password` is right. */
  authenticate(login: unknown, password: unknown, expected: string): TenantUser | undefined {
    const user = typeof login === "string" ? this.byLogin.get(login.toLowerCase()) : undefined;
    return user && password === expected ? user : undefined;
  }

  /** Calls `listener` with the custom claim names of each login's ID token. */
  onClaims(listener: (names: readonly string[]) => void): void {
    this.claimsSeen = listener;
  }

  /**
   * Runs the post-login flow as deployed for `user` now, on the current record. Its metadata writes
   * are saved to the record (a denied or redirected login's too, as Auth0 saves them); a login that
   * ran to its end feeds the next tokens.
   */
  async login(
    user: TenantUser,
    protocol: LoginProtocol,
    context: Omit<LoginContext, "protocol"> = {},
  ): Promise<LoginOutcome> {
    return this.ended(user, await this.flow.login(user.record, { ...context, protocol }));
  }

  /** Resumes `user`'s login that a redirect paused (/continue); undefined when no login waits with that state. */
  async resume(user: TenantUser, stateToken: string, request: ContinueRequest): Promise<LoginOutcome | undefined> {
    const outcome = await this.flow.resume(stateToken, user.record, request);
    return outcome && this.ended(user, outcome);
  }

  private ended(user: TenantUser, outcome: LoginOutcome): LoginOutcome {
    const writes = outcome.effects?.metadata;
    if (writes !== undefined) user.record = withWrites(user.record, writes);
    if (outcome.denied === null && outcome.effects?.redirect === undefined) {
      this.claimsSeen(Object.keys(outcome.idToken));
      this.outcomes.set(user.sub, outcome);
    }
    return outcome;
  }

  /** The access token's scope the latest login gave `sub` when an action changed it (api.accessToken.addScope/removeScope). */
  accessTokenScope(sub: string): string | undefined {
    return this.outcomes.get(sub)?.effects?.scope?.join(" ");
  }

  idTokenClaims(sub: string): Record<string, unknown> {
    return this.outcomes.get(sub)?.idToken ?? {};
  }

  accessTokenClaims(sub: string): Record<string, unknown> {
    return this.outcomes.get(sub)?.accessToken ?? {};
  }

  /** The standard profile claims, as Auth0 puts them in the ID token and /userinfo. */
  profile(user: TenantUser): Record<string, unknown> {
    const r = user.record;
    return {
      email: r.email,
      email_verified: r.email_verified ?? false,
      name: r.name,
      nickname: r.nickname,
      picture: r.picture,
      updated_at:
        typeof r.updated_at === "string" ? Math.floor(Date.parse(r.updated_at) / 1000) || undefined : undefined,
    };
  }
}

/**
 * `record` with a login's metadata writes, as Auth0 saves them at the end of the flow: each key
 * written replaces the field's key of that name (no deep merge), null removes it; updated_at moves.
 */
function withWrites(
  record: ExportedUser,
  writes: NonNullable<NonNullable<LoginOutcome["effects"]>["metadata"]>,
): ExportedUser {
  const next: Record<string, unknown> = { ...record };
  for (const field of ["app_metadata", "user_metadata"] as const) {
    const keys = writes[field];
    if (keys === undefined || Object.keys(keys).length === 0) continue;
    next[field] = mergedMetadata(record[field], Object.entries(keys));
  }
  next.updated_at = new Date().toISOString();
  return next;
}

/** The scope an authorization or token request asked for: its `scope` parameter, or `openid`. */
export function requestedScope(param: unknown): string {
  return typeof param === "string" ? param : "openid";
}

/** The same scope as a list, as a login's context takes it (event.transaction.requested_scopes). */
export function requestedScopes(param: unknown): string[] {
  return requestedScope(param).split(" ").filter(Boolean);
}

/**
 * Why the local tenant fails a login Auth0 would go on with: an action asked for MFA or another
 * authentication (api.multifactor.enable, api.authentication.challengeWith...), which it doesn't run.
 */
export function notRunHere(outcome: LoginOutcome): string | undefined {
  const challenges = outcome.effects?.challenges;
  if (challenges === undefined || outcome.denied !== null) return undefined;
  return `the local tenant does not run MFA or other authentication challenges, so it fails this login (${challenges.join("; ")}); preview shows the rest of the flow`;
}
