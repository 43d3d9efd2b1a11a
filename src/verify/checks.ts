// What verify checks once it holds tokens: the ID token (signature via JWKS, issuer, audience,
// nonce, expiry), a JWT access token likewise, /userinfo, and the custom claims against expectations.
import { readFileSync } from "node:fs";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from "jose";
import * as client from "openid-client";
import { AuthError, UsageError } from "../errors";
import { errorText } from "./errors";
import type { VerifyOptions } from "./options";
import type { Tokens } from "./login";

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Expected {
  readonly idToken: Record<string, unknown>;
  readonly accessToken: Record<string, unknown>;
  readonly userinfo: Record<string, unknown>;
  /** Where the expectation came from, for the report. */
  readonly source: string;
}

export async function verifyIdToken(config: client.Configuration, options: VerifyOptions, tokens: Tokens): Promise<{ payload: JWTPayload; checks: Check[] }> {
  if (!tokens.idToken) throw new AuthError("the tenant returned no ID token; the openid scope was requested, so check the application's settings");
  const metadata = config.serverMetadata();
  const payload = await verifyJwt(tokens.idToken, config, { audience: options.clientId, label: "ID token" });
  const checks: Check[] = [{ name: "ID token", ok: true, detail: `signature (JWKS, kid ${kidOf(tokens.idToken)}), issuer ${metadata.issuer}, audience ${options.clientId}, expiry` }];
  if (tokens.nonce !== undefined) {
    if (payload.nonce !== tokens.nonce) throw new AuthError("ID token rejected: its nonce is not the one sent (a replayed or foreign token)");
    checks.push({ name: "nonce", ok: true, detail: "matches the one sent" });
  }
  return { payload, checks };
}

/** Verifies a JWT against the tenant's JWKS and issuer; throws AuthError naming what failed. */
export async function verifyJwt(token: string, config: client.Configuration, expect: { audience: string; label: string }): Promise<JWTPayload> {
  const metadata = config.serverMetadata();
  if (!metadata.jwks_uri) throw new AuthError("the tenant's discovery document has no jwks_uri; can't check signatures");
  try {
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload } = await jwtVerify(token, jwks, { issuer: metadata.issuer, audience: expect.audience, algorithms: ["RS256", "PS256", "ES256"] });
    return payload;
  } catch (err) {
    const code = (err as { code?: string }).code ?? "";
    const why =
      code === "ERR_JWKS_NO_MATCHING_KEY" || code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
        ? "its signature doesn't match any key of the tenant's JWKS (signed by another key)"
        : code === "ERR_JWT_CLAIM_VALIDATION_FAILED"
          ? `claim check failed: ${errorText(err)}`
          : code === "ERR_JWT_EXPIRED"
            ? "it has expired"
            : errorText(err);
    throw new AuthError(`${expect.label} rejected: ${why}`);
  }
}

export async function userinfo(config: client.Configuration, tokens: Tokens, subject: string): Promise<Record<string, unknown>> {
  try {
    return (await client.fetchUserInfo(config, tokens.accessToken, subject)) as Record<string, unknown>;
  } catch (err) {
    throw new AuthError(`/userinfo refused the access token: ${errorText(err)}`);
  }
}

/** The access token's custom claims, when it is a JWT for the requested audience. */
export async function accessTokenClaims(config: client.Configuration, options: VerifyOptions, tokens: Tokens): Promise<{ claims?: Record<string, unknown>; skipped?: string; checks: Check[] }> {
  if (!options.audience) {
    return { skipped: "no --audience: without one, Auth0 issues an opaque access token that carries no claims", checks: [] };
  }
  try {
    decodeJwt(tokens.accessToken);
  } catch {
    return { skipped: `the access token for ${options.audience} is not a JWT; is ${options.audience} an API of this tenant?`, checks: [] };
  }
  const payload = await verifyJwt(tokens.accessToken, config, { audience: options.audience, label: "access token" });
  return { claims: payload as Record<string, unknown>, checks: [{ name: "access token", ok: true, detail: `signature (JWKS), issuer, audience ${options.audience}, expiry` }] };
}

/** --expect FILE: {"idToken": {...}, "accessToken": {...}, "userinfo": {...}}, any of them; a preview --json line fits. */
export function readExpectFile(file: string): Expected {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--expect: ${file}: ${errorText(err)}; give a JSON object with idToken, accessToken and/or userinfo`);
  }
  const object = value as Record<string, unknown>;
  const part = (key: string): Record<string, unknown> | undefined => {
    const v = object?.[key];
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UsageError(`--expect: ${file}: "${key}" must be an object of claims`);
    return v as Record<string, unknown>;
  };
  const idToken = part("idToken");
  const accessToken = part("accessToken");
  const info = part("userinfo");
  if (!idToken && !accessToken && !info) throw new UsageError(`--expect: ${file} has none of idToken, accessToken, userinfo`);
  return { idToken: idToken ?? {}, accessToken: accessToken ?? {}, userinfo: info ?? idToken ?? {}, source: file };
}

function kidOf(token: string): string {
  try {
    return String(decodeProtectedHeader(token).kid ?? "none");
  } catch {
    return "unreadable";
  }
}
