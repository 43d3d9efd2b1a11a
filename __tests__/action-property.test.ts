// Property: whatever event.user holds, the compiled action never throws or rejects, sets only
// configured claims with their exact JSON values, and stays inside Auth0's rules and limits.
import fc from "fast-check";
import { loadClaims, NAMESPACE } from "./helpers/claims-action";

// A fixed seed keeps CI repeatable; set FAST_CHECK_SEED to explore other inputs.
const seed = Number(process.env.FAST_CHECK_SEED ?? 20261126);
const KEYS = ["roles", "permissions", "__proto__", "constructor", "toString"];
let runtime: ReturnType<typeof loadClaims>;
beforeAll(() => {
  runtime = loadClaims(
    KEYS.filter((k) => !["__proto__", "constructor"].includes(k)).concat(["plan"]),
    ["id", "access"],
    {
      audience: "https://api.example.com",
    },
  );
});

const anyValue = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  withUnicodeString: true,
  maxDepth: 4,
});
const metadata = fc.oneof(
  anyValue,
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS, "plan"), fc.string()), anyValue),
  fc.dictionary(fc.constantFrom("roles", "permissions", "plan"), fc.jsonValue()),
);
const eventUser = fc.oneof(
  fc.record({ user_id: fc.string(), app_metadata: metadata }, { requiredKeys: [] }),
  fc.record({ user_id: fc.string(), app_metadata: metadata, user_metadata: anyValue }),
);

test("never throws, and sets only configured claims with exactly their JSON values (1,000 runs)", async () => {
  await fc.assert(
    fc.asyncProperty(eventUser, async (u) => {
      const out = await runtime.login(u);
      expect(out.denied).toBeNull();
      expect(out.dropped).toEqual([]);
      expect(out.idToken).toEqual(out.accessToken);
      expect(out.logs.length).toBeLessThanOrEqual(1);
      for (const line of out.logs) expect(line.length).toBeLessThanOrEqual(256);
      expect(Buffer.byteLength(JSON.stringify(out.idToken))).toBeLessThanOrEqual(100 * 1024);
      const source = u.app_metadata as Record<string, unknown>;
      for (const [claim, value] of Object.entries(out.idToken)) {
        const key = claim.slice(NAMESPACE.length + 1);
        expect(claim).toBe(`${NAMESPACE}/${key}`);
        expect(["roles", "permissions", "toString", "plan"]).toContain(key);
        expect(Object.prototype.hasOwnProperty.call(source, key)).toBe(true);
        expect(value).toEqual(JSON.parse(JSON.stringify(source[key])));
      }
    }),
    { numRuns: 1000, seed },
  );
});

test("JSON-only metadata always yields every present key as a claim, unless it is null", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.dictionary(fc.constantFrom("roles", "permissions", "plan", "other"), fc.jsonValue({ maxDepth: 3 })),
      async (md) => {
        const out = await runtime.login({ user_id: "u", app_metadata: md });
        const expected = Object.fromEntries(
          ["roles", "permissions", "plan"]
            .filter((k) => k in md && md[k] !== null)
            .map((k) => [`${NAMESPACE}/${k}`, JSON.parse(JSON.stringify(md[k]))]), // as a token carries it: -0 is 0
        );
        expect(out.idToken).toEqual(expected);
      },
    ),
    { numRuns: 1000, seed },
  );
});
