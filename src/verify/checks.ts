// What verify checks once it holds tokens: the ID token (signature via JWKS, issuer, audience,
// nonce, expiry, time claims), the access token likewise when --audience asks for a JWT, /userinfo.
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import * as client from "openid-client";
import { AuthError, type CodeOfExit, escapeControl, NetworkError, quote } from "../errors";
import { errorText } from "./error-text";
import { type Budget, jsonOf, toolErrorIn } from "./http";
import type { VerifyOptions } from "./options";
import type { Tokens } from "./login";

/** How far a token's iat, nbf and exp may be off the local clock, in seconds. */
export const CLOCK_TOLERANCE_S = 60;

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Checks JWTs against the tenant's JWKS, read once per run through the budget. */
export class TokenChecker {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly config: client.Configuration,
    private readonly budget: Budget,
  ) {}

  /** Verifies a JWT: signature by a key of the JWKS, issuer, audience, exp, nbf and iat; throws AuthError naming what failed. */
  async verify(token: string, expect: { audience: string; label: string }): Promise<JWTPayload> {
    const metadata = this.config.serverMetadata();
    const reject = (code: CodeOfExit<3>, why: string) => new AuthError(code, `${expect.label} rejected: ${why}`);
    let alg: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      decodeJwt(token);
    } catch {
      throw reject(
        "ERR_TOKEN_FORMAT",
        `it is not a JWT (${token.split(".").length === 3 ? "three parts, but not a JWS" : "an opaque string"}), so its signature and claims can't be checked`,
      );
    }
    if (alg === "none") throw reject("ERR_TOKEN_SIGNATURE", "it is unsigned (alg none): anyone could have written it");
    let payload: JWTPayload;
    try {
      const { payload: verified } = await jwtVerify(token, await this.jwks(), {
        issuer: metadata.issuer,
        audience: expect.audience,
        algorithms: ["RS256", "PS256", "ES256"],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      payload = verified;
    } catch (err) {
      const own = toolErrorIn(err);
      if (own) throw own;
      const { code, why } = joseWhy(err, expect.audience, metadata.issuer, alg);
      throw reject(code, why);
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === "number" && payload.iat > now + CLOCK_TOLERANCE_S) {
      throw reject(
        "ERR_TOKEN_CLOCK",
        `its iat (issued at) is ${payload.iat - now} s in the future, beyond the clock tolerance of ${CLOCK_TOLERANCE_S} s; check the tenant's or this machine's clock`,
      );
    }
    return payload;
  }

  private jwks(): Promise<JWTVerifyGetKey> {
    this.keys ??= (async () => {
      const uri = this.config.serverMetadata().jwks_uri;
      if (!uri)
        throw new AuthError("ERR_DISCOVERY", "the tenant's discovery document has no jwks_uri; can't check signatures");
      const response = await this.budget.fetch(uri);
      const body = await jsonOf(response, `GET ${uri}`);
      if (!response.ok || !Array.isArray((body as { keys?: unknown })?.keys))
        throw new NetworkError(
          "ERR_ANSWER_INVALID",
          `GET ${uri}: HTTP ${response.status}, not a JWKS ({"keys": [...]})`,
        );
      return createLocalJWKSet(body as JSONWebKeySet);
    })();
    return this.keys;
  }
}

/** Why jose refused a token, and its code. */
function joseWhy(err: unknown, audience: string, issuer: string, alg: unknown): { code: CodeOfExit<3>; why: string } {
  const e = err as { code?: string; claim?: string; payload?: JWTPayload };
  switch (e.code) {
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return {
        code: "ERR_TOKEN_SIGNATURE",
        why: "its signature doesn't match any key of the tenant's JWKS (signed by another key)",
      };
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return {
        code: "ERR_TOKEN_SIGNATURE",
        why: `its algorithm ${quote(alg)} is not one a tenant signs with (RS256, PS256, ES256)`,
      };
    case "ERR_JWT_EXPIRED":
      return {
        code: "ERR_TOKEN_EXPIRED",
        why: `it has expired (exp, with a clock tolerance of ${CLOCK_TOLERANCE_S} s)`,
      };
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "aud")
        return {
          code: "ERR_TOKEN_AUDIENCE",
          why: `its audience is ${escapeControl(JSON.stringify(e.payload?.aud) ?? "none")}, not ${quote(audience)}`,
        };
      if (e.claim === "iss")
        return {
          code: "ERR_TOKEN_ISSUER",
          why: `its issuer is ${escapeControl(JSON.stringify(e.payload?.iss) ?? "none")}, not ${quote(issuer)}`,
        };
      if (e.claim === "nbf")
        return {
          code: "ERR_TOKEN_CLOCK",
          why: `its nbf (not before) is in the future, beyond the clock tolerance of ${CLOCK_TOLERANCE_S} s`,
        };
      return { code: "ERR_TOKEN_INVALID", why: `claim check failed: ${errorText(err)}` };
    default:
      return { code: "ERR_TOKEN_INVALID", why: errorText(err) };
  }
}

