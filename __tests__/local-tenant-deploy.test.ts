// Deploying for real: our synthesized stacks applied to a local tenant over https with the requests
// the auth0 provider makes (helpers/provider-emulator.ts), then logins that run what was deployed,
// `verify --deployed` catching what terraform plan can't see, and docs/lifecycle.md's recipes
// (retire without a 409, the mode switch through unbound, destroy), each step applied as Terraform would.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type EnvironmentConfig, environments, exampleEnvironments } from "../src/environments";
import { ActionsClient } from "./helpers/actions-client";
import { startTenantProcess, runVerify, type TenantProcess } from "./helpers/local-tenant-process";
import { ApplyError, ProviderEmulator } from "./helpers/provider-emulator";
import { fetchTrusting } from "./helpers/tenant-browser";

const dir = mkdtempSync(join(tmpdir(), "local-tenant-deploy-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dev = environments.find((e) => e.name === "dev")!;
const example = exampleEnvironments.find((e) => e.name === "flow-example")!;
const DEV_NS = "https://dev.example.com/claims";
const MGMT = ["--mgmt-client-id", "local-management-client", "--mgmt-client-secret", "local-management-secret"];

/** An environment's stack, synthesized in this process as `cdktf synth` writes it. */
function synth(environment: EnvironmentConfig): Record<string, any> {
  return JSON.parse(Testing.synth(new ClaimsStack(Testing.app(), environment)));
}

/** A tenant of its own (--empty unless told otherwise), its Management API client and a provider applying to it. */
async function tenantFor(name: string, ...args: string[]) {
  const certDir = join(dir, name);
  const tenant = await startTenantProcess("--https", "--cert-dir", certDir, ...args);
  const caFile = join(certDir, "ca.pem");
  const client = await ActionsClient.connect(tenant, caFile);
  return { tenant, caFile, client, provider: new ProviderEmulator(client), fetch: fetchTrusting(caFile) };
}

/** A JWT's claims (its signature is the tenant's; verify's tests check signatures). */
const decodeJwt = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;

/** A password login at the tenant, as an application makes it: its tokens' claims. */
async function login(
  t: { tenant: TenantProcess; fetch: typeof fetch },
  username: string,
): Promise<{ id: Record<string, unknown>; access: Record<string, unknown> }> {
  const body = {
    grant_type: "password",
    username,
    password: "local-password",
    client_id: "local-test-client",
    client_secret: "local-test-secret",
    scope: "openid",
    audience: "https://api.example.com",
  };
  const response = await t.fetch(`${t.tenant.url}oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const tokens = (await response.json()) as { id_token?: string; access_token?: string; error_description?: string };
  if (!tokens.id_token || !tokens.access_token)
    throw new Error(`login refused: ${response.status} ${tokens.error_description}`);
  return { id: decodeJwt(tokens.id_token), access: decodeJwt(tokens.access_token) };
}

/** `npm run verify -- --deployed` against the tenant, with `stack` written to a file. */
async function verifyDeployed(t: { tenant: TenantProcess; caFile: string }, env: string, stack: unknown) {
  const file = join(dir, `${env}-${Date.now()}.cdk.tf.json`);
  writeFileSync(file, JSON.stringify(stack));
  return runVerify(["--deployed", "--env", env, "--domain", t.tenant.url, ...MGMT, "--stack", file], {
    NODE_EXTRA_CA_CERTS: t.caFile,
  });
}

const bindings = async (client: ActionsClient) =>
  (await client.listAll("/api/v2/actions/triggers/post-login/bindings", "bindings", 100)).items.map(
    (b) => b.action.name,
  );
const actionNames = async (client: ActionsClient) =>
  (await client.listAll("/api/v2/actions/actions", "actions", 50)).items.map((a) => a.name).sort();

describe("dev's stack deployed to an empty tenant", () => {
  let t: Awaited<ReturnType<typeof tenantFor>>;
  beforeAll(async () => {
    t = await tenantFor("dev", "--empty");
  });
  afterAll(() => t?.tenant.child.kill());

  test("an empty tenant has no action and no binding, and a login gets no custom claim", async () => {
    expect(t.tenant.output).toMatch(/post-login +nothing bound: logins run no action/);
    expect(await actionNames(t.client)).toEqual([]);
    expect(await bindings(t.client)).toEqual([]);
    expect(Object.keys((await login(t, "alice@example.com")).id).filter((k) => k.startsWith("https://"))).toEqual([]);
  });

  test("applied as the provider applies it, the next login runs the deployed code: verify MATCH, and --deployed MATCH", async () => {
    await t.provider.apply(synth(dev));
    expect(t.provider.requests.slice(0, 4)).toEqual([
      "POST /api/v2/actions/actions",
      expect.stringMatching(/^GET \/api\/v2\/actions\/actions\//),
      expect.stringMatching(/\/deploy$/),
      expect.stringMatching(/^GET /),
    ]);
    expect(await bindings(t.client)).toEqual(["app-metadata-claims"]);
    const run = await runVerify(
      [
        "--env",
        "dev",
        "--domain",
        t.tenant.url,
        "--client-id",
        "local-test-client",
        "--client-secret",
        "local-test-secret",
        "--grant",
        "password",
        "--users",
        "samples/users.ndjson",
        "--audience",
        "https://api.example.com",
      ],
      {
        NODE_EXTRA_CA_CERTS: t.caFile,
        AUTH0_VERIFY_USERNAME: "alice@example.com",
        AUTH0_VERIFY_PASSWORD: "local-password",
      },
    );
    expect(run.stdout).toMatch(/MATCH \(exit 0\)/);
    expect(run.status).toBe(0);
    const deployed = await verifyDeployed(t, "dev", synth(dev));
    expect(deployed.stdout).toMatch(
      /ok  deployed +app-metadata-claims: deployed version 1, sha256 [0-9a-f]{12}, as the stack declares/,
    );
    expect(deployed.status).toBe(0);
  });

  test("a claim key changed, synthesized and deployed again: the next login changes, a token issued before does not", async () => {
    const before = await login(t, "alice@example.com");
    expect(before.id).toMatchObject({
      [`${DEV_NS}/roles`]: ["admin", "editor"],
      [`${DEV_NS}/permissions`]: ["read:reports", "write:reports"],
    });
    const rolesOnly = { ...dev, claimKeys: ["roles"] };
    await t.provider.apply(synth(rolesOnly));
    const after = await login(t, "alice@example.com");
    expect(after.id).toHaveProperty([`${DEV_NS}/roles`]);
    expect(after.id).not.toHaveProperty([`${DEV_NS}/permissions`]);
    expect(after.access).not.toHaveProperty([`${DEV_NS}/permissions`]);
    expect(before.id).toHaveProperty([`${DEV_NS}/permissions`]);
    const action = (await t.client.listAll("/api/v2/actions/actions?actionName=app-metadata-claims", "actions", 50))
      .items[0];
    expect(action).toMatchObject({ all_changes_deployed: true, deployed_version: { number: 2, deployed: true } });
    await t.provider.apply(synth(dev));
  });

  test("--deployed: an undeployed draft, which terraform plan can't see, exits 1 naming it", async () => {
    const [action] = (await t.client.listAll("/api/v2/actions/actions?actionName=app-metadata-claims", "actions", 50))
      .items;
    // The stack's own code as a draft, never deployed, over another deployed version.
    const other = `${action.code}\n// a hotfix deployed by hand`;
    expect((await t.client.request("PATCH", `/api/v2/actions/actions/${action.id}`, { code: other })).status).toBe(200);
    expect((await t.client.request("POST", `/api/v2/actions/actions/${action.id}/deploy`)).status).toBe(200);
    expect(
      (await t.client.request("PATCH", `/api/v2/actions/actions/${action.id}`, { code: action.code })).status,
    ).toBe(200);
    const drift = await verifyDeployed(t, "dev", synth(dev));
    expect(drift.status).toBe(1);
    expect(drift.stdout).toMatch(
      /DIFFERENT +"app-metadata-claims": the deployed code \(sha256 [0-9a-f]{12}\) is not the stack's/,
    );
    expect(drift.stdout).toMatch(
      /DIFFERENT +"app-metadata-claims": has an undeployed draft \(status built, all_changes_deployed false; it matches the stack, so terraform plan shows no change\)/,
    );
    expect(drift.stdout).toMatch(/DRIFT \(exit 1\): 2 difference\(s\)/);
    // The provider reads the draft, which matches the stack: its plan has nothing to do.
    const sent = t.provider.requests.length;
    await t.provider.apply(synth(dev));
    expect(t.provider.requests.slice(sent).filter((r) => !r.startsWith("GET "))).toEqual([]);
    // Deployed by hand again: MATCH.
    expect((await t.client.request("POST", `/api/v2/actions/actions/${action.id}/deploy`)).status).toBe(200);
    expect((await verifyDeployed(t, "dev", synth(dev))).status).toBe(0);
  });

  test("--deployed: a declared secret missing from the deployed version exits 1 naming it, though a plan sees nothing", async () => {
    const [action] = (await t.client.listAll("/api/v2/actions/actions?actionName=app-metadata-claims", "actions", 50))
      .items;
    expect((await t.client.request("PATCH", `/api/v2/actions/actions/${action.id}`, { secrets: [] })).status).toBe(200);
    expect((await t.client.request("POST", `/api/v2/actions/actions/${action.id}/deploy`)).status).toBe(200);
    const drift = await verifyDeployed(t, "dev", synth(dev));
    expect(drift.status).toBe(1);
    expect(drift.stdout).toMatch(
      /DIFFERENT +"app-metadata-claims": declared secret\(s\) "CLAIM_NAMESPACE" missing from the deployed version/,
    );
    // And the logins show it: the action can't read its namespace, so it sets no claim.
    expect(Object.keys((await login(t, "alice@example.com")).id).filter((k) => k.startsWith("https://"))).toEqual([]);
  });

  test("verify --deployed --json names each difference, and a bad stack is one line with exit 2", async () => {
    const file = join(dir, "dev-json.cdk.tf.json");
    writeFileSync(file, JSON.stringify(synth(dev)));
    const json = await runVerify(
      ["--deployed", "--env", "dev", "--domain", t.tenant.url, ...MGMT, "--stack", file, "--json"],
      { NODE_EXTRA_CA_CERTS: t.caFile },
    );
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      verdict: "DRIFT",
      exit: 1,
      deployment: { stack: file, differences: [expect.stringMatching(/CLAIM_NAMESPACE/)] },
    });
    const missing = await runVerify(
      ["--deployed", "--env", "dev", "--domain", t.tenant.url, ...MGMT, "--stack", join(dir, "nope.json")],
      { NODE_EXTRA_CA_CERTS: t.caFile },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toMatch(
      /^verify: --stack: ".*nope\.json": can't read it \(ENOENT\); give cdktf\.out\/stacks\/dev\/cdk\.tf\.json from npm run synth \(or --stack FILE\)$/,
    );
    const login = await runVerify(
      ["--deployed", "--env", "dev", "--domain", t.tenant.url, ...MGMT, "--client-id", "x"],
      { NODE_EXTRA_CA_CERTS: t.caFile },
    );
    expect(login.status).toBe(2);
    expect(login.stderr).toMatch(/--client-id: --deployed logs no one in/);
  });
});

