// api.cache: a trigger's cache, shared by the actions of its flow across logins, with Auth0's limits
// ("Actions limitations": 20 entries, keys of at most 64 bytes, values of at most 4 kB, 8 kB in all,
// a lifetime of 15 minutes unless given, 24 hours at most) and its return shapes and error codes.
// Auth0 may evict an entry earlier; this cache never does, so what a preview shows is the best case.

export const CACHE_MAX_ENTRIES = 20;
export const CACHE_MAX_KEY_BYTES = 64;
export const CACHE_MAX_VALUE_BYTES = 4096;
export const CACHE_MAX_TOTAL_BYTES = 8192;
export const CACHE_DEFAULT_TTL_MS = 15 * 60_000;
export const CACHE_MAX_TTL_MS = 24 * 3_600_000;

export interface CacheRecord {
  readonly value: string;
  /** When it expires, in milliseconds since the epoch. */
  readonly expires_at: number;
}

export type CacheErrorCode =
  | "CacheKeySizeExceeded"
  | "CacheValueSizeExceeded"
  | "CacheSizeExceeded"
  | "ItemAlreadyExpired"
  | "InvalidExpiry"
  | "CacheKeyDoesNotExist";
export type CacheWriteResult =
  | { readonly type: "success"; readonly record: CacheRecord }
  | { readonly type: "error"; readonly code: CacheErrorCode };
export type CacheDeleteResult =
  { readonly type: "success" } | { readonly type: "error"; readonly code: CacheErrorCode };

export class ActionsCache {
  private readonly entries = new Map<string, CacheRecord>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: unknown): CacheRecord | undefined {
    this.expire();
    const record = this.entries.get(String(key));
    return record === undefined ? undefined : { value: record.value, expires_at: record.expires_at };
  }

  set(key: unknown, value: unknown, options?: unknown): CacheWriteResult {
    if (typeof value !== "string")
      throw new TypeError(
        `api.cache.set: the value must be a string, got ${value === null ? "null" : typeof value}; Auth0's cache stores strings (JSON.stringify it)`,
      );
    const name = String(key);
    if (Buffer.byteLength(name) > CACHE_MAX_KEY_BYTES) return { type: "error", code: "CacheKeySizeExceeded" };
    if (Buffer.byteLength(value) > CACHE_MAX_VALUE_BYTES) return { type: "error", code: "CacheValueSizeExceeded" };
    const now = this.now();
    const { ttl, expires_at } = (options ?? {}) as { ttl?: unknown; expires_at?: unknown };
    const candidates = [now + CACHE_MAX_TTL_MS];
    if (ttl !== undefined) {
      if (typeof ttl !== "number" || !Number.isFinite(ttl)) return { type: "error", code: "InvalidExpiry" };
      candidates.push(now + ttl);
    }
    if (expires_at !== undefined) {
      if (typeof expires_at !== "number" || !Number.isFinite(expires_at))
        return { type: "error", code: "InvalidExpiry" };
      candidates.push(expires_at);
    }
    if (ttl === undefined && expires_at === undefined) candidates.push(now + CACHE_DEFAULT_TTL_MS);
    // Both given: the earlier of the two (Auth0); never past the 24-hour maximum.
    const expiresAt = Math.min(...candidates);
    if (expiresAt <= now) return { type: "error", code: "ItemAlreadyExpired" };
    this.expire();
    const replacing = this.entries.get(name);
    if (replacing === undefined && this.entries.size >= CACHE_MAX_ENTRIES)
      return { type: "error", code: "CacheSizeExceeded" };
    const total =
      this.bytes() -
      (replacing ? Buffer.byteLength(name) + Buffer.byteLength(replacing.value) : 0) +
      Buffer.byteLength(name) +
      Buffer.byteLength(value);
    if (total > CACHE_MAX_TOTAL_BYTES) return { type: "error", code: "CacheSizeExceeded" };
    const record = { value, expires_at: expiresAt };
    this.entries.set(name, record);
    return { type: "success", record: { ...record } };
  }

  delete(key: unknown): CacheDeleteResult {
    this.expire();
    return this.entries.delete(String(key)) ? { type: "success" } : { type: "error", code: "CacheKeyDoesNotExist" };
  }

  private expire(): void {
    const now = this.now();
    for (const [key, record] of this.entries) if (record.expires_at <= now) this.entries.delete(key);
  }

  private bytes(): number {
    let total = 0;
    for (const [key, record] of this.entries) total += Buffer.byteLength(key) + Buffer.byteLength(record.value);
    return total;
  }
}
