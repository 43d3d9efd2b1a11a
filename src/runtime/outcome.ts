// What Auth0 issues once every action of a login has run: the claims its rules keep (or drop, and
// why), their size against the 100 KB limit, or the reason the login fails.
import { MAX_CUSTOM_CLAIMS_BYTES, type TokenKind } from "../auth0/facts";
import { type ClaimContext, claimJson, claimNameProblem } from "./claim-rules";
import { type Effects, metadataProblem, type Redirect } from "./effects";
import { DEFAULT_LOGIN, type DroppedClaim, type ExportedUser, type LoginOutcome, type LoginState } from "./types";

/** Turns a login's record into its outcome; caches Auth0's verdict on each claim name (names repeat). */
export class ClaimIssuer {
  private readonly names: Record<TokenKind, Map<string, { problem?: string; json: string }>> = {
    id: new Map(),
    access: new Map(),
  };

  constructor(private readonly claimContext: ClaimContext) {}

  /**
   * What Auth0 issues once every action has run: the claims its rules keep, or the reason the login
   * fails; with what the login did besides (effects: metadata writes even on a denied login, as
   * Auth0 persists them; the access token's scope given `requestedScopes`; a redirect that paused it).
   */
  outcome(
    user: ExportedUser,
    state: LoginState,
    requestedScopes: readonly string[] = DEFAULT_LOGIN.requestedScopes,
    redirect?: Redirect,
  ): LoginOutcome {
    const user_id = userId(user);
    const effects = state.effects?.toEffects(requestedScopes, redirect);
    const denied = (reason: string, dropped: DroppedClaim[] = []): LoginOutcome =>
      failedOutcome(user, reason, dropped, state.logs, effects);
    if (state.denied !== null) return denied(state.denied);
    const unsaved = metadataProblem(effects?.metadata);
    if (unsaved !== undefined) return denied(unsaved);
    const dropped: DroppedClaim[] = [];
    const id = this.issue("id", state.id, dropped);
    const access = this.issue("access", state.access, dropped, state.id, id.claims);
    const over =
      id.bytes > MAX_CUSTOM_CLAIMS_BYTES
        ? ["ID", id.bytes]
        : access.bytes > MAX_CUSTOM_CLAIMS_BYTES
          ? ["access", access.bytes]
          : undefined;
    if (over !== undefined)
      return denied(
        `the ${over[0]} token's custom claims are ${over[1]} bytes, over Auth0's ${MAX_CUSTOM_CLAIMS_BYTES}-byte limit; Auth0 fails the login`,
        dropped,
      );
    return new Outcome(
      user_id,
      null,
      id.json,
      access.json,
      dropped,
      state.logs,
      { id: id.bytes, access: access.bytes },
      { id: id.claims, access: access.claims },
      effects,
    );
  }

  /**
   * The claims Auth0 would put in the token, as JSON, and their size as Auth0 counts it (0 if none).
   * `other`/`otherClaims`: the ID token's, already serialized; a value set on both tokens is often
   * the very same array of strings (the claims action's), whose JSON is then taken, not redone.
   */
  private issue(
    token: TokenKind,
    set: Map<string, unknown>,
    dropped: DroppedClaim[],
    other?: Map<string, unknown>,
    otherClaims?: readonly string[],
  ): { json: string; bytes: number; claims: string[] } {
    let json = "";
    const claims: string[] = [];
    for (const [claim, value] of set) {
      const name = this.name(token, claim);
      if (name.problem !== undefined) {
        dropped.push({ token, claim, reason: name.problem });
        continue;
      }
      let valueJson =
        other !== undefined && other.get(claim) === value && isStringArray(value)
          ? sameClaim(otherClaims as readonly string[], claim)
          : undefined;
      if (valueJson === undefined) {
        const serialized = claimJson(value);
        if (serialized.json === undefined) {
          dropped.push({ token, claim, reason: serialized.problem });
          continue;
        }
        valueJson = serialized.json;
      }
      json += (json === "" ? "" : ",") + name.json + ":" + valueJson;
      claims.push(claim, name.json, valueJson);
    }
    return { json: `{${json}}`, bytes: json === "" ? 0 : Buffer.byteLength(json) + 2, claims };
  }

