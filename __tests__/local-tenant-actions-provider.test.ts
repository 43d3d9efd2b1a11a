// The request sequences the Terraform provider (auth0/auth0 v1.51-v1.55) sends to the Actions
// API, replayed against a real local tenant over https from our own step files
// (__tests__/fixtures/actions-api/, written from docs/local-tenant.md's sources, not copied
// recordings): each answer's status, fields, types and key order as Auth0 answered. Then the
// provider's paging loop on a list longer than a page. No secret value sent may come back in any
// answer or appear in the tenant's output.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ActionsClient, goSdkHasNext, loadFixture, replay } from "./helpers/actions-client";
import { startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";

const dir = mkdtempSync(join(tmpdir(), "actions-provider-"));
let tenant: TenantProcess;
let client: ActionsClient;
let log = "";
beforeAll(async () => {
  tenant = await startTenantProcess("--https", "--cert-dir", dir);
  tenant.child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  tenant.child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  client = await ActionsClient.connect(tenant, join(dir, "ca.pem"));
});
afterAll(() => {
  tenant?.child.kill();
  rmSync(dir, { recursive: true, force: true });
});

test.each([
  [
    "auth0_action: create, update with dependencies and secrets, deploy twice, remove them, a failed build, destroy",
    "auth0-action.json",
  ],
  ["auth0_action with secrets_wo: the secret's updated_at renews, no value comes back", "auth0-action-secrets-wo.json"],
  ["the auth0_action data source: by name (none, then one) and by id (404, then found)", "data-source-action.json"],
  [
    "auth0_trigger_actions: bind, rebind, reorder, unbind, destroy with []; each read pages until HasNext is false",
    "trigger-actions.json",
  ],
  [
    "auth0_trigger_action: first page with per_page=50, append, change display_name, delete by re-sending the rest",
    "trigger-action.json",
  ],
])("%s", async (_, file) => {
  expect(await replay(loadFixture(file), client)).toEqual([]);
  // The client checked every answer for the secret values it sent; the tenant's output is checked here.
  for (const value of client.secretValues) expect(log).not.toContain(value);
});

test("the SDK's paging loop over a list longer than a page reads every item and ends at the first empty page", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const created = await client.request("POST", "/api/v2/actions/actions", {
      name: `Paging ${i}`,
      supported_triggers: [{ id: "send-phone-message", version: "v2" }],
      code: "",
    });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
  const { items, envelopes } = await client.listAll(
    "/api/v2/actions/actions?triggerId=send-phone-message",
    "actions",
    2,
  );
  expect(items.map((a) => a.id)).toEqual(ids);
  expect(envelopes).toEqual([
    { total: 5, per_page: 2 },
    { total: 5, page: 1, per_page: 2 },
    { total: 5, page: 2, per_page: 2 },
    { page: 3, per_page: 2 },
  ]);
  expect(envelopes.map(goSdkHasNext)).toEqual([true, true, true, false]);
  for (const id of ids) expect((await client.request("DELETE", `/api/v2/actions/actions/${id}`)).status).toBe(204);
});
