// What a login does besides claims and a denial, as Auth0's post-login api records it: metadata
// writes (seen by the later actions of the same login, persisted at its end), access-token scopes,
// a redirect that pauses the login, MFA and authentication requests, transaction metadata and the
// outbound calls made. Recorded lazily: a login that uses none of it pays nothing.
// Auth0's rules and limits here come from docs/post-login-api.md, which cites Auth0's pages.

/** Metadata fields Auth0 keeps for itself in app_metadata ("Metadata Field Names and Data Types"). */
const RESERVED_APP_METADATA: ReadonlySet<string> = new Set([
  "__tenant",
  "_id",
  "blocked",
  "clientID",
  "created_at",
  "email_verified",
  "email",
  "globalClientID",
  "global_client_id",
  "identities",
  "lastIP",
  "lastLogin",
  "loginsCount",
  "metadata",
  "multifactor_last_modified",
  "multifactor",
  "updated_at",
  "user_id",
]);

/** What Auth0 persists of each metadata field per login ("Actions limitations"): 32 kB of user_metadata and 32 kB of app_metadata. */
export const MAX_METADATA_WRITE_BYTES = 32 * 1024;

export type MetadataField = "app_metadata" | "user_metadata";

/** One outbound call an action made. */
export interface OutboundCall {
  readonly method: string;
  readonly url: string;
  /** The answer's status, or what went wrong ("refused: ...", "failed: ..."). */
  readonly status: number | string;
}

/** A redirect that paused the login (api.redirect.sendUserTo). */
export interface Redirect {
  /** Where the browser goes: the action's URL with its query and Auth0's `state`. */
  readonly url: string;
  /** The action that asked for it. */
  readonly action: string;
  /** Its place in the flow. */
  readonly step: number;
  /** Auth0's `state` for /continue. */
  readonly state: string;
  /** The actions of the flow that have not run (they run after /continue). */
  readonly notRun: readonly string[];
}

/** What a login did besides its claims, as its outcome carries it (plain data). */
export interface Effects {
  /** The metadata writes to persist: field -> key -> value (null removes the key). */
  readonly metadata?: { readonly [field in MetadataField]?: Readonly<Record<string, unknown>> };
  /** The access token's scope after api.accessToken.addScope/removeScope: requested, plus added, less removed. */
  readonly scope?: readonly string[];
  readonly redirect?: Redirect;
  /** MFA and authentication requests, e.g. `api.multifactor.enable("any")`: the local runtime doesn't run them. */
  readonly challenges?: readonly string[];
  readonly calls?: readonly OutboundCall[];
}

/** The mutable record behind Effects, kept in the login's state. */
export class EffectsRecord {
  metadata: { app_metadata: Map<string, unknown>; user_metadata: Map<string, unknown> } | undefined;
  scopeChanges: { scope: string; add: boolean }[] | undefined;
  redirect: Omit<Redirect, "notRun" | "action" | "step"> | undefined;
  /** The place in the flow of the action that asked for the redirect. */
  redirectStep: number | undefined;
  challenges: string[] | undefined;
  calls: OutboundCall[] | undefined;
  transaction: Map<string, string | number | boolean> | undefined;

  /** api.user.setAppMetadata / setUserMetadata: `undefined` takes back a pending write, `null` removes the key. */
  setMetadata(field: MetadataField, key: unknown, value: unknown): void {
    if (typeof key !== "string" || key === "")
      throw new TypeError(`${field}: the field name must be a non-empty string`);
    if (key.includes(".") || key.includes("$"))
      throw new TypeError(`${field}: Auth0 refuses field names with "." or "$" ("${key}")`);
    if (field === "app_metadata" && RESERVED_APP_METADATA.has(key))
      throw new TypeError(`app_metadata: "${key}" is a field Auth0 keeps for itself; pick another name`);
    this.metadata ??= { app_metadata: new Map(), user_metadata: new Map() };
    const writes = this.metadata[field];
    // Copied as JSON now: what is persisted is what the action passed, whatever it changes later.
    if (value === undefined) writes.delete(key);
    else writes.set(key, value === null ? null : jsonCopy(field, key, value));
  }

  /** api.accessToken.addScope / removeScope. Throws for a scope that can't be one (Auth0: "will throw an error if scope is invalid"). */
  changeScope(scope: unknown, add: boolean): void {
    if (typeof scope !== "string" || scope === "" || /\s/.test(scope))
      throw new TypeError(`invalid scope ${JSON.stringify(scope)}: a scope is a non-empty string without spaces`);
    (this.scopeChanges ??= []).push({ scope, add });
  }

  challenge(what: string): void {
    (this.challenges ??= []).push(what);
  }

