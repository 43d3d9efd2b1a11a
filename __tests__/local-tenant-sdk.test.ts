// Auth0's own client (@auth0/auth0-auth-js) against the local tenant over https: the password grant,
// the code flow through the login form, /userinfo, the Management API, refresh tokens and logout; and
// the bad requests an application can send, each answered with a 4xx, never a 500.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { claimsOf, TenantDriver } from "./helpers/tenant-driver-client";

const NS = "https://dev.example.com/claims";
const PASSWORD = "local-password";
const APP = "http://127.0.0.1:3999"; // the application's origin: never listened on, the browser stops at its callback
const dir = mkdtempSync(join(tmpdir(), "local-tenant-sdk-"));

let d: TenantDriver;
beforeAll(async () => {
  d = await TenantDriver.start(dir);
});
afterAll(() => {
  d?.close();
  rmSync(dir, { recursive: true, force: true });
});

const password = (username: string, extra: Record<string, string> = {}) =>
  d.sdk("auth", "getTokenByPassword", { username, password: PASSWORD, scope: "openid profile email", ...extra });
const managementToken = async () =>
  (await d.sdk("machine", "getTokenByClientCredentials", { audience: d.info.managementAudience }))
    .accessToken as string;

function management(method: string, path: string, init: { token?: string; body?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return d.fetch(`${d.info.url}api/v2/${path}`, { method, headers, body: init.body });
}

const patchAppMetadata = async (userId: string, appMetadata: unknown) =>
  management("PATCH", `users/${encodeURIComponent(userId)}`, {
    token: await managementToken(),
    body: JSON.stringify({ app_metadata: appMetadata }),
  });

async function codeFlowLogin(browser: string, username: string): Promise<Record<string, any>> {
  const { authorizationUrl, codeVerifier } = await d.sdk("auth", "buildAuthorizationUrl", {
    authorizationParams: { redirect_uri: `${APP}/callback`, scope: "openid profile email" },
  });
  const { callback } = await d.navigate(browser, authorizationUrl, APP, { username, password: PASSWORD });
  return d.sdk("auth", "getTokenByCode", callback, { codeVerifier });
}

describe("Auth0's SDK, pointed at the local tenant by its domain", () => {
  test("the issuer is https://127.0.0.1:PORT/, the URL the SDK builds from the domain", async () => {
    expect(d.info.url).toBe(`https://${d.info.domain}/`);
    expect((await d.sdk("auth", "getServerMetadata")).issuer).toBe(d.info.url);
  });

  test("password grant: the ID token carries the claims the action computes", async () => {
    const tokens = await password("alice@example.com");
    expect(claimsOf(tokens.idToken)).toMatchObject({
      sub: "auth0|alice",
      [`${NS}/roles`]: ["admin", "editor"],
      [`${NS}/permissions`]: ["read:reports", "write:reports"],
    });
  });

  test("authorization code flow: the SDK's authorize URL, the login form, the SDK's code exchange", async () => {
    const tokens = await codeFlowLogin("code-flow", "carol@example.com");
    expect(claimsOf(tokens.idToken)).toMatchObject({ sub: "auth0|carol", [`${NS}/permissions`]: "read:reports" });
    expect(claimsOf(tokens.idToken)).not.toHaveProperty(`${NS}/roles`);
  });

  test("/userinfo answers the SDK with the ID token's custom claims", async () => {
    const tokens = await password("alice@example.com");
    const profile = await d.sdk("auth", "getUserInfo", {
      accessToken: tokens.accessToken,
      expectedSubject: "auth0|alice",
    });
    expect(profile).toMatchObject({
      sub: "auth0|alice",
      email: "alice@example.com",
      [`${NS}/roles`]: ["admin", "editor"],
    });
  });

  test("each login tells the deployed actions how it came about, as Auth0's event.transaction.protocol does", async () => {
    // An action deployed and appended to the flow through the Actions API, that echoes the protocol.
    const token = await managementToken();
    const code = `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim("https://example.com/test/protocol", event.transaction.protocol); };`;
    const created = JSON.parse(
      (
        await management("POST", "actions/actions", {
          token,
          body: JSON.stringify({
            name: "echo-protocol",
            supported_triggers: [{ id: "post-login", version: "v3" }],
            code,
          }),
        })
      ).body,
    );
    expect((await management("POST", `actions/actions/${created.id}/deploy`, { token })).status).toBe(200);
    const bound = JSON.parse((await management("GET", "actions/triggers/post-login/bindings", { token })).body)
      .bindings as { action: { id: string }; display_name: string }[];
    const refs = (ids: string[]) =>
      JSON.stringify({ bindings: ids.map((id) => ({ ref: { type: "action_id", value: id } })) });
    const before = bound.map((b) => b.action.id);
    expect(
      (
        await management("PATCH", "actions/triggers/post-login/bindings", {
          token,
          body: refs([...before, created.id]),
        })
      ).status,
    ).toBe(200);
    try {
      const tokens = await password("erin@example.com", { scope: "openid offline_access" });
      expect(claimsOf(tokens.idToken)["https://example.com/test/protocol"]).toBe("oauth2-resource-owner");
      const refreshed = await d.sdk("auth", "getTokenByRefreshToken", { refreshToken: tokens.refreshToken });
      expect(claimsOf(refreshed.idToken)["https://example.com/test/protocol"]).toBe("oauth2-refresh-token");
    } finally {
      expect(
        (await management("PATCH", "actions/triggers/post-login/bindings", { token, body: refs(before) })).status,
      ).toBe(200);
    }
  });
});

describe("the stale-token story", () => {
  test("after a Management API PATCH of roles, a refresh carries the new roles; the first ID token keeps the old", async () => {
    const first = await password("erin@example.com", { scope: "openid profile offline_access" });
    expect(first.refreshToken).toEqual(expect.any(String));
    const patch = await patchAppMetadata("auth0|erin", { roles: ["editor"] });
    expect(patch.status).toBe(200);
    expect(JSON.parse(patch.body)).toMatchObject({
      user_id: "auth0|erin",
      app_metadata: { roles: ["editor"], plan: "free" },
    });

    const refreshed = await d.sdk("auth", "getTokenByRefreshToken", { refreshToken: first.refreshToken });
    expect(claimsOf(refreshed.idToken)[`${NS}/roles`]).toEqual(["editor"]);
    expect(claimsOf(first.idToken)[`${NS}/roles`]).toEqual(["viewer"]);
  });

  test("roles given while the tenant runs reach the next login through the form, not the tokens already issued", async () => {
    const before = await codeFlowLogin("bob-1", "bob@example.com");
    expect((await patchAppMetadata("auth0|bob", { roles: ["auditor"] })).status).toBe(200);
    const after = await codeFlowLogin("bob-2", "bob@example.com");
    expect(claimsOf(before.idToken)).not.toHaveProperty(`${NS}/roles`);
    expect(claimsOf(after.idToken)[`${NS}/roles`]).toEqual(["auditor"]);
  });

  test("an SSO login (the session answers /authorize, no form) runs the action again, as Auth0 does", async () => {
    await codeFlowLogin("bob-sso", "bob@example.com");
    expect((await patchAppMetadata("auth0|bob", { roles: ["auditor", "owner"] })).status).toBe(200);
    const { authorizationUrl, codeVerifier } = await d.sdk("auth", "buildAuthorizationUrl", {
      authorizationParams: { redirect_uri: `${APP}/callback`, scope: "openid" },
    });
    const { callback } = await d.navigate("bob-sso", authorizationUrl, APP);
    const tokens = await d.sdk("auth", "getTokenByCode", callback, { codeVerifier });
    expect(claimsOf(tokens.idToken)[`${NS}/roles`]).toEqual(["auditor", "owner"]);
  });

  test("a code-flow login with offline_access gets a refresh token from the SDK's exchange", async () => {
    const { authorizationUrl, codeVerifier } = await d.sdk("auth", "buildAuthorizationUrl", {
      authorizationParams: { redirect_uri: `${APP}/callback`, scope: "openid offline_access" },
    });
    const { callback } = await d.navigate("offline", authorizationUrl, APP, {
      username: "alice@example.com",
      password: PASSWORD,
    });
    const tokens = await d.sdk("auth", "getTokenByCode", callback, { codeVerifier });
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(
      claimsOf((await d.sdk("auth", "getTokenByRefreshToken", { refreshToken: tokens.refreshToken })).idToken).sub,
    ).toBe("auth0|alice");
  });

  test("an access token for an API is a JWT whose claims are fixed when it is issued", async () => {
    const api = "https://api.example.com";
    const first = await password("alice@example.com", { audience: api, scope: "openid offline_access" });
    await patchAppMetadata("auth0|alice", { roles: ["admin"] });
    const refreshed = await d.sdk("auth", "getTokenByRefreshToken", {
      refreshToken: first.refreshToken,
      audience: api,
    });
    await patchAppMetadata("auth0|alice", { roles: ["admin", "editor"] });
    expect(claimsOf(first.accessToken)).toMatchObject({ aud: api, [`${NS}/roles`]: ["admin", "editor"] });
    expect(claimsOf(refreshed.accessToken)).toMatchObject({ aud: api, [`${NS}/roles`]: ["admin"] });
  });
});

describe("logout at /v2/logout", () => {
  test("the SDK's logout URL ends the session: the next /authorize shows the login form again", async () => {
    await codeFlowLogin("logout", "alice@example.com");
    const { authorizationUrl } = await d.sdk("auth", "buildAuthorizationUrl", {
      authorizationParams: { redirect_uri: `${APP}/callback` },
    });
    expect((await d.navigate("logout", authorizationUrl, APP)).callback).toMatch(
      /^http:\/\/127\.0\.0\.1:3999\/callback\?code=/,
    ); // logged in: straight back

    const logoutUrl = await d.sdk<string>("auth", "buildLogoutUrl", { returnTo: `${APP}/` });
    expect(logoutUrl.startsWith(`${d.info.url}v2/logout?`)).toBe(true);
    expect((await d.navigate("logout", logoutUrl, APP)).callback).toBe(`${APP}/`);

    const again = await d.navigate("logout", authorizationUrl, APP);
    expect(again.callback).toBeUndefined();
    expect(again.page?.html).toMatch(/<form method="post" action="\/u\/login\//);
  });

  test("a returnTo that is not an allowed logout URL is refused with the reason (400)", async () => {
    const response = await d.fetch(
      `${d.info.url}v2/logout?client_id=${d.info.clientId}&returnTo=${encodeURIComponent("https://evil.example/")}`,
    );
    expect(response.status).toBe(400);
    expect(response.body).toMatch(/returnTo &#34;https:\/\/evil\.example\/&#34; is not an allowed logout URL/);
  });
});

describe("Management API errors, in Auth0's shape", () => {
  test("an unknown user is 404 inexistent_user", async () => {
    const response = await management("GET", "users/auth0%7Cnobody", { token: await managementToken() });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: "The user does not exist.",
      errorCode: "inexistent_user",
    });
  });

  test("a body that is not JSON is 400 invalid_body", async () => {
    const response = await management("PATCH", "users/auth0%7Calice", {
      token: await managementToken(),
      body: "{roles:",
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      statusCode: 400,
      error: "Bad Request",
      errorCode: "invalid_body",
    });
  });

  test("app_metadata that is not an object is 400 and changes nothing", async () => {
    const response = await patchAppMetadata("auth0|carol", ["admin"]);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).message).toMatch(
      /Expected type object but found type array' on property app_metadata/,
    );
    const record = await management("GET", "users/auth0%7Ccarol", { token: await managementToken() });
    expect(JSON.parse(record.body).app_metadata).toEqual({ roles: null, permissions: "read:reports" });
  });

  test("PATCH merges app_metadata as Auth0 does: top-level keys merged, null removes a key", async () => {
    const permissions = JSON.parse(readFileSync("samples/users.ndjson", "utf8").split("\n")[3]).app_metadata
      .permissions;
    const response = await patchAppMetadata("google-oauth2|dave", { roles: null, team: { name: "support" } });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).app_metadata).toEqual({ permissions, team: { name: "support" } });
  });

  test("no token is 401", async () => {
    const response = await management("GET", "users/auth0%7Calice");
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 401,
      error: "Unauthorized",
      message: "Missing authentication",
    });
  });

  test("a token for another audience is 401", async () => {
    const { accessToken } = await password("alice@example.com", { audience: "https://api.example.com" });
    const response = await management("GET", "users/auth0%7Calice", { token: accessToken });
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 401,
      error: "Unauthorized",
      message: "Bad audience: https://api.example.com",
      errorCode: "invalid_token",
    });
  });

  test("the login application can't get a Management API token", async () => {
    const refused = d.sdk("auth", "getTokenByClientCredentials", { audience: d.info.managementAudience });
    await expect(refused).rejects.toMatchObject({
      cause: { error_description: "requested grant type is not allowed for this client" },
    });
  });

  test("a body over the limit is 413, never a 500", async () => {
    const response = await patchAppMetadata("auth0|alice", { blob: "x".repeat(1_100_000) });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).statusCode).toBe(413);
  });
});

