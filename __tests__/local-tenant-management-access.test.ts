// Who may use the local tenant's Management API, against the real tenant process: a user's login
// for the Management API gets only Auth0's current-user scopes, so it can't read or change other
// users (or its own app_metadata); client credentials give only the scopes the client was granted;
// a PATCH nested too deep is refused before anything is stored. Then the check every route makes,
// on tokens the tenant would never issue (its signing key never leaves the process).
import { startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";
import { TenantBrowser } from "./helpers/tenant-browser";
import { claimsOf } from "./helpers/tenant-driver-client";
import { managementCaller, requireAccess } from "../src/local-tenant/management-access";

const APP = "http://127.0.0.1:3999"; // never listened on: the browser stops at the callback
const LOGIN = { client_id: "local-test-client", client_secret: "local-test-secret" };
const MACHINE = { client_id: "local-management-client", client_secret: "local-management-secret" };

let tenant: TenantProcess;
let api: string;
beforeAll(async () => {
  tenant = await startTenantProcess();
  api = `${tenant.url}api/v2/`;
});
afterAll(() => tenant?.child.kill());

async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${tenant.url}oauth/token`, {
    method: "POST",
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** A login through /authorize and the form, as an application does it; the code exchanged for tokens. */
async function codeFlowLogin(username: string, scope: string, audience: string): Promise<Record<string, any>> {
  const authorize = `${tenant.url}authorize?${new URLSearchParams({ response_type: "code", client_id: LOGIN.client_id, redirect_uri: `${APP}/callback`, scope, audience, state: "s" }).toString()}`;
  const { callback } = await new TenantBrowser().navigate(authorize, APP, { username, password: "local-password" });
  const code = callback?.searchParams.get("code");
  if (!code) throw new Error(`no code: ${callback?.href}`);
  const tokens = await token({ grant_type: "authorization_code", ...LOGIN, code, redirect_uri: `${APP}/callback` });
  expect(tokens.status).toBe(200);
  return tokens.body;
}

const machineToken = async (scope?: string) =>
  (await token({ grant_type: "client_credentials", ...MACHINE, audience: api, ...(scope ? { scope } : {}) })).body
    .access_token as string;

async function management(
  method: string,
  userId: string,
  accessToken: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${api}users/${encodeURIComponent(userId)}`, {
    method,
    headers: {
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}

describe("a user's login for the Management API (authorization code flow)", () => {
  let stolen: Record<string, any>;
  beforeAll(async () => {
    stolen = await codeFlowLogin("carol@example.com", "openid read:users update:users", api);
  });

  test("asking for read:users update:users gets neither: Auth0 gives a user's token only the current-user scopes", () => {
    const claims = claimsOf(stolen.access_token);
    expect(claims.aud).toBe(api);
    expect(String(claims.scope).split(" ")).not.toContain("read:users");
    expect(String(claims.scope).split(" ")).not.toContain("update:users");
  });

  test("its token can't give another user roles: PATCH is 403 and the user is unchanged", async () => {
    const before = await management("GET", "auth0|bob", await machineToken());
    const patch = await management("PATCH", "auth0|bob", stolen.access_token, { app_metadata: { roles: ["owner"] } });
    expect(patch.status).toBe(403);
    expect(patch.body).toMatchObject({ statusCode: 403, error: "Forbidden", errorCode: "insufficient_scope" });
    expect(await management("GET", "auth0|bob", await machineToken())).toEqual(before);
  });

  test("its token can't give its own user roles for the next login either", async () => {
    const patch = await management("PATCH", "auth0|carol", stolen.access_token, { app_metadata: { roles: ["owner"] } });
    expect(patch.status).toBe(403);
    expect(patch.body.errorCode).toBe("insufficient_scope");
  });

  test("its token can't read another user", async () => {
    const read = await management("GET", "auth0|alice", stolen.access_token);
    expect(read.status).toBe(403);
    expect(read.body.message).toMatch(/^Insufficient scope, expected any of: read:users/);
  });
});

describe("Auth0's current-user scopes on a user's own token", () => {
  let own: string;
  beforeAll(async () => {
    own = (await codeFlowLogin("erin@example.com", "openid read:current_user update:current_user_metadata", api))
      .access_token;
  });

  test("read:current_user reads the user's own record, and no other", async () => {
    const self = await management("GET", "auth0|erin", own);
    expect(self.status).toBe(200);
    expect(self.body.user_id).toBe("auth0|erin");
    expect((await management("GET", "auth0|alice", own)).status).toBe(403);
  });

  test("update:current_user_metadata changes the user's own user_metadata, never app_metadata", async () => {
    const metadata = await management("PATCH", "auth0|erin", own, { user_metadata: { theme: "light" } });
    expect(metadata.status).toBe(200);
    expect(metadata.body.user_metadata).toMatchObject({ theme: "light" });
    const roles = await management("PATCH", "auth0|erin", own, { app_metadata: { roles: ["owner"] } });
    expect(roles.status).toBe(403);
    expect(roles.body.message).toBe("Insufficient scope, expected any of: update:users");
  });
});

test("the password grant gives a user's token the same current-user scopes, and so does a refresh of it", async () => {
  const login = await token({
    grant_type: "password",
    ...LOGIN,
    username: "erin@example.com",
    password: "local-password",
    audience: api,
    scope: "openid offline_access read:current_user read:users",
  });
  expect(login.status).toBe(200);
  expect(claimsOf(login.body.access_token).scope).toBe("openid offline_access read:current_user");
  const refreshed = await token({
    grant_type: "refresh_token",
    ...LOGIN,
    refresh_token: login.body.refresh_token,
    audience: api,
  });
  expect(refreshed.status).toBe(200);
  expect(String(claimsOf(refreshed.body.access_token).scope).split(" ")).toContain("read:current_user");
  expect((await management("GET", "auth0|erin", refreshed.body.access_token)).status).toBe(200);
});

describe("client credentials give only what the client was granted", () => {
  test("a scope the management client has no grant for is refused as Auth0 refuses it", async () => {
    const refused = await token({
      grant_type: "client_credentials",
      ...MACHINE,
      audience: api,
      scope: "read:users delete:users",
    });
    expect(refused).toEqual({
      status: 403,
      body: { error: "access_denied", error_description: "Client has not been granted scopes: delete:users" },
    });
  });

  test("a token asked for read:users only reads; it can't PATCH", async () => {
    const reader = await machineToken("read:users");
    expect(claimsOf(reader).scope).toBe("read:users");
    expect((await management("GET", "auth0|alice", reader)).status).toBe(200);
    expect((await management("PATCH", "auth0|alice", reader, { app_metadata: { roles: ["owner"] } })).status).toBe(403);
  });
});

describe("JSON depth", () => {
  test("a PATCH nested 10,000 deep is 400 invalid_body, and the user is unchanged: GET still answers the same record", async () => {
    const admin = await machineToken();
    const before = await management("GET", "auth0|alice", admin);
    expect(before.status).toBe(200);
    const deep = `{"app_metadata":{"x":${"[".repeat(10_000)}1${"]".repeat(10_000)}}}`;
    const patch = await management("PATCH", "auth0|alice", admin, deep);
    expect(patch.status).toBe(400);
    expect(patch.body).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: expect.stringMatching(/^Payload validation error: app_metadata is nested more than 32 levels deep/),
      errorCode: "invalid_body",
    });
    expect(await management("GET", "auth0|alice", admin)).toEqual(before);
  });

  test("the limit is 32 levels: metadata 32 levels deep is stored and read back, 33 is refused", async () => {
    const admin = await machineToken();
    const nested = (levels: number) => {
      let value: unknown = "leaf";
      for (let level = 1; level < levels; level++) value = { [`l${level}`]: value };
      return value; // user_metadata itself is the first level
    };
    const at = await management("PATCH", "google-oauth2|dave", admin, { user_metadata: { nested: nested(32) } });
    expect(at.status).toBe(200);
    expect((await management("GET", "google-oauth2|dave", admin)).body.user_metadata.nested).toEqual(nested(32));
    const over = await management("PATCH", "google-oauth2|dave", admin, { user_metadata: { nested: nested(33) } });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/^Payload validation error: user_metadata is nested more than 32 levels deep/);
  });
});

