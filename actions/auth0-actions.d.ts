// The part of Auth0's post-login (v3) `event` and `api` that the actions in this folder use.
// Ambient on purpose: an action file with an `import` would make esbuild emit module helpers.

interface PostLoginUser {
  readonly user_id?: string;
  readonly email?: string;
  readonly app_metadata?: unknown;
  readonly user_metadata?: unknown;
  readonly [field: string]: unknown;
}

interface PostLoginEvent {
  readonly user?: PostLoginUser;
  readonly secrets?: Readonly<Record<string, string | undefined>>;
  readonly client?: { readonly client_id?: string; readonly name?: string };
  readonly authorization?: { readonly roles?: readonly string[] };
  readonly transaction?: { readonly protocol?: string };
  readonly [field: string]: unknown;
}

interface PostLoginTokenApi {
  setCustomClaim(name: string, value: unknown): unknown;
}

interface PostLoginApi {
  readonly idToken: PostLoginTokenApi;
  readonly accessToken: PostLoginTokenApi & { addScope?(scope: string): unknown };
  readonly access?: { deny(reason: string): unknown };
  /** Sends the browser away and pauses the login until /continue (onContinuePostLogin). */
  readonly redirect?: {
    sendUserTo(url: string, options?: { query?: Record<string, string> }): unknown;
    encodeToken(options: { secret: string; payload: Record<string, unknown>; expiresInSeconds?: number }): string;
    validateToken(options: { secret: string; tokenParameterName?: string }): Record<string, unknown>;
  };
  /** Writes one top-level key of the user's metadata: seen by the later actions, persisted at the end of the flow. */
  readonly user?: {
    setAppMetadata(key: string, value: unknown): unknown;
    setUserMetadata(key: string, value: unknown): unknown;
  };
}

/** Replaced at compile time by src/compile/compile-action.ts with the stack's claim settings. */
interface AppMetadataClaimsConfig {
  /** app_metadata fields to copy, in order. */
  readonly keys: readonly string[];
  /** Tokens that get the claims: "id" (also returned by /userinfo) and/or "access". */
  readonly tokens: readonly ("id" | "access")[];
  /** Name of the action secret holding the claim namespace. */
  readonly namespaceSecret: string;
  /** Budget, in bytes of JSON, for all custom claims of one token (Auth0 allows 100 KB). */
  readonly maxClaimsBytes: number;
}
