// The local runtime's limit on a token's custom claims, at its edge: 102,400 bytes of claims JSON
// (Auth0's 100 KB) pass, 102,401 fail the login, as Auth0 would.
import { loginOnce } from "./helpers/sandbox";

const NAME = "https://example.com/claims/blob";
const LIMIT = 102_400;
// One claim whose string value comes from app_metadata, so each case sizes the claims exactly.
const CODE = `exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim(${JSON.stringify(NAME)}, event.user.app_metadata.blob); };`;

/** A login whose ID token's custom claims, as JSON, are exactly `bytes` long. */
function loginWithClaims(bytes: number) {
  const overhead = Buffer.byteLength(JSON.stringify({ [NAME]: "" }));
  return loginOnce({ code: CODE }, { user_id: "auth0|edge", app_metadata: { blob: "x".repeat(bytes - overhead) } });
}

test("claims of exactly 102,400 bytes are issued", async () => {
  const outcome = await loginWithClaims(LIMIT);
  expect(outcome.denied).toBeNull();
  expect(outcome.bytes.id).toBe(LIMIT);
  expect(Buffer.byteLength(JSON.stringify(outcome.idToken))).toBe(LIMIT);
});

test("claims of 102,401 bytes fail the login, naming the size and the limit", async () => {
  const outcome = await loginWithClaims(LIMIT + 1);
  expect(outcome.denied).toBe(
    "the ID token's custom claims are 102401 bytes, over Auth0's 102400-byte limit; Auth0 fails the login",
  );
  expect(outcome.idToken).toEqual({});
});
