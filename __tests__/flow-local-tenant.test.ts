// An environment's whole post-login flow, run by the local tenant and checked by verify, as real
// processes over loopback: a blocked user's login is refused by the flow's first action, and an
// allowed user's tokens carry the claims of its second one.
import { runVerify, startTenantProcess, type TenantProcess, tokenAt } from "./helpers/local-tenant-process";
import { scratch } from "./helpers/scratch";

const { file } = scratch("claims-flow-");
const users = file(
  "users.ndjson",
  [
    { user_id: "auth0|blocked", email: "blocked@example.com", app_metadata: { blocked: true, roles: ["admin"] } },
    { user_id: "auth0|alice", email: "alice@example.com", app_metadata: { roles: ["admin"] } },
  ]
    .map((u) => JSON.stringify(u))
    .join("\n") + "\n",
);
const PASSWORD = "local-password";
let tenant: TenantProcess;

beforeAll(async () => {
  tenant = await startTenantProcess("--env", "flow-example", "--users", users);
});
afterAll(() => tenant?.child.kill());

test("the local tenant refuses a blocked user's login with the first action's reason", async () => {
  const response = await tokenAt(tenant.url, {
    grant_type: "password",
    username: "blocked@example.com",
    password: PASSWORD,
    scope: "openid",
  });
  expect(response.status).toBe(403);
  expect(response.body).toEqual({
    error: "access_denied",
    error_description: "deny-blocked-users: api.access.deny: This account is blocked. Contact your administrator.",
  });
});

test("verify logs in an allowed user and finds the claims the flow's second action sets", async () => {
  const { status, stdout } = await runVerify(
    [
      "--env",
      "flow-example",
      "--domain",
      tenant.url,
      "--client-id",
      "local-test-client",
      "--client-secret",
      "local-test-secret",
      "--users",
      users,
      "--grant",
      "password",
      "--audience",
      "https://api.example.com",
      "--json",
    ],
    { AUTH0_VERIFY_USERNAME: "alice@example.com", AUTH0_VERIFY_PASSWORD: PASSWORD },
  );
  expect({ status, last: stdout.trim().split("\n").pop() }).toMatchObject({ status: 0 });
  expect(stdout).toContain("https://example.com/claims/roles");
});
