// Where the local tenant keeps oidc-provider's records (sessions, interactions, grants, codes, opaque
// access tokens, refresh tokens): in memory, each until it expires, so a refresh token lives the 30
// days the docs promise. oidc-provider's own memory store is an LRU of 1,000 records that dropped it
// after a few hundred logins. The bound here only guards memory, and says so when it is reached.
import type { Adapter, AdapterConstructor, AdapterPayload } from "oidc-provider";

/**
 * Records kept at most: about 30,000 logins with refresh tokens within their 30 days (a password
 * login writes 3 records, a code-flow login 6). Measured: about 1 KB of heap each.
 */
export const TOKEN_STORE_CAPACITY = 100_000;

export interface TokenStoreOptions {
  /** @default TOKEN_STORE_CAPACITY */
  readonly capacity?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Told once, when live records are first dropped. @default console.warn */
  readonly warn?: (message: string) => void;
}

/** The records revoked with their grant, as oidc-provider's own store has them. */
const GRANTABLE = new Set([
  "AccessToken",
  "AuthorizationCode",
  "RefreshToken",
  "DeviceCode",
  "BackchannelAuthenticationRequest",
]);

interface Entry {
  readonly payload: AdapterPayload;
  readonly expiresAt: number;
}

/** An oidc-provider adapter class whose instances (one per model) share one store. */
export function tokenStore(options: TokenStoreOptions = {}): AdapterConstructor {
  const capacity = options.capacity ?? TOKEN_STORE_CAPACITY;
  const now = options.now ?? Date.now;
  const warn = options.warn ?? ((message: string) => console.warn(message));
  // Insertion order is age: a record written again moves to the end.
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const sessionByUid = new Map<string, string>();
  let warned = false;

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      remove(key);
      return undefined;
    }
    return entry;
  };

  const remove = (key: string): void => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    const { grantId, uid } = entry.payload;
    const grant = grantId ? byGrant.get(grantId) : undefined;
    grant?.delete(key);
    if (grant?.size === 0) byGrant.delete(grantId!);
    if (uid && sessionByUid.get(uid) === key) sessionByUid.delete(uid);
  };

  /**
   * Over capacity: expired records go; if more than 90% remain, the oldest go down to 90%, so the
   * next sweep is at least a tenth of the capacity away.
   */
  const makeRoom = (): void => {
    if (entries.size <= capacity) return;
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) remove(key);
    if (entries.size <= capacity * 0.9) return;
    if (!warned) {
      warned = true;
      warn(
        `local tenant: more than ${capacity} live records (sessions, grants, tokens); the oldest are dropped, so their refresh tokens and sessions stop working. Restart the tenant to start clean.`,
      );
    }
    for (const key of entries.keys()) {
      if (entries.size <= capacity * 0.9) break;
      remove(key);
    }
  };

  return class TokenStore implements Adapter {
    constructor(private readonly model: string) {}

    private key(id: string): string {
      return `${this.model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const key = this.key(id);
      remove(key);
      entries.set(key, { payload, expiresAt: expiresIn ? now() + expiresIn * 1000 : Infinity });
      if (payload.grantId && GRANTABLE.has(this.model)) {
        const keys = byGrant.get(payload.grantId) ?? new Set<string>();
        byGrant.set(payload.grantId, keys.add(key));
      }
      if (this.model === "Session" && payload.uid) sessionByUid.set(payload.uid, key);
      makeRoom();
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return live(this.key(id))?.payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const key = sessionByUid.get(uid);
      return key === undefined ? undefined : live(key)?.payload;
    }

    // Only the device flow looks records up by user code, and the tenant doesn't enable it.
    async findByUserCode(): Promise<undefined> {
      return undefined;
    }

    async consume(id: string): Promise<void> {
      const entry = live(this.key(id));
      if (entry) entry.payload.consumed = Math.floor(now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      remove(this.key(id));
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      for (const key of [...(byGrant.get(grantId) ?? [])]) remove(key);
    }
  };
}