  /** Auth0's verdict on a claim name for a token, and the name as JSON; cached, names repeat. */
  private name(token: TokenKind, claim: string): { problem?: string; json: string } {
    const cache = this.names[token];
    let known = cache.get(claim);
    if (known === undefined) {
      known = { problem: claimNameProblem(claim, token, this.claimContext), json: JSON.stringify(claim) };
      cache.set(claim, known);
    }
    return known;
  }
}

/** An array of strings only: its JSON can't differ between two serializations. */
function isStringArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== "string") return false;
  return true;
}

/** The value JSON of `claim` in a [claim, name JSON, value JSON] list, or undefined. */
function sameClaim(claims: readonly string[], claim: string): string | undefined {
  for (let i = 0; i < claims.length; i += 3) if (claims[i] === claim) return claims[i + 2];
  return undefined;
}

const NO_CLAIMS: readonly string[] = [];

/** The outcome of a login that fails: no token is issued (what it did besides may still stand, e.g. its metadata writes). */
export function failedOutcome(
  user: ExportedUser,
  reason: string,
  dropped: DroppedClaim[] = [],
  logs: string[] = [],
  effects?: Effects,
): LoginOutcome {
  return new Outcome(
    userId(user),
    reason,
    "{}",
    "{}",
    dropped,
    logs,
    { id: 0, access: 0 },
    { id: NO_CLAIMS, access: NO_CLAIMS },
    effects,
  );
}

/**
 * An outcome that crossed from a sandbox worker (a structured clone: its fields, not its class) as
 * the outcome it was, getters included.
 */
export function restoreOutcome(data: LoginOutcome): LoginOutcome {
  return new Outcome(
    data.user_id,
    data.denied,
    data.json.id,
    data.json.access,
    data.dropped,
    data.logs,
    data.bytes,
    data.claims,
    data.effects,
  );
}

/**
 * A login's outcome. The claims as objects are parsed from their JSON on first read, and kept: the
 * preview's --json output needs only the JSON. Getters on the prototype, not closures per outcome,
 * which cost more in garbage collection than the parsing they save.
 */
class Outcome implements LoginOutcome {
  private parsed?: {
    idToken?: Record<string, unknown>;
    accessToken?: Record<string, unknown>;
    userinfo?: Record<string, unknown>;
  };

  constructor(
    readonly user_id: string,
    readonly denied: string | null,
    idJson: string,
    accessJson: string,
    readonly dropped: DroppedClaim[],
    readonly logs: string[],
    readonly bytes: { readonly id: number; readonly access: number },
    readonly claims: { readonly id: readonly string[]; readonly access: readonly string[] },
    readonly effects?: Effects,
  ) {
    this.json = { id: idJson, access: accessJson };
    this.counts = { id: claims.id.length / 3, access: claims.access.length / 3 };
  }

  readonly json: { readonly id: string; readonly access: string };
  readonly counts: { readonly id: number; readonly access: number };

  // Parsed back from the JSON, the claims are plain data detached from the action's objects, and
  // even a "__proto__" claim is an ordinary key.
  get idToken(): Record<string, unknown> {
    return ((this.parsed ??= {}).idToken ??= JSON.parse(this.json.id) as Record<string, unknown>);
  }

  get accessToken(): Record<string, unknown> {
    return ((this.parsed ??= {}).accessToken ??= JSON.parse(this.json.access) as Record<string, unknown>);
  }

  get userinfo(): Record<string, unknown> {
    return ((this.parsed ??= {}).userinfo ??= JSON.parse(this.json.id) as Record<string, unknown>);
  }
}

/** The user's id as text, whatever the export holds there. */
function userId(user: ExportedUser): string {
  const id: unknown = user?.user_id;
  if (typeof id === "string") return id;
  if (id === undefined || id === null) return "";
  try {
    return JSON.stringify(id) ?? "";
  } catch {
    return "(unprintable user_id)";
  }
}