  call(call: OutboundCall): void {
    (this.calls ??= []).push(call);
  }

  /** The scope the access token carries: `requested` changed by each add and remove, in order. */
  scope(requested: readonly string[]): string[] | undefined {
    if (this.scopeChanges === undefined) return undefined;
    const scopes = new Set(requested);
    for (const { scope, add } of this.scopeChanges) {
      if (add) scopes.add(scope);
      else scopes.delete(scope);
    }
    return [...scopes];
  }

  /** The plain data of what was recorded; undefined when nothing was. */
  toEffects(requested: readonly string[], redirect?: Redirect): Effects | undefined {
    const metadata = this.metadataWrites();
    const scope = this.scope(requested);
    if (
      metadata === undefined &&
      scope === undefined &&
      redirect === undefined &&
      this.challenges === undefined &&
      this.calls === undefined
    )
      return undefined;
    return {
      ...(metadata ? { metadata } : {}),
      ...(scope ? { scope } : {}),
      ...(redirect ? { redirect } : {}),
      ...(this.challenges ? { challenges: [...this.challenges] } : {}),
      ...(this.calls ? { calls: [...this.calls] } : {}),
    };
  }

  /** The writes, as data (each value was copied as JSON when written). */
  private metadataWrites(): Effects["metadata"] {
    if (this.metadata === undefined) return undefined;
    const out: { -readonly [field in MetadataField]?: Record<string, unknown> } = {};
    for (const field of ["app_metadata", "user_metadata"] as const) {
      const writes = this.metadata[field];
      if (writes.size === 0) continue;
      const record: Record<string, unknown> = {};
      for (const [key, value] of writes)
        Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
      out[field] = record;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
}

/** Why a login's metadata writes (toEffects' `metadata`) can't be persisted (over Auth0's per-login limit), or undefined. */
export function metadataProblem(writes: Effects["metadata"]): string | undefined {
  for (const field of ["app_metadata", "user_metadata"] as const) {
    const record = writes?.[field];
    if (record === undefined) continue;
    const bytes = Buffer.byteLength(JSON.stringify(record));
    if (bytes > MAX_METADATA_WRITE_BYTES)
      return `the login's ${field} writes are ${bytes} bytes, over Auth0's ${MAX_METADATA_WRITE_BYTES}-byte limit per login; Auth0 fails to persist them`;
  }
  return undefined;
}

/** A write's value as JSON has it (what Auth0 stores): a function, a cycle or a BigInt is refused. */
function jsonCopy(field: MetadataField, key: string, value: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    // The action catches this: the message says what went wrong, and nothing of the host rides along.
    // eslint-disable-next-line preserve-caught-error
    throw new TypeError(
      `${field}.${key}: the value can't be stored as JSON (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  if (json === undefined) throw new TypeError(`${field}.${key}: the value is ${typeof value}, which JSON can't store`);
  return JSON.parse(json);
}

/**
 * A metadata field with `writes` applied as Auth0 applies them: each key replaced (no deep merge),
 * null removing it; a field that is not a plain object starts empty. A Map, then Object.fromEntries:
 * a "__proto__" key stays a plain key, where an assignment would set the object's prototype. The one
 * merge of a login's writes (here, for its later actions; the local tenant, at its end) and of the
 * Management API's PATCH.
 */
export function mergedMetadata(
  current: unknown,
  writes: Iterable<readonly [string, unknown]>,
): Record<string, unknown> {
  const merged = new Map(
    typeof current === "object" && current !== null && !Array.isArray(current) ? Object.entries(current) : [],
  );
  for (const [key, value] of writes) {
    if (value === null) merged.delete(key);
    else merged.set(key, value);
  }
  return Object.fromEntries(merged);
}

/**
 * `user`'s metadata with `writes` applied as Auth0 applies them for the later actions of a login:
 * each key replaced (no deep merge), null removing it. Returns `user` itself when there are none.
 */
export function withMetadataWrites<T extends Record<string, unknown>>(user: T, effects: EffectsRecord | undefined): T {
  const metadata = effects?.metadata;
  if (metadata === undefined || (metadata.app_metadata.size === 0 && metadata.user_metadata.size === 0)) return user;
  const updated: Record<string, unknown> = { ...user };
  for (const field of ["app_metadata", "user_metadata"] as const) {
    const writes = metadata[field];
    if (writes.size === 0) continue;
    // Each later action gets its own copy of a written value, as of every other part of its event.
    const copies = [...writes].map(([key, value]): [string, unknown] => [
      key,
      value === null ? null : JSON.parse(JSON.stringify(value)),
    ]);
    updated[field] = mergedMetadata(user[field], copies);
  }
  return updated as T;
}
