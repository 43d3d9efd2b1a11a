// Comparing the custom claims found in a token or /userinfo with the expected ones. Free of the
// OpenID libraries (ES modules), so jest can test it directly.
import { isDeepStrictEqual } from "node:util";

/** Claims every ID token, access token or /userinfo response may carry that no action sets. */
const STANDARD_CLAIMS = new Set(
  (
    "iss sub aud exp nbf iat jti auth_time nonce acr amr azp at_hash c_hash s_hash sid scope client_id gty permissions org_id org_name " +
    "name given_name family_name middle_name nickname preferred_username profile picture website email email_verified gender birthdate " +
    "zoneinfo locale phone_number phone_number_verified address updated_at"
  ).split(" "),
);

export interface Comparison {
  readonly expected: Record<string, unknown>;
  readonly found: Record<string, unknown>;
  readonly missing: string[];
  readonly different: string[];
  /** Claims under the namespace that were not expected. */
  readonly unexpected: string[];
  /** Other custom claims (other actions, other namespaces): reported, not judged. */
  readonly other: string[];
  /** Why this token was not compared, if it wasn't. */
  readonly skipped?: string;
  readonly ok: boolean;
}

export function customClaims(claims: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(claims).filter(([name]) => !STANDARD_CLAIMS.has(name)));
}

export function compare(
  expected: Record<string, unknown>,
  found: Record<string, unknown>,
  namespace: string | undefined,
): Comparison {
  const custom = customClaims(found);
  const missing = Object.keys(expected).filter((name) => !(name in custom));
  // Deep equality: objects in any key order, arrays in order.
  const different = Object.keys(expected).filter(
    (name) => name in custom && !isDeepStrictEqual(custom[name], expected[name]),
  );
  const extra = Object.keys(custom).filter((name) => !(name in expected));
  const ours = (name: string) => namespace !== undefined && name.startsWith(namespace.replace(/\/+$/, "") + "/");
  const unexpected = extra.filter(ours);
  const other = extra.filter((name) => !ours(name));
  return {
    expected,
    found: custom,
    missing,
    different,
    unexpected,
    other,
    ok: missing.length + different.length + unexpected.length === 0,
  };
}