// Bad requests get a 4xx with a one-line reason, never a 500 or a stack trace: oversized or malformed
// login forms, unknown logins, malformed token requests.
describe("bad requests", () => {
  let loginUrl: string;
  beforeAll(async () => {
    const { authorizationUrl } = await d.sdk("auth", "buildAuthorizationUrl", {
      authorizationParams: { redirect_uri: "http://127.0.0.1:3999/callback" },
    });
    const { page } = await d.navigate("requests", authorizationUrl, "http://127.0.0.1:3999");
    loginUrl = new URL(/<form method="post" action="([^"]+)"/.exec(page!.html)![1], d.info.url).href;
  });

  const form = (body: string, contentType = "application/x-www-form-urlencoded") =>
    d.fetch(loginUrl, { method: "POST", headers: { "content-type": contentType }, body }, "requests");
  const reason = (html: string) => /<p>([^<]*)<\/p>/.exec(html)?.[1];

  test("an oversized login form is 413 with the limit, not a 500", async () => {
    const response = await form(`username=alice%40example.com&password=${"x".repeat(100_000)}`);
    expect(response.status).toBe(413);
    expect(reason(response.body)).toBe("request body over 16384 bytes");
  });

  test("a login form in another content type is 415 saying which one to send", async () => {
    const response = await form(JSON.stringify({ username: "alice@example.com" }), "application/json");
    expect(response.status).toBe(415);
    expect(reason(response.body)).toBe("send the form as application/x-www-form-urlencoded");
  });

  test("a login that was never started (unknown interaction) is 400", async () => {
    const response = await d.fetch(`${d.info.url}u/login/not-an-interaction`);
    expect(response.status).toBe(400);
    expect(reason(response.body)).toBe("this login has expired or was never started; start again from the application");
  });

  test("a login form with a malformed percent-encoding is answered, not crashed on: wrong password (401)", async () => {
    const response = await form("username=%E0%A4%A&password=%");
    expect(response.status).toBe(401);
    expect(response.body).toMatch(/Wrong email or password\./);
  });

  test("a token request whose JSON body does not parse is 400", async () => {
    const response = await d.fetch(`${d.info.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{grant_type",
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({
      error: "invalid_request",
      error_description: "the token request's JSON body does not parse",
    });
  });

  test("a token request in JSON with a nested value is 400 naming the parameter", async () => {
    const body = JSON.stringify({ grant_type: "password", username: { $ne: "" } });
    const response = await d.fetch(`${d.info.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error_description).toBe('token request parameter "username" must be a string');
  });

  test("an oversized token request is a 4xx from oidc-provider, not a 500", async () => {
    const response = await d.fetch(`${d.info.url}oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=password&x=${"y".repeat(100_000)}`,
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
