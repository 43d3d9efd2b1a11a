// Auth0's rule for a claim namespace, in TypeScript; claim-namespace.ts states the same rule in HCL
// and actions/post-login-claims.ts checks it again at run time.

const HTTP_URL = /^https?:\/\/[^/?#\s]+/;
const RESERVED = /^https?:\/\/([^/?#]*[.@])?(auth0[.]com|webtask[.]io|webtask[.]run)(:[0-9]*)?([/?#]|$)/;

/** Why `namespace` can't be a claim namespace, or undefined if it can. */
export function namespaceProblem(namespace: string): string | undefined {
  const lower = namespace.toLowerCase();
  if (lower.startsWith("urn:auth0")) return "urn:auth0 is reserved by Auth0";
  if (!HTTP_URL.test(lower)) return "it is not an http(s) URL";
  if (RESERVED.test(lower)) return "auth0.com, webtask.io and webtask.run are reserved by Auth0";
  return undefined;
}