describe("the flow example (two actions, exclusive) and docs/lifecycle.md's recipes", () => {
  let t: Awaited<ReturnType<typeof tenantFor>>;
  beforeAll(async () => {
    t = await tenantFor("flow", "--empty");
    await t.provider.apply(synth(example));
  });
  afterAll(() => t?.tenant.child.kill());

  test("deployed in order, the flow runs both actions: a blocked user is denied, the others get the claims", async () => {
    expect(await bindings(t.client)).toEqual(["deny-blocked-users", "app-metadata-claims"]);
    expect((await verifyDeployed(t, "flow-example", synth(example))).status).toBe(0);
    const alice = await login(t, "alice@example.com");
    expect(alice.id).toHaveProperty(["https://example.com/claims/roles"]);
    const blocked = await t.client.request("PATCH", `/api/v2/users/${encodeURIComponent("auth0|bob")}`, {
      app_metadata: { blocked: true },
    });
    expect(blocked.status).toBe(200);
    await expect(login(t, "bob@example.com")).rejects.toThrow(/login refused: 403 .*This account is blocked/);
    expect(
      (
        await t.client.request("PATCH", `/api/v2/users/${encodeURIComponent("auth0|bob")}`, {
          app_metadata: { blocked: null },
        })
      ).status,
    ).toBe(200);
  });

  test("--deployed: a reordered binding exits 1 naming both orders", async () => {
    const bound = (await t.client.listAll("/api/v2/actions/triggers/post-login/bindings", "bindings", 100)).items;
    const reversed = [...bound]
      .reverse()
      .map((b) => ({ display_name: b.display_name, ref: { type: "action_id", value: b.action.id } }));
    expect(
      (await t.client.request("PATCH", "/api/v2/actions/triggers/post-login/bindings", { bindings: reversed })).status,
    ).toBe(200);
    const drift = await verifyDeployed(t, "flow-example", synth(example));
    expect(drift.status).toBe(1);
    expect(drift.stdout).toContain(
      'post-login bindings: the tenant runs "app-metadata-claims" -> "deny-blocked-users"; the stack owns the whole flow and declares "deny-blocked-users" -> "app-metadata-claims"',
    );
    // The provider reads the list back, sees the order changed, and puts it right.
    await t.provider.apply(synth(example));
    expect(await bindings(t.client)).toEqual(["deny-blocked-users", "app-metadata-claims"]);
  });

  test("retire an action in two applies: unbound first (it stays, deployed), then removed; no 409", async () => {
    const binding = example.binding as unknown as { mode: "exclusive"; before: { entry: string }[] };
    const retiring: EnvironmentConfig = {
      ...example,
      binding: { mode: "exclusive", before: [] },
      retired: binding.before,
    };
    await t.provider.apply(synth(retiring));
    expect(await bindings(t.client)).toEqual(["app-metadata-claims"]);
    expect(await actionNames(t.client)).toEqual(["app-metadata-claims", "deny-blocked-users"]);
    expect((await verifyDeployed(t, "flow-example", synth(retiring))).status).toBe(0);
    const removed: EnvironmentConfig = { ...example, binding: { mode: "exclusive", before: [] } };
    await t.provider.apply(synth(removed));
    expect(await actionNames(t.client)).toEqual(["app-metadata-claims"]);
    expect(t.provider.requests.filter((r) => r.startsWith("DELETE "))).toHaveLength(1);
    await t.provider.apply(synth(example));
  });

  test("switch exclusive to append through unbound: the actions stay, then bind again in order; no 409", async () => {
    const before = (example.binding as unknown as { before: { entry: string }[] }).before;
    await t.provider.apply(synth({ ...example, binding: { mode: "unbound", before } }));
    expect(await bindings(t.client)).toEqual([]);
    expect(await actionNames(t.client)).toEqual(["app-metadata-claims", "deny-blocked-users"]);
    await t.provider.apply(synth({ ...example, binding: { mode: "append", before } }));
    expect(await bindings(t.client)).toEqual(["deny-blocked-users", "app-metadata-claims"]);
    expect(
      (await verifyDeployed(t, "flow-example", synth({ ...example, binding: { mode: "append", before } }))).status,
    ).toBe(0);
  });

  test("an action still bound by someone else can't be deleted: the apply stops on Auth0's 409, as the recipe warns", async () => {
    const [deny] = (await t.client.listAll("/api/v2/actions/actions?actionName=deny-blocked-users", "actions", 50))
      .items;
    const before = (example.binding as unknown as { before: { entry: string }[] }).before;
    // Unbound by the stack, but bound again by hand outside Terraform.
    await t.provider.apply(synth({ ...example, binding: { mode: "append", before: [] }, retired: before }));
    const bound = (await t.client.listAll("/api/v2/actions/triggers/post-login/bindings", "bindings", 100)).items;
    const refs = [...bound.map((b) => b.action.id), deny.id].map((id) => ({ ref: { type: "action_id", value: id } }));
    expect(
      (await t.client.request("PATCH", "/api/v2/actions/triggers/post-login/bindings", { bindings: refs })).status,
    ).toBe(200);
    await expect(t.provider.apply(synth({ ...example, binding: { mode: "append", before: [] } }))).rejects.toThrow(
      new ApplyError(
        `DELETE /api/v2/actions/actions/${deny.id}: 409 Conflict: Unable to delete an action bound to a trigger.`,
      ),
    );
  });

  test("destroy after unbinding deletes every action, no 409", async () => {
    // The binding made by hand above, undone by hand; then the recipe: unbound, then destroy.
    expect(
      (await t.client.request("PATCH", "/api/v2/actions/triggers/post-login/bindings", { bindings: [] })).status,
    ).toBe(200);
    const before = (example.binding as unknown as { before: { entry: string }[] }).before;
    await t.provider.apply(synth({ ...example, binding: { mode: "unbound", before } }));
    expect(await actionNames(t.client)).toEqual(["app-metadata-claims", "deny-blocked-users"]);
    await t.provider.destroy();
    expect(await actionNames(t.client)).toEqual([]);
    expect(await bindings(t.client)).toEqual([]);
  });
});

test("npm run local-tenant starts ready to use: the environment's flow deployed and bound through the Actions API", async () => {
  const t = await tenantFor("default");
  try {
    const [action] = (await t.client.listAll("/api/v2/actions/actions", "actions", 50)).items;
    expect(action).toMatchObject({
      name: "app-metadata-claims",
      status: "built",
      all_changes_deployed: true,
      deployed_version: { number: 1, deployed: true },
    });
    expect(action.secrets).toEqual([{ name: "CLAIM_NAMESPACE", updated_at: expect.any(String) }]);
    expect(await bindings(t.client)).toEqual(["app-metadata-claims"]);
    expect(t.tenant.output).toContain("export SSL_CERT_FILE=");
    expect((await login(t, "alice@example.com")).id).toHaveProperty([`${DEV_NS}/roles`]);
  } finally {
    t.tenant.child.kill();
  }
});
