// A subset of Auth0's Management API at /api/v2/: a client-credentials token for the management
// client, GET and PATCH /api/v2/users/{id} on the tenant's users, the Actions API (actions-api.ts),
// with Auth0's error shapes. Each route declares who may call it (management-access.ts); the
// dispatcher checks it before the route runs.
import type { Context } from "koa";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { escapeControl, quote } from "../errors";
import { mergedMetadata } from "../runtime/effects";
import { ACTIONS_ROUTES } from "./actions-api";
import { JSON_DEPTH_LIMIT, type TenantContext, type Next } from "./context";
import { HttpError } from "./http";
import {
  MANAGEMENT_CLIENT_GRANTS,
  ManagementError,
  managementAudience,
  managementCaller,
  requireAccess,
  type ManagementCaller,
} from "./management-access";
import { deeperThan, isObject, kind, readJsonBody, type Route } from "./management-request";
import type { TenantUser } from "./users";

const TOKEN_LIFETIME_S = 86_400;
const PATCHABLE = ["app_metadata", "user_metadata"] as const;
const ERROR_NAMES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
};

/** grant_type=client_credentials for the Management API audience, for a client with a grant to it. */
export function registerManagementGrant(t: TenantContext): void {
  const audience = managementAudience(t.url);
  t.provider.registerGrantType(
    "client_credentials",
    async (ctx, next) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const refuse = (description: string) => {
        ctx.status = 403;
        ctx.body = { error: "access_denied", error_description: description };
      };
      if (params.audience !== audience)
        return refuse(
          `Service not found: ${quote(params.audience ?? "")}; the local tenant has one API for machines: ${audience}`,
        );
      const clientId = ctx.oidc.client!.clientId;
      const granted = MANAGEMENT_CLIENT_GRANTS.get(clientId);
      if (!granted)
        return refuse(
          `Client is not authorized to access ${quote(audience)}. On the local tenant only ${[...MANAGEMENT_CLIENT_GRANTS.keys()].join(", ")} is`,
        );
      // Auth0 gives the scopes asked for if all are granted, every granted scope if none is asked for.
      const requested = [...new Set((params.scope ?? "").split(" ").filter(Boolean))];
      const notGranted = requested.filter((scope) => !granted.includes(scope));
      if (notGranted.length > 0)
        return refuse(`Client has not been granted scopes: ${escapeControl(notGranted.join(" ")).slice(0, 200)}`);
      const scope = (requested.length > 0 ? requested : granted).join(" ");
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

const USER_PATH = /^\/api\/v2\/users\/([^/]+)$/;

const ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: USER_PATH,
    template: "/api/v2/users/{id}",
    access: ([id]) => ({ scopes: ["read:users"], currentUser: { userId: id, scopes: ["read:current_user"] } }),
    handle: async (_ctx, t, [id]) => userRecord(findUser(t, id)),
  },
  {
    method: "PATCH",
    path: USER_PATH,
    template: "/api/v2/users/{id}",
    access: ([id]) => ({
      scopes: ["update:users"],
      currentUser: { userId: id, scopes: ["update:current_user_metadata", "create:current_user_metadata"] },
    }),
    handle: async (ctx, t, [id], caller) => {
      const user = findUser(t, id);
      const patch = await readPatch(ctx);
      // A user's own token changes user_metadata only: app_metadata is for the application to set.
      if (patch.app_metadata !== undefined) requireAccess(caller, { scopes: ["update:users"] });
      applyPatch(user, patch);
      return userRecord(user);
    },
  },
  ...ACTIONS_ROUTES,
];

