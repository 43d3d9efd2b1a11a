// Bad requests to the local tenant get a 4xx with a one-line reason, never a 500 or a stack trace:
// oversized or malformed login forms, unknown logins, malformed token requests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TenantDriver } from "./helpers/tenant-driver-client";

const dir = mkdtempSync(join(tmpdir(), "local-tenant-requests-"));
let d: TenantDriver;
let loginUrl: string;

beforeAll(async () => {
  d = await TenantDriver.start(dir);
  const { authorizationUrl } = await d.sdk("auth", "buildAuthorizationUrl", { authorizationParams: { redirect_uri: "http://127.0.0.1:3999/callback" } });
  const { page } = await d.navigate("requests", authorizationUrl, "http://127.0.0.1:3999");
  loginUrl = new URL(/<form method="post" action="([^"]+)"/.exec(page!.html)![1], d.info.url).href;
});
afterAll(() => {
  d?.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = (body: string, contentType = "application/x-www-form-urlencoded") => d.fetch(loginUrl, { method: "POST", headers: { "content-type": contentType }, body }, "requests");
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
  const response = await d.fetch(`${d.info.url}oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "{grant_type" });
  expect(response.status).toBe(400);
  expect(JSON.parse(response.body)).toEqual({ error: "invalid_request", error_description: "the token request's JSON body does not parse" });
});

test("a token request in JSON with a nested value is 400 naming the parameter", async () => {
  const body = JSON.stringify({ grant_type: "password", username: { $ne: "" } });
  const response = await d.fetch(`${d.info.url}oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body });
  expect(response.status).toBe(400);
  expect(JSON.parse(response.body).error_description).toBe('token request parameter "username" must be a string');
});

test("an oversized token request is a 4xx from oidc-provider, not a 500", async () => {
  const response = await d.fetch(`${d.info.url}oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `grant_type=password&x=${"y".repeat(100_000)}` });
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
});
