// A subset of Auth0's Management API at /api/v2/: a client-credentials token for the management
// client, GET and PATCH /api/v2/users/{id} on the tenant's users, with Auth0's error shapes.
import type { Context, Next } from "koa";
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { quote } from "../errors";
import { MANAGEMENT_SCOPES } from "./clients";
import { JSON_LIMIT, type TenantContext } from "./context";
import { HttpError, readBody } from "./http";
import type { TenantUser } from "./users";

const TOKEN_LIFETIME_S = 86_400;
const USER_PATH = /^\/api\/v2\/users\/([^/]+)$/;
const PATCHABLE = ["app_metadata", "user_metadata"] as const;
const ERROR_NAMES: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 413: "Request Entity Too Large", 415: "Unsupported Media Type" };

/** The Management API's audience on this tenant, as Auth0 names it. */
export function managementAudience(url: string): string {
  return `${url}api/v2/`;
}

/** An error as the Management API answers it: { statusCode, error, message, errorCode? }. */
class ManagementError extends HttpError {
  constructor(status: number, message: string, readonly errorCode?: string) {
    super(status, message);
  }
}

/** grant_type=client_credentials for the Management API audience, for the management client. */
export function registerManagementGrant(t: TenantContext): void {
  const audience = managementAudience(t.url);
  t.provider.registerGrantType(
    "client_credentials",
    async (ctx, next) => {
      const requested = (ctx.oidc.params as Record<string, string | undefined>).audience;
      if (requested !== audience) {
        ctx.status = 403;
        ctx.body = { error: "access_denied", error_description: `Service not found: ${quote(requested ?? "")}; the local tenant has one API for machines: ${audience}` };
        return;
      }
      const clientId = ctx.oidc.client!.clientId;
      const scope = MANAGEMENT_SCOPES.join(" ");
      const accessToken = await new SignJWT({ scope, gty: "client-credentials", azp: clientId })
        .setProtectedHeader({ alg: "RS256", kid: t.signing.kid, typ: "JWT" })
        .setIssuer(t.url)
        .setSubject(`${clientId}@clients`)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${TOKEN_LIFETIME_S}s`)
        .sign(t.signing.privateKey);
      ctx.body = { access_token: accessToken, expires_in: TOKEN_LIFETIME_S, scope, token_type: "Bearer" };
      await next();
    },
    ["audience", "scope"],
  );
}

/** The /api/v2/ routes. */
export function managementApi(t: TenantContext) {
  const audience = managementAudience(t.url);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!ctx.path.startsWith("/api/v2/")) return next();
    ctx.set("cache-control", "no-store");
    try {
      const token = await authorize(ctx, t, audience);
      const match = USER_PATH.exec(ctx.path);
      if (!match) throw new ManagementError(404, "Not Found");
      const user = findUser(t, match[1]);
      if (ctx.method === "GET") {
        needScope(token, "read:users");
        ctx.body = userRecord(user);
      } else if (ctx.method === "PATCH") {
        needScope(token, "update:users");
        applyPatch(user, await readPatch(ctx));
        ctx.body = userRecord(user);
      } else throw new ManagementError(405, `${ctx.method} is not supported on /api/v2/users/{id} by the local tenant; use GET or PATCH`);
    } catch (err) {
      const known = err instanceof HttpError ? err : new ManagementError(400, "Bad Request");
      ctx.status = known.status;
      ctx.body = { statusCode: known.status, error: ERROR_NAMES[known.status] ?? "Bad Request", message: known.message, ...(known instanceof ManagementError && known.errorCode ? { errorCode: known.errorCode } : {}) };
    }
  };
}

async function authorize(ctx: Context, t: TenantContext, audience: string): Promise<JWTPayload> {
  const header = ctx.get("authorization");
  if (!header) throw new ManagementError(401, "Missing authentication");
  const bearer = /^Bearer (\S+)$/.exec(header)?.[1];
  if (!bearer) throw new ManagementError(401, "Bad HTTP authentication header format", "invalid_authorization_header");
  try {
    const { payload } = await jwtVerify(bearer, t.signing.publicKey, { issuer: t.url, algorithms: ["RS256"] });
    const audiences = typeof payload.aud === "string" ? [payload.aud] : (payload.aud ?? []);
    if (!audiences.includes(audience)) throw new ManagementError(401, `Bad audience: ${audiences.join(" ")}`, "invalid_token");
    return payload;
  } catch (err) {
    if (err instanceof ManagementError) throw err;
    throw new ManagementError(401, err instanceof joseErrors.JWTExpired ? "Expired token received for JSON Web Token validation" : "Invalid token", "invalid_token");
  }
}

function needScope(token: JWTPayload, scope: string): void {
  if (!String(token.scope ?? "").split(" ").includes(scope)) {
    throw new ManagementError(403, `Insufficient scope, expected any of: ${scope}`, "insufficient_scope");
  }
}

function findUser(t: TenantContext, encodedId: string): TenantUser {
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    throw new ManagementError(400, "Path validation error: the user id is not valid percent-encoding", "invalid_uri");
  }
  const user = t.users.bySubject(id);
  if (!user) throw new ManagementError(404, "The user does not exist.", "inexistent_user");
  return user;
}

type Patch = Partial<Record<(typeof PATCHABLE)[number], Record<string, unknown>>>;

async function readPatch(ctx: Context): Promise<Patch> {
  if (!ctx.is("application/json")) throw new ManagementError(415, "Send the body as application/json", "invalid_body");
  let body: unknown;
  try {
    body = JSON.parse(await readBody(ctx.req, JSON_LIMIT));
  } catch (err) {
    if (err instanceof HttpError) throw new ManagementError(err.status, `Payload content length greater than maximum allowed: ${JSON_LIMIT}`);
    throw new ManagementError(400, "Invalid request payload JSON format", "invalid_body");
  }
  if (!isObject(body)) throw new ManagementError(400, "Payload validation error: 'Expected type object' on the body", "invalid_body");
  for (const [field, value] of Object.entries(body)) {
    if (!(PATCHABLE as readonly string[]).includes(field)) {
      throw new ManagementError(400, `Payload validation error: ${quote(field)} is not a field the local tenant updates; it updates ${PATCHABLE.join(" and ")}`, "invalid_body");
    }
    if (!isObject(value)) throw new ManagementError(400, `Payload validation error: 'Expected type object but found type ${kind(value)}' on property ${field}.`, "invalid_body");
  }
  return body as Patch;
}

/** Auth0's merge: top-level keys are merged, a key set to null is removed, and {} empties the metadata. */
function applyPatch(user: TenantUser, patch: Patch): void {
  const record: Record<string, unknown> = { ...user.record };
  for (const field of PATCHABLE) {
    const changes = patch[field];
    if (changes === undefined) continue;
    // A Map, then Object.fromEntries: a "__proto__" key from JSON stays a plain key.
    const merged = new Map(Object.keys(changes).length === 0 || !isObject(record[field]) ? [] : Object.entries(record[field]));
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) merged.delete(key);
      else merged.set(key, value);
    }
    record[field] = Object.fromEntries(merged);
  }
  record.updated_at = new Date().toISOString();
  user.record = record;
}

function userRecord(user: TenantUser): Record<string, unknown> {
  return { ...user.record, user_id: user.sub, app_metadata: user.record.app_metadata ?? {}, user_metadata: user.record.user_metadata ?? {} };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

