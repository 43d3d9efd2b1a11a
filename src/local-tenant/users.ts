// The local tenant's users: who can log in, their Management API record (app_metadata can change
// while the tenant runs), and the claims each one's latest post-login run computed.
import type { ExportedUser, LoginOutcome } from "../runtime/types";
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
    const user = this.byLogin.get(String(login ?? "").toLowerCase());
    return user && password === expected ? user : undefined;
  }

  /** Calls `listener` with the custom claim names of each login's ID token. */
  onClaims(listener: (names: readonly string[]) => void): void {
    this.claimsSeen = listener;
  }

  /** Runs the post-login flow as deployed for `user` now, on the current record; its outcome feeds the next tokens. */
  async login(user: TenantUser, protocol: LoginProtocol): Promise<LoginOutcome> {
    const outcome = await this.flow.login(user.record, { protocol });
    if (outcome.denied === null) {
      this.claimsSeen(Object.keys(outcome.idToken));
      this.outcomes.set(user.sub, outcome);
    }
    return outcome;
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
      updated_at: typeof r.updated_at === "string" ? Math.floor(Date.parse(r.updated_at) / 1000) || undefined : undefined,
    };
  }
}