/** The /api/v2/ routes: the token is checked first, then the route's access, then the route runs. */
export function managementApi(t: TenantContext) {
  const audience = managementAudience(t.url);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!ctx.path.startsWith("/api/v2/")) return next();
    ctx.set("cache-control", "no-store");
    try {
      const caller = await authenticate(ctx, t, audience);
      const onPath = ROUTES.filter((route) => route.path.test(ctx.path));
      if (onPath.length === 0) throw new ManagementError(404, "Not Found");
      const route = onPath.find((r) => r.method === ctx.method);
      if (!route)
        throw new ManagementError(
          405,
          `${ctx.method} is not supported on ${onPath[0].template} by the local tenant; use ${onPath.map((r) => r.method).join(" or ")}`,
        );
      const params = route.path
        .exec(ctx.path)!
        .slice(1)
        .map((param) => decodeParam(param, route.template));
      requireAccess(caller, route.access(params));
      ctx.body = await route.handle(ctx, t, params, caller);
    } catch (err) {
      const known = err instanceof HttpError ? err : new ManagementError(400, "Bad Request");
      ctx.status = known.status;
      ctx.body = {
        statusCode: known.status,
        error: ERROR_NAMES[known.status] ?? "Bad Request",
        message: known.message,
        ...(known instanceof ManagementError && known.errorCode ? { errorCode: known.errorCode } : {}),
      };
    }
  };
}

/** The caller of a bearer token this tenant signed for the Management API; 401 otherwise. */
async function authenticate(ctx: Context, t: TenantContext, audience: string): Promise<ManagementCaller> {
  const header = ctx.get("authorization");
  if (!header) throw new ManagementError(401, "Missing authentication");
  const bearer = /^Bearer (\S+)$/.exec(header)?.[1];
  if (!bearer) throw new ManagementError(401, "Bad HTTP authentication header format", "invalid_authorization_header");
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(bearer, t.signing.publicKey, { issuer: t.url, algorithms: ["RS256"] }));
  } catch (err) {
    throw new ManagementError(
      401,
      err instanceof joseErrors.JWTExpired ? "Expired token received for JSON Web Token validation" : "Invalid token",
      "invalid_token",
    );
  }
  const audiences = typeof claims.aud === "string" ? [claims.aud] : (claims.aud ?? []);
  if (!audiences.includes(audience))
    throw new ManagementError(401, `Bad audience: ${audiences.join(" ")}`, "invalid_token");
  return managementCaller(claims);
}

function decodeParam(encoded: string, template: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new ManagementError(
      400,
      `Path validation error: a parameter of ${template} is not valid percent-encoding`,
      "invalid_uri",
    );
  }
}

function findUser(t: TenantContext, id: string): TenantUser {
  const user = t.users.bySubject(id);
  if (!user) throw new ManagementError(404, "The user does not exist.", "inexistent_user");
  return user;
}

type Patch = Partial<Record<(typeof PATCHABLE)[number], Record<string, unknown>>>;

async function readPatch(ctx: Context): Promise<Patch> {
  const body = await readJsonBody(ctx);
  if (!isObject(body))
    throw new ManagementError(400, "Payload validation error: 'Expected type object' on the body", "invalid_body");
  for (const [field, value] of Object.entries(body)) {
    if (!(PATCHABLE as readonly string[]).includes(field)) {
      throw new ManagementError(
        400,
        `Payload validation error: ${quote(field)} is not a field the local tenant updates; it updates ${PATCHABLE.join(" and ")}`,
        "invalid_body",
      );
    }
    if (!isObject(value))
      throw new ManagementError(
        400,
        `Payload validation error: 'Expected type object but found type ${kind(value)}' on property ${field}.`,
        "invalid_body",
      );
    // Checked before anything is stored: a record nested thousands deep can't be serialized again.
    if (deeperThan(value, JSON_DEPTH_LIMIT)) {
      throw new ManagementError(
        400,
        `Payload validation error: ${field} is nested more than ${JSON_DEPTH_LIMIT} levels deep; the local tenant stores at most ${JSON_DEPTH_LIMIT}: flatten it`,
        "invalid_body",
      );
    }
  }
  return body;
}

/** Auth0's merge: top-level keys are merged, a key set to null is removed, and {} empties the metadata. */
function applyPatch(user: TenantUser, patch: Patch): void {
  const record: Record<string, unknown> = { ...user.record };
  for (const field of PATCHABLE) {
    const changes = patch[field];
    if (changes === undefined) continue;
    record[field] = Object.keys(changes).length === 0 ? {} : mergedMetadata(record[field], Object.entries(changes));
  }
  record.updated_at = new Date().toISOString();
  user.record = record;
}

function userRecord(user: TenantUser): Record<string, unknown> {
  return {
    ...user.record,
    user_id: user.sub,
    app_metadata: user.record.app_metadata ?? {},
    user_metadata: user.record.user_metadata ?? {},
  };
}
