// The local tenant's pages can't be framed by another site (clickjacking): the login form, its
// answer to a wrong password, an error page and the logout page all say so in both headers that
// browsers read, X-Frame-Options and the Content-Security-Policy's frame-ancestors.
import { startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";
import { TenantBrowser } from "./helpers/tenant-browser";

const APP = "http://127.0.0.1:3999";

let tenant: TenantProcess;
let browser: TenantBrowser;
let loginForm: Response;
let loginHtml: string;
beforeAll(async () => {
  tenant = await startTenantProcess();
  browser = new TenantBrowser();
  let url = `${tenant.url}authorize?${new URLSearchParams({ response_type: "code", client_id: "local-test-client", redirect_uri: `${APP}/callback`, scope: "openid" }).toString()}`;
  let response = await browser.request(url);
  for (let hops = 0; response.status >= 300 && response.status < 400 && hops < 5; hops++) {
    url = new URL(response.headers.get("location")!, url).href;
    response = await browser.request(url);
  }
  loginForm = response;
  loginHtml = await response.text();
});
afterAll(() => tenant?.child.kill());

function expectUnframeable(response: Response): void {
  expect(response.headers.get("x-frame-options")).toBe("DENY");
  expect(response.headers.get("content-security-policy")).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
}

test("the login form", async () => {
  expect(loginForm.status).toBe(200);
  expect(loginHtml).toMatch(/<form method="post" action="\/u\/login\//);
  expectUnframeable(loginForm);
});

test("the login form after a wrong password", async () => {
  const action = /<form method="post" action="([^"]+)"/.exec(loginHtml)?.[1];
  const wrong = await browser.request(new URL(action!, tenant.url).href, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "alice@example.com", password: "wrong" }).toString(),
  });
  expect(wrong.status).toBe(401);
  expectUnframeable(wrong);
});

test("an error page (a login that was never started)", async () => {
  const response = await fetch(`${tenant.url}u/login/never-started`, { headers: { accept: "text/html" } });
  expect(response.status).toBe(400);
  expectUnframeable(response);
});

test("an error page of the OpenID layer (an unknown application at /authorize)", async () => {
  const response = await fetch(
    `${tenant.url}authorize?${new URLSearchParams({ response_type: "code", client_id: "no-such-app", redirect_uri: `${APP}/callback`, scope: "openid" }).toString()}`,
  );
  expect(response.status).toBe(400);
  expect(await response.text()).toMatch(/<h1>invalid_client<\/h1>/);
  expectUnframeable(response);
});

test("the logout page", async () => {
  const response = await fetch(`${tenant.url}v2/logout`);
  expect(response.status).toBe(200);
  expectUnframeable(response);
});
