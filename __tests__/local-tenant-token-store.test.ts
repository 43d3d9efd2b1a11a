// The local tenant keeps each session, grant and refresh token for its whole lifetime: a refresh
// token outlives many later logins (oidc-provider's own in-memory store dropped it after about a
// thousand other records), and the store's bound on memory gives up expired records first.
import { startTenantProcess, type TenantProcess } from "./helpers/local-tenant-process";
import { tokenStore } from "../src/local-tenant/token-store";

const LOGIN = { client_id: "local-test-client", client_secret: "local-test-secret" };

describe("a refresh token under load, in the real tenant", () => {
  let tenant: TenantProcess;
  beforeAll(async () => {
    tenant = await startTenantProcess();
  });
  afterAll(() => tenant?.child.kill());

  async function token(form: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
    const response = await fetch(`${tenant.url}oauth/token`, {
      method: "POST",
      body: new URLSearchParams({ ...LOGIN, ...form }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  }
  const passwordLogin = () =>
    token({
      grant_type: "password",
      username: "alice@example.com",
      password: "local-password",
      scope: "openid offline_access",
    });

  test("the first refresh token still works after 700 more logins with refresh tokens (over 2,000 records, the most oidc-provider's own store kept)", async () => {
    const first = await passwordLogin();
    expect(first.body.refresh_token).toEqual(expect.any(String));
    // In sequence, a few at a time: the point is the number of records, not concurrency.
    for (let round = 0; round < 70; round++) {
      const logins = await Promise.all(Array.from({ length: 10 }, passwordLogin));
      expect(logins.map((l) => l.status)).toEqual(Array(10).fill(200));
    }
    const refreshed = await token({ grant_type: "refresh_token", refresh_token: first.body.refresh_token });
    expect(refreshed.body.error_description).toBeUndefined();
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.id_token).toEqual(expect.any(String));
  });
});

describe("the store's bound", () => {
  const payload = (grantId?: string) => ({ grantId, kind: "RefreshToken" });

  test("a record is found until it expires, and not after", async () => {
    let now = 1_000_000;
    const Store = tokenStore({ capacity: 10, now: () => now });
    const tokens = new Store("RefreshToken");
    await tokens.upsert("a", payload(), 60);
    now += 59_000;
    expect(await tokens.find("a")).toMatchObject({ kind: "RefreshToken" });
    now += 1_000;
    expect(await tokens.find("a")).toBeUndefined();
  });

  test("past its capacity it drops expired records first, then the oldest, and says so once", async () => {
    let now = 0;
    const warnings: string[] = [];
    const Store = tokenStore({ capacity: 10, now: () => now, warn: (message) => warnings.push(message) });
    const codes = new Store("AuthorizationCode");
    const tokens = new Store("RefreshToken");
    for (let i = 0; i < 5; i++) await codes.upsert(`code-${i}`, payload(), 60);
    for (let i = 0; i < 5; i++) await tokens.upsert(`old-${i}`, payload(), 2_592_000);
    now += 61_000; // the codes have expired; the refresh tokens live on
    expect(warnings).toEqual([]);
    for (let i = 0; i < 5; i++) await tokens.upsert(`new-${i}`, payload(), 2_592_000);
    expect(warnings).toEqual([]);
    for (let i = 0; i < 5; i++) expect(await tokens.find(`old-${i}`)).toBeDefined();

    for (let i = 5; i < 12; i++) await tokens.upsert(`new-${i}`, payload(), 2_592_000);
    expect(await tokens.find("old-0")).toBeUndefined();
    expect(await tokens.find("new-11")).toBeDefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/more than 10 live records/);
    for (let i = 12; i < 30; i++) await tokens.upsert(`new-${i}`, payload(), 2_592_000);
    expect(warnings).toHaveLength(1);
  });

  test("revoking a grant removes every record issued under it, and only those", async () => {
    const Store = tokenStore({ capacity: 100 });
    const tokens = new Store("RefreshToken");
    const access = new Store("AccessToken");
    await tokens.upsert("rt", payload("g1"), 600);
    await access.upsert("at", payload("g1"), 600);
    await tokens.upsert("other", payload("g2"), 600);
    await tokens.revokeByGrantId("g1");
    expect(await tokens.find("rt")).toBeUndefined();
    expect(await access.find("at")).toBeUndefined();
    expect(await tokens.find("other")).toBeDefined();
  });

  test("a session is found by its uid; each model has its own ids", async () => {
    const Store = tokenStore({ capacity: 100 });
    const sessions = new Store("Session");
    const grants = new Store("Grant");
    await sessions.upsert("same-id", { uid: "u1", kind: "Session" }, 600);
    await grants.upsert("same-id", { kind: "Grant" }, 600);
    expect(await sessions.findByUid("u1")).toMatchObject({ kind: "Session" });
    expect(await grants.find("same-id")).toMatchObject({ kind: "Grant" });
    await sessions.destroy("same-id");
    expect(await sessions.findByUid("u1")).toBeUndefined();
    expect(await grants.find("same-id")).toBeDefined();
  });
});