/** What openid-client's own checks of a token say, in oauth4webapi's codes, as ours. */
const CLAIM_CODES: Readonly<Record<string, CodeOfExit<3>>> = {
  aud: "ERR_TOKEN_AUDIENCE",
  azp: "ERR_TOKEN_AUDIENCE",
  iss: "ERR_TOKEN_ISSUER",
  nonce: "ERR_TOKEN_NONCE",
  sub: "ERR_TOKEN_SUBJECT",
  exp: "ERR_TOKEN_EXPIRED",
  nbf: "ERR_TOKEN_CLOCK",
  iat: "ERR_TOKEN_CLOCK",
};

/**
 * The code of a login that openid-client failed: a token check it made itself (it checks the ID
 * token's claims before verify sees it) keeps that check's code; anything else is the tenant's refusal.
 * openid-client wraps oauth4webapi's error, which names the claim in its cause (a claim that differs)
 * or only in its message (a claim missing): the chain is walked for either.
 */
export function loginFailureCode(err: unknown): CodeOfExit<3> {
  let tokenCheck = false;
  for (
    let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    const missing =
      typeof e.message === "string" ? /^JWT "(\w+)" \(.*\) claim missing$/.exec(e.message)?.[1] : undefined;
    if (missing !== undefined) return CLAIM_CODES[missing] ?? "ERR_TOKEN_INVALID";
    if (e.code !== "OAUTH_JWT_CLAIM_COMPARISON_FAILED" && e.code !== "OAUTH_JWT_TIMESTAMP_CHECK_FAILED") continue;
    tokenCheck = true;
    const claim = (e.cause as { claim?: unknown } | undefined)?.claim;
    if (typeof claim === "string") return CLAIM_CODES[claim] ?? "ERR_TOKEN_INVALID";
  }
  return tokenCheck ? "ERR_TOKEN_INVALID" : "ERR_LOGIN_REFUSED";
}

export async function verifyIdToken(
  checker: TokenChecker,
  options: VerifyOptions,
  tokens: Tokens,
  issuer: string,
): Promise<{ payload: JWTPayload; checks: Check[] }> {
  if (!tokens.idToken)
    throw new AuthError(
      "ERR_TOKEN_MISSING",
      "the tenant returned no ID token; the openid scope was requested, so check the application's settings",
    );
  const payload = await checker.verify(tokens.idToken, { audience: options.clientId, label: "ID token" });
  if (typeof payload.sub !== "string" || payload.sub === "")
    throw new AuthError("ERR_TOKEN_SUBJECT", "ID token rejected: it has no sub (subject)");
  const checks: Check[] = [
    {
      name: "ID token",
      ok: true,
      detail: `signature (JWKS, kid ${kidOf(tokens.idToken)}), issuer ${issuer}, audience ${options.clientId}, expiry`,
    },
  ];
  if (tokens.nonce !== undefined) {
    if (payload.nonce !== tokens.nonce)
      throw new AuthError(
        "ERR_TOKEN_NONCE",
        "ID token rejected: its nonce is not the one sent (a replayed or foreign token)",
      );
    checks.push({ name: "nonce", ok: true, detail: "matches the one sent" });
  }
  return { payload, checks };
}

export async function userinfo(
  config: client.Configuration,
  tokens: Tokens,
  subject: string,
): Promise<Record<string, unknown>> {
  try {
    return await client.fetchUserInfo(config, tokens.accessToken, subject);
  } catch (err) {
    throw (
      toolErrorIn(err) ?? new AuthError("ERR_USERINFO_REFUSED", `/userinfo refused the access token: ${errorText(err)}`)
    );
  }
}

/**
 * With --audience the access token must be a JWT for that API that verifies like the ID token, for
 * the same subject; without one there is nothing to check on it, and the caller reports so.
 */
export async function accessTokenClaims(
  checker: TokenChecker,
  audience: string,
  tokens: Tokens,
  subject: string,
): Promise<{ claims: Record<string, unknown>; check: Check }> {
  const payload = await checker.verify(tokens.accessToken, {
    audience,
    label: `access token (--audience ${audience})`,
  });
  if (payload.sub !== subject) {
    throw new AuthError(
      "ERR_TOKEN_SUBJECT",
      `access token rejected: it is for ${quote(payload.sub)}, but the ID token is for ${quote(subject)}`,
    );
  }
  return {
    claims: payload,
    check: {
      name: "access token",
      ok: true,
      detail: `signature (JWKS), issuer, audience ${audience}, expiry, subject`,
    },
  };
}

function kidOf(token: string): string {
  try {
    return String(decodeProtectedHeader(token).kid ?? "none");
  } catch {
    return "unreadable";
  }
}