describe("the check every Management API route makes of a verified token", () => {
  const machine = { gty: "client-credentials", azp: "local-management-client", sub: "local-management-client@clients" };
  const READ_BOB = { scopes: ["read:users"], currentUser: { userId: "auth0|bob", scopes: ["read:current_user"] } };

  test("a client-credentials token for a client with no grant to the Management API is 401", () => {
    expect(() =>
      managementCaller({ ...machine, azp: "local-test-client", sub: "local-test-client@clients", scope: "read:users" }),
    ).toThrow(
      expect.objectContaining({
        status: 401,
        errorCode: "invalid_token",
        message: 'Invalid token: client "local-test-client" has no grant to the Management API',
      }),
    );
  });

  test("a client-credentials token whose subject is not its client is 401", () => {
    expect(() => managementCaller({ ...machine, sub: "auth0|alice", scope: "read:users" })).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });

  test("a scope beyond the client's grant does not count", () => {
    const caller = managementCaller({ ...machine, scope: "read:users delete:users" });
    expect(() => requireAccess(caller, { scopes: ["delete:users"] })).toThrow(
      expect.objectContaining({ status: 403, message: "Insufficient scope, expected any of: delete:users" }),
    );
    expect(() => requireAccess(caller, READ_BOB)).not.toThrow();
  });

  test("a user's token counts only current-user scopes, on that user: read:users update:users open nothing", () => {
    const user = managementCaller({
      client_id: "local-test-client",
      sub: "auth0|carol",
      scope: "openid read:users update:users read:current_user",
    });
    expect(() => requireAccess(user, READ_BOB)).toThrow(
      expect.objectContaining({
        status: 403,
        errorCode: "insufficient_scope",
        message: "Insufficient scope, expected any of: read:users,read:current_user",
      }),
    );
    expect(() =>
      requireAccess(user, {
        scopes: ["update:users"],
        currentUser: { userId: "auth0|carol", scopes: ["update:current_user_metadata"] },
      }),
    ).toThrow(expect.objectContaining({ status: 403 }));
    expect(() =>
      requireAccess(user, { ...READ_BOB, currentUser: { userId: "auth0|carol", scopes: ["read:current_user"] } }),
    ).not.toThrow();
  });

  test("a token for a user from the management client, or from no known client, is 401", () => {
    expect(() =>
      managementCaller({ client_id: "local-management-client", sub: "auth0|alice", scope: "read:current_user" }),
    ).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => managementCaller({ sub: "auth0|alice", scope: "read:current_user" })).toThrow(
      expect.objectContaining({ status: 401 }),
    );
  });
});
