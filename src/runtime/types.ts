// The shapes a login goes through, shared by the one-action runtime, the flow runtime and their users
// (preview, local tenant, contract): the user in, the login's record, the outcome out.
import type { TokenKind } from "../auth0/facts";
import type { Effects, EffectsRecord } from "./effects";

/** A user in the Management API's shape (one line of a user export). */
export interface ExportedUser {
  readonly user_id?: string;
  readonly email?: string;
  readonly app_metadata?: unknown;
  readonly user_metadata?: unknown;
  readonly [field: string]: unknown;
}

export interface DroppedClaim {
  readonly token: TokenKind;
  readonly claim: string;
  readonly reason: string;
}

/** What one login produces. Key order is the preview's JSON output order. */
export interface LoginOutcome {
  readonly user_id: string;
  /** Why the login fails, or null when it succeeds. */
  readonly denied: string | null;
  readonly idToken: Record<string, unknown>;
  readonly accessToken: Record<string, unknown>;
  /** Custom claims in the /userinfo response: those of the ID token. */
  readonly userinfo: Record<string, unknown>;
  readonly dropped: DroppedClaim[];
  readonly logs: string[];
  /** Size in bytes of each token's custom claims as JSON (0 when none). Not part of the JSON output. */
  readonly bytes: { readonly id: number; readonly access: number };
  /** Each token's custom claims as JSON text, as serialized once. Not part of the JSON output. */
  readonly json: { readonly id: string; readonly access: string };
  /**
   * Each token's custom claims as [claim, claim's JSON, value's JSON] triples in the order set, the
   * pieces of `json`: compare diffs these without parsing. Not part of the JSON output.
   */
  readonly claims: { readonly id: readonly string[]; readonly access: readonly string[] };
  /** How many custom claims each token carries. Not part of the JSON output. */
  readonly counts: { readonly id: number; readonly access: number };
  /** What the login did besides claims (metadata writes, scopes, a redirect, MFA, calls); undefined when nothing. */
  readonly effects?: Effects;
}

/**
 * A login's context where none is given: an interactive login from this machine, as preview runs
 * every user's. event.transaction, event.request, the api's redirect rule and the access token's
 * scope all start from it.
 */
export const DEFAULT_LOGIN = {
  protocol: "oidc-basic-profile",
  requestedScopes: ["openid", "profile", "email"] as readonly string[],
  prompt: ["login"] as readonly string[],
  ip: "127.0.0.1",
  hostname: "localhost",
} as const;

/** How a login came about, as Auth0 tells the action. */
export interface LoginContext {
  /**
   * `event.transaction.protocol`: `oidc-basic-profile` (authorization code), `oauth2-resource-owner`
   * (password grant), `oauth2-refresh-token` (a refresh-token exchange, where post-login runs again).
   * @default "oidc-basic-profile"
   */
  readonly protocol?: string;
  /** `event.transaction.requested_scopes`. @default ["openid", "profile", "email"] */
  readonly requestedScopes?: readonly string[];
  /** `event.transaction.prompt`. @default ["login"] */
  readonly prompt?: readonly string[];
  /** `event.request`: where the login comes from, and its query and body. @default a local request */
  readonly request?: {
    readonly ip?: string;
    readonly hostname?: string;
    readonly query?: Readonly<Record<string, unknown>>;
    readonly body?: Readonly<Record<string, unknown>>;
  };
}

/** Anything that runs logins: a flow in a sandbox (SandboxedFlow), or one action inside one (PostLoginRuntime). */
export interface LoginRunner {
  /** Runs one login for `user`. Never throws: failures become `denied`. */
  login(user: ExportedUser, context?: LoginContext): Promise<LoginOutcome>;
}

export type Handler = (event: unknown, api: unknown) => unknown;

/** What the api records during one login; shared by every action of a flow, as Auth0 merges their claims. */
export interface LoginState {
  readonly id: Map<string, unknown>;
  readonly access: Map<string, unknown>;
  readonly logs: string[];
  denied: string | null;
  /** Metadata writes, scopes, a redirect, MFA, calls: made on the first such call (most logins make none). */
  effects?: EffectsRecord;
}

/** A login's empty record, before the first action runs. */
export function newLoginState(): LoginState {
  return { id: new Map(), access: new Map(), logs: [], denied: null };
}
