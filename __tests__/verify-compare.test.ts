// How verify judges claims: missing, different, unexpected under the namespace, other claims.
import { compare, customClaims } from "../src/verify/compare";

const NS = "https://acme.example/claims";

test("standard OIDC and JWT claims are not custom claims", () => {
  expect(
    customClaims({
      iss: "x",
      sub: "s",
      aud: "a",
      exp: 1,
      nonce: "n",
      email: "e",
      name: "n",
      [`${NS}/roles`]: ["a"],
      tier: 1,
    }),
  ).toEqual({
    [`${NS}/roles`]: ["a"],
    tier: 1,
  });
});

test("objects compare in any key order, arrays in order", () => {
  const found = { [`${NS}/roles`]: { admin: true, editor: false }, [`${NS}/permissions`]: ["a", "b"] };
  expect(
    compare({ [`${NS}/roles`]: { editor: false, admin: true }, [`${NS}/permissions`]: ["a", "b"] }, found, NS).ok,
  ).toBe(true);
  expect(
    compare({ [`${NS}/permissions`]: ["b", "a"], [`${NS}/roles`]: { admin: true, editor: false } }, found, NS),
  ).toMatchObject({
    ok: false,
    different: [`${NS}/permissions`],
  });
});

test("missing, unexpected under the namespace, and other claims", () => {
  const result = compare(
    { [`${NS}/roles`]: ["a"], [`${NS}/plan`]: "pro" },
    { sub: "s", [`${NS}/roles`]: ["a"], [`${NS}/extra`]: 1, "https://other.example/x": 2 },
    `${NS}/`,
  );
  expect(result).toMatchObject({
    ok: false,
    missing: [`${NS}/plan`],
    different: [],
    unexpected: [`${NS}/extra`],
    other: ["https://other.example/x"],
  });
});

test("nothing expected, nothing found under the namespace: a match", () => {
  expect(compare({}, { sub: "s", "https://other.example/x": 2 }, NS)).toMatchObject({
    ok: true,
    other: ["https://other.example/x"],
  });
});
