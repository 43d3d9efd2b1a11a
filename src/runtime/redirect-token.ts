// api.redirect.encodeToken and validateToken: the HS256 JWTs a redirecting action sends to a site and
// reads back at /continue ("Redirect with Actions"). Synchronous, as Auth0's api is, so node:crypto's
// HMAC is used directly (jose signs only asynchronously).
import { createHmac, timingSafeEqual } from "node:crypto";

/** encodeToken's default lifetime (Auth0: 900 seconds). */
export const DEFAULT_TOKEN_SECONDS = 900;

const HEADER = Buffer.from(JSON.stringify({ alg: "HS256", typ: "JWT" })).toString("base64url");

function sign(input: string, secret: string): string {
  return createHmac("sha256", secret).update(input).digest("base64url");
}

function checkSecret(secret: unknown, method: string): string {
  if (typeof secret !== "string" || secret === "")
    throw new TypeError(`api.redirect.${method}: options.secret must be a non-empty string`);
  return secret;
}

/** The token Auth0 makes: sub, iss, iat, exp, ip, then the payload's claims. */
export function encodeToken(options: unknown, login: { userId: string; issuer: string; ip: string }): string {
  const {
    secret,
    payload = {},
    expiresInSeconds = DEFAULT_TOKEN_SECONDS,
  } = (options ?? {}) as { secret?: unknown; payload?: unknown; expiresInSeconds?: unknown };
  const key = checkSecret(secret, "encodeToken");
  if (typeof payload !== "object" || payload === null || Array.isArray(payload))
    throw new TypeError("api.redirect.encodeToken: options.payload must be an object");
  if (typeof expiresInSeconds !== "number" || !Number.isFinite(expiresInSeconds) || expiresInSeconds <= 0) {
    throw new TypeError("api.redirect.encodeToken: options.expiresInSeconds must be a positive number of seconds");
  }
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: login.userId,
    iss: login.issuer,
    iat: now,
    exp: now + Math.floor(expiresInSeconds),
    ip: login.ip,
    ...(payload as Record<string, unknown>),
  };
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  return `${body}.${sign(body, key)}`;
}

/**
 * The payload of the token the site sent back to /continue in `tokenParameterName` (query or body):
 * signed with `secret`, not expired, and carrying the `state` of this redirect. Throws, naming what is wrong.
 */
export function validateToken(
  options: unknown,
  resumed:
    { state: string; query: Readonly<Record<string, unknown>>; body: Readonly<Record<string, unknown>> } | undefined,
): Record<string, unknown> {
  const { secret, tokenParameterName = "session_token" } = (options ?? {}) as {
    secret?: unknown;
    tokenParameterName?: unknown;
  };
  const key = checkSecret(secret, "validateToken");
  if (resumed === undefined)
    throw new Error(
      "api.redirect.validateToken: no /continue request: it reads the token sent back there, in onContinuePostLogin",
    );
  const name = String(tokenParameterName);
  const token = resumed.query[name] ?? resumed.body[name];
  if (typeof token !== "string")
    throw new Error(`The session token is missing: /continue carried no "${name}" parameter`);
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error("The session token is invalid: not a JWT");
  const [header, body, signature] = parts;
  let claims: Record<string, unknown>;
  try {
    const alg = (JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg?: unknown }).alg;
    if (alg !== "HS256") throw new Error(`alg ${String(alg)}`);
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch (err) {
    // The action catches this: the message says what went wrong, and nothing of the host rides along.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`The session token is invalid: ${err instanceof Error ? err.message : "it can't be read"}`);
  }
  const expected = Buffer.from(sign(`${header}.${body}`, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given))
    throw new Error("The session token is invalid: its signature does not match the secret");
  if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now())
    throw new Error("The session token is invalid: it has expired (or has no exp)");
  if (claims.state !== resumed.state)
    throw new Error("The session token is invalid: its state is not the state of this redirect");
  return claims;
}
