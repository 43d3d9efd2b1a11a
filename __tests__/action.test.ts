// The post-login action's behaviour, run on the compiled string that goes into auth0_action.code.
import { NAMESPACE_SECRET } from "../src/compile/claims-action";
import { compileClaims, loadClaims, loadClaimsAround, loadCode, NAMESPACE } from "./helpers/claims-action";

const user = (app_metadata: unknown) => ({ user_id: "auth0|1", email: "a@example.com", app_metadata });

describe("default keys and tokens", () => {
  const runtime = loadClaims();

  test("copies roles and permissions into namespaced claims on the ID token only", async () => {
    const out = await runtime.login(user({ roles: ["admin"], permissions: ["read:all"], plan: "pro" }));
    expect(out.denied).toBeNull();
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["admin"], [`${NAMESPACE}/permissions`]: ["read:all"] });
    expect(out.accessToken).toEqual({});
    expect(out.userinfo).toEqual(out.idToken);
    expect(out.logs).toEqual([]);
  });

  test("sets no claim for a missing key, and never an undefined one", async () => {
    const out = await runtime.login(user({ roles: ["viewer"] }));
    expect(out.idToken).toEqual({ [`${NAMESPACE}/roles`]: ["viewer"] });
    expect(Object.keys(out.idToken)).not.toContain(`${NAMESPACE}/permissions`);
  });

  test("sets no claim and logs nothing for a user without app_metadata", async () => {
    const out = await runtime.login({ user_id: "auth0|2" });
    expect(out).toMatchObject({ denied: null, idToken: {}, accessToken: {}, logs: [] });
  });

  test("copies any JSON value, not only arrays", async () => {
    const out = await runtime.login(user({ roles: "admin", permissions: { read: true, n: 2 } }));
    expect(out.idToken).toEqual({
      [`${NAMESPACE}/roles`]: "admin",
      [`${NAMESPACE}/permissions`]: { read: true, n: 2 },
    });
  });
});

describe("configured keys and tokens", () => {
  test("copies only the configured keys", async () => {
    const out = await loadClaims(["plan", "org_roles"]).login(
      user({ plan: "pro", org_roles: ["owner"], roles: ["admin"] }),
    );
    expect(out.idToken).toEqual({ [`${NAMESPACE}/plan`]: "pro", [`${NAMESPACE}/org_roles`]: ["owner"] });
  });

  test.each([
    [["access"], {}, { [`${NAMESPACE}/roles`]: ["a"] }],
    [["id"], { [`${NAMESPACE}/roles`]: ["a"] }, {}],
    [["id", "access"], { [`${NAMESPACE}/roles`]: ["a"] }, { [`${NAMESPACE}/roles`]: ["a"] }],
  ] as const)("tokens %j puts the claims on exactly those tokens", async (tokens, idToken, accessToken) => {
    const out = await loadClaims(["roles"], tokens, { audience: "https://api.example.com" }).login(
      user({ roles: ["a"] }),
    );
    expect(out.idToken).toEqual(idToken);
    expect(out.accessToken).toEqual(accessToken);
  });

  test("reads the namespace from the secret at run time, with or without a trailing slash", async () => {
    const code = compileClaims().code;
    for (const [secret, claim] of [
      ["https://tenant-a.example/", "https://tenant-a.example/roles"],
      ["https://tenant-b.example/ns//", "https://tenant-b.example/ns/roles"],
    ]) {
      const out = await loadCode(code, { secrets: { [NAMESPACE_SECRET]: secret } }).login(user({ roles: ["x"] }));
      expect(Object.keys(out.idToken)).toEqual([claim]);
    }
  });

  test.each([undefined, "", "roles", "urn:auth0:x", "https://tenant.auth0.com/", "http://x.webtask.io"])(
    "sets nothing and logs one line when the namespace secret is %j",
    async (secret) => {
      const secrets: Record<string, string> = secret === undefined ? {} : { [NAMESPACE_SECRET]: secret };
      const out = await loadCode(compileClaims().code, { secrets }).login(user({ roles: ["x"] }));
      expect(out).toMatchObject({ denied: null, idToken: {}, accessToken: {} });
      expect(out.logs).toEqual([expect.stringMatching(/CLAIM_NAMESPACE is not an allowed http\(s\) URL/)]);
    },
  );
});

