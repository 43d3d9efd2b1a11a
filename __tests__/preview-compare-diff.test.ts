// Compare diffs two outcomes' claims as the runtime serialized them ([claim, name JSON, value JSON]),
// without parsing the tokens; this checks it finds the same changes, in the same order, with the
// same bytes, as parsing the claims.
import fc from "fast-check";
import { claimsDiff, compareOutcomes, countsJson, emptyCounts } from "../src/preview/compare";
import type { LoginOutcome } from "../src/runtime/types";
import { loadCode } from "./helpers/claims-action";

// Sets each app_metadata.id / app_metadata.access member as a claim on that token, in order.
const runtime = loadCode(`exports.onExecutePostLogin = async (event, api) => {
    const m = event.user.app_metadata;
    for (const [k, v] of m.id) api.idToken.setCustomClaim(k, v);
    for (const [k, v] of m.access) api.accessToken.setCustomClaim(k, v);
  };`);

/** Claim names: namespaced, digits (array indices go first once parsed), quotes, escapes, __proto__. */
const name = fc.oneof(
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.constantFrom("0", "1", "10", "01", "-1", "4294967295", "__proto__", 'a"b', "a\\b", "https://x.example/roles"),
);
const claims = fc.array(fc.tuple(name, fc.jsonValue({ maxDepth: 3 })), { maxLength: 6 });
/** The same user for both versions most of the time, so claims also stay equal. */
const pair = fc.tuple(claims, claims, claims, fc.boolean()).map(([a, b, access, same]) => [
  { id: a, access },
  { id: same ? a : b, access: same ? b : access },
]);

function diff(before: LoginOutcome, after: LoginOutcome, side: "idToken" | "accessToken", fast: boolean) {
  const changes: unknown[] = [];
  const json = claimsDiff(before, after, side, (...change) => changes.push(change), fast);
  return { json, changes };
}

test("diffing the claims' JSON text gives the same changes and bytes as diffing the parsed claims", async () => {
  await fc.assert(
    fc.asyncProperty(pair, async ([b, a]) => {
      const before = await runtime.login({ user_id: "u", app_metadata: b });
      const after = await runtime.login({ user_id: "u", app_metadata: a });
      for (const side of ["idToken", "accessToken"] as const) {
        expect(diff(before, after, side, true)).toEqual(diff(before, after, side, false));
      }
    }),
    { numRuns: 500 },
  );
});

test("a redirect and an MFA request the base didn't make show as the login's changes, without Auth0's one-time state", async () => {
  const base = loadCode(`exports.onExecutePostLogin = async () => {};`);
  const head = loadCode(`exports.onExecutePostLogin = async (event, api) => {
    if (event.user.app_metadata.consent !== true) api.redirect.sendUserTo("https://consent.example.com/ask", { query: { lang: "fr" } });
    if (event.user.app_metadata.mfa) api.multifactor.enable("any");
  };`);
  const counts = emptyCounts();
  const same = compareOutcomes(
    await base.login({ user_id: "ok", app_metadata: { consent: true } }),
    await head.login({ user_id: "ok", app_metadata: { consent: true } }),
    counts,
  );
  expect(same).toBeUndefined();
  const line = compareOutcomes(
    await base.login({ user_id: "u", app_metadata: { mfa: true } }),
    await head.login({ user_id: "u", app_metadata: { mfa: true } }),
    counts,
  );
  expect(JSON.parse(line!).effects).toEqual({
    login: {
      redirect: {
        before: null,
        after: { to: "https://consent.example.com/ask?lang=fr&state=...", action: expect.any(String) },
      },
      challenges: { before: null, after: [`MFA required: api.multifactor.enable("any")`] },
    },
  });
  expect(countsJson(counts)).toContain('"login": {\n    "redirect": {\n      "gained": 1');
});
