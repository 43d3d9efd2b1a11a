// Auth0 post-login Action: copies the configured app_metadata fields into namespaced custom claims.
// It must never throw: a thrown error or a rejected promise fails the user's login.

declare const APP_METADATA_CLAIMS_CONFIG: AppMetadataClaimsConfig;

const claimsConfig: AppMetadataClaimsConfig = APP_METADATA_CLAIMS_CONFIG;

/** Deeper values are refused: nothing sane nests this far, and it bounds the walk. */
const CLAIM_MAX_DEPTH = 32;
/** Each value takes at least 2 bytes of JSON ("0,"), so more than this can't fit; refusing early bounds the cost. */
const CLAIM_MAX_NODES = Math.floor(claimsConfig.maxClaimsBytes / 2);
/** Auth0 keeps 256 characters of console output per action. */
const CLAIM_LOG_LIMIT = 256;
// Same rule as src/auth0/namespace-rule.ts: a trailing dot names the same host, "\" reads as "/".
const RESERVED_NAMESPACE = /^https?:\/\/([^/?#\\]*[.@])?(auth0\.com|webtask\.io|webtask\.run)\.?(:\d*)?([/?#\\]|$)/i;
const HTTP_URL = /^https?:\/\/[^/?#\s]+/i;
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}]/u;

exports.onExecutePostLogin = async (event: PostLoginEvent, api: PostLoginApi): Promise<void> => {
  const skipped: string[] = [];
  try {
    copyAppMetadataClaims(event, api, skipped);
  } catch (err) {
    skipped.push(`stopped early (${errorText(err)})`);
  }
  if (skipped.length > 0) {
    try {
      console.log(("app-metadata-claims: skipped " + skipped.join("; ")).slice(0, CLAIM_LOG_LIMIT));
    } catch {
      // Logging must not fail the login either.
    }
  }
};

function copyAppMetadataClaims(event: PostLoginEvent, api: PostLoginApi, skipped: string[]): void {
  const namespace = claimNamespace(event.secrets?.[claimsConfig.namespaceSecret]);
  if (namespace === undefined) {
    skipped.push(`all claims (secret ${claimsConfig.namespaceSecret} is not an allowed http(s) URL)`);
    return;
  }
  const metadata = event.user?.app_metadata;
  if (metadata === undefined) return;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    skipped.push(`all claims (app_metadata is ${describeType(metadata)})`);
    return;
  }
  // The claims object is {"name":value,...}: 2 bytes of braces, name + colon + value per claim, and
  // one comma fewer than claims; charging a comma to every claim, the budget starts one byte up.
  let remaining = claimsConfig.maxClaimsBytes - 1;
  for (const key of claimsConfig.keys) {
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) continue;
    try {
      const value = (metadata as Record<string, unknown>)[key];
      const problem = jsonProblem(value, remaining);
      if (problem !== undefined) {
        skipped.push(`${key} (${problem})`);
        continue;
      }
      const name = namespace + key;
      const cost = utf8Length(JSON.stringify(name)) + utf8Length(JSON.stringify(value)) + 2;
      if (cost > remaining) {
        const total = claimsConfig.maxClaimsBytes - remaining + cost;
        skipped.push(`${key} (claims would total ${total} bytes, over the ${claimsConfig.maxClaimsBytes}-byte limit)`);
        continue;
      }
      remaining -= cost;
      for (const token of claimsConfig.tokens) {
        (token === "id" ? api.idToken : api.accessToken).setCustomClaim(name, value);
      }
    } catch (err) {
      skipped.push(`${key} (${errorText(err)})`);
    }
  }
}

/**
 * The last secret judged and its namespace: every login of an action reads the same secret, and
 * Node 22 keeps the module between logins, so it is judged once (a RegExp replace costs about 1 µs
 * where the regular-expression fast path is off, as in the local sandbox's frozen realm).
 */
let judged: { secret: string; namespace: string | undefined } | undefined;

/** The namespace with exactly one trailing slash, or undefined when it is not an allowed URL. */
function claimNamespace(secret: unknown): string | undefined {
  if (typeof secret !== "string") return undefined;
  if (judged?.secret === secret) return judged.namespace;
  let namespace: string | undefined;
  if (!INVISIBLE.test(secret) && HTTP_URL.test(secret) && !RESERVED_NAMESPACE.test(secret)) {
    let end = secret.length;
    while (end > 0 && secret.charCodeAt(end - 1) === 47 /* "/" */) end--;
    namespace = secret.slice(0, end) + "/";
  }
  judged = { secret, namespace };
  return namespace;
}

/** Why `value` can't be a claim (not plain JSON, cyclic, too deep or too big), or undefined if it can. */
function jsonProblem(value: unknown, maxBytes: number): string | undefined {
  if (value === null) return "null";
  const ancestors: object[] = [];
  let nodes = 0;
  let bytes = 0;
  const walk = (v: unknown): string | undefined => {
    if (++nodes > CLAIM_MAX_NODES) return `more than ${CLAIM_MAX_NODES} values`;
    switch (typeof v) {
      case "string":
        // A string takes at least one byte of UTF-8 per UTF-16 unit.
        bytes += v.length;
        return bytes > maxBytes ? `larger than the ${claimsConfig.maxClaimsBytes}-byte claims limit` : undefined;
      case "boolean":
        return undefined;
      case "number":
        return Number.isFinite(v) ? undefined : `not JSON: ${v}`;
      case "object": {
        if (v === null) return undefined;
        if (ancestors.includes(v)) return "cyclic";
        if (ancestors.length >= CLAIM_MAX_DEPTH) return `nested deeper than ${CLAIM_MAX_DEPTH} levels`;
        const isArray = Array.isArray(v);
        if (!isArray) {
          // A plain object's prototype is a root prototype (Object.prototype of whichever realm made it).
          const proto: unknown = Object.getPrototypeOf(v);
          if (proto !== null && Object.getPrototypeOf(proto) !== null) return "not JSON: a class instance";
        }
        ancestors.push(v);
        const items: unknown[] = isArray ? (v as unknown[]) : Object.values(v);
        const count = isArray ? (v as unknown[]).length : items.length;
        for (let i = 0; i < count; i++) {
          if (isArray && !(i in (v as unknown[]))) return "not JSON: a sparse array";
          const problem = walk(items[i]);
          if (problem !== undefined) return problem;
        }
        ancestors.pop();
        return undefined;
      }
      default:
        return `not JSON: ${typeof v}`;
    }
  };
  return walk(value);
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

function errorText(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    return "unprintable error";
  }
}