describe("malformed metadata is skipped with one short log line", () => {
  const runtime = loadClaims();

  test.each([
    [null, /app_metadata is null/],
    ["admin", /app_metadata is a string/],
    [["admin"], /app_metadata is an array/],
    [42, /app_metadata is a number/],
  ])("app_metadata %j", async (metadata, log) => {
    const out = await runtime.login(user(metadata));
    expect(out).toMatchObject({ denied: null, idToken: {}, accessToken: {} });
    expect(out.logs).toEqual([expect.stringMatching(log)]);
  });

  test("a cyclic value is skipped and the other keys still copied", async () => {
    const roles: unknown[] = ["a"];
    roles.push(roles);
    const out = await runtime.login(user({ roles, permissions: ["p"] }));
    expect(out.idToken).toEqual({ [`${NAMESPACE}/permissions`]: ["p"] });
    expect(out.logs).toEqual(["app-metadata-claims: skipped roles (cyclic)"]);
  });

  test.each([
    [{ roles: null }, "roles (null)"],
    [{ roles: [1, Number.NaN] }, "roles (not JSON: NaN)"],
    [{ roles: [10n] }, "roles (not JSON: bigint)"],
    [{ roles: new Date(0) }, "roles (not JSON: a class instance)"],
    [{ roles: [undefined] }, "roles (not JSON: undefined)"],
    // eslint-disable-next-line no-sparse-arrays
    [{ roles: [1, , 3] }, "roles (not JSON: a sparse array)"],
  ])("%p is skipped", async (metadata, reason) => {
    const out = await runtime.login(user(metadata));
    expect(out.idToken).toEqual({});
    expect(out.logs).toEqual([`app-metadata-claims: skipped ${reason}`]);
  });

  test("a value nested deeper than 32 levels is skipped", async () => {
    let deep: unknown = "x";
    for (let i = 0; i < 40; i++) deep = [deep];
    const out = await runtime.login(user({ roles: deep }));
    expect(out.logs).toEqual(["app-metadata-claims: skipped roles (nested deeper than 32 levels)"]);
  });

  test("a function is skipped", async () => {
    const out = await loadClaimsAround("event.user.app_metadata.roles = () => 1;").login(user({}));
    expect(out.idToken).toEqual({});
    expect(out.logs).toEqual(["app-metadata-claims: skipped roles (not JSON: function)"]);
  });

  test("a getter that throws is skipped, not fatal", async () => {
    const setup = `Object.defineProperty(event.user.app_metadata, "roles", { enumerable: true, get: () => { throw new Error("boom"); } });`;
    const out = await loadClaimsAround(setup).login(user({ permissions: ["p"] }));
    expect(out.denied).toBeNull();
    expect(out.idToken).toEqual({ [`${NAMESPACE}/permissions`]: ["p"] });
    expect(out.logs[0]).toMatch(/skipped roles \(Error: boom\)/);
  });

  test("__proto__ and constructor in app_metadata are inert", async () => {
    const metadata = JSON.parse('{"__proto__": {"roles": ["admin"]}, "constructor": {"prototype": {"x": 1}}}');
    const out = await runtime.login(user(metadata));
    expect(out).toMatchObject({ denied: null, idToken: {}, logs: [] });
    expect(({} as Record<string, unknown>).roles).toBeUndefined();
  });

  test("log lines are cut to Auth0's 256 characters", async () => {
    const out = await loadClaims(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]).login(
      user(Object.fromEntries("abcdefghij".split("").map((k) => [k, null]))),
    );
    expect(out.logs).toHaveLength(1);
    expect(out.logs[0].length).toBeLessThanOrEqual(256);
  });
});

describe("the 100 KB claims limit", () => {
  const runtime = loadClaims();
  const big = (bytes: number) => ["x".repeat(bytes)];

  test("a value larger than the limit on its own is skipped before it is serialized", async () => {
    const out = await runtime.login(user({ roles: big(200_000), permissions: ["p"] }));
    expect(out.denied).toBeNull();
    expect(out.idToken).toEqual({ [`${NAMESPACE}/permissions`]: ["p"] });
    expect(out.logs[0]).toMatch(/skipped roles \(larger than the 102400-byte claims limit\)/);
  });

  test("keys that together would pass the limit: the first fits, the next is dropped and named", async () => {
    const out = await runtime.login(user({ roles: big(60_000), permissions: big(60_000) }));
    expect(out.denied).toBeNull();
    expect(Object.keys(out.idToken)).toEqual([`${NAMESPACE}/roles`]);
    expect(out.logs[0]).toMatch(/skipped permissions \(larger than the 102400-byte claims limit\)/);
  });

  test("claims just under the limit are all kept and Auth0 accepts them", async () => {
    const name = JSON.stringify(`${NAMESPACE}/roles`).length;
    const fits = 100 * 1024 - 2 - name - 1 - 4; // braces, name, colon, ["..."]
    const out = await loadClaims(["roles"]).login(user({ roles: big(fits) }));
    expect(out.denied).toBeNull();
    expect(Object.keys(out.idToken)).toEqual([`${NAMESPACE}/roles`]);
    expect(JSON.stringify(out.idToken).length).toBe(100 * 1024);

    const over = await loadClaims(["roles"]).login(user({ roles: big(fits + 1) }));
    expect(over.idToken).toEqual({});
    expect(over.logs[0]).toMatch(/skipped roles \(claims would total 102401 bytes, over the 102400-byte limit\)/);
  });

  test("multi-byte characters are counted as UTF-8 bytes", async () => {
    const out = await loadClaims(["roles"]).login(user({ roles: ["é".repeat(60_000)] }));
    expect(out.idToken).toEqual({});
    expect(out.logs[0]).toMatch(/skipped roles \(claims would total 1200\d\d bytes, over the 102400-byte limit\)/);
  });

  test("more values than can fit (2 bytes each at least) are refused without walking them all", async () => {
    const out = await runtime.login(user({ roles: new Array(1_000_000).fill(1) }));
    expect(out.logs[0]).toMatch(/skipped roles \(more than 51200 values\)/);
  });

  test("50,000 one-digit numbers fit in 100 KB and are kept", async () => {
    const out = await loadClaims(["roles"]).login(user({ roles: new Array(50_000).fill(0) }));
    expect(out.logs).toEqual([]);
    expect((out.idToken[`${NAMESPACE}/roles`] as unknown[]).length).toBe(50_000);
  });
});
