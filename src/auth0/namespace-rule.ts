// Auth0's rule for a claim namespace, in TypeScript; src/constructs/claim-namespace.ts states the same rule in HCL
// and actions/post-login-claims.ts checks it again at run time. The local runtime applies it to
// claim names too. __tests__/fixtures/namespace-cases.json is the one table all three are tested on.

const HTTP_URL = /^https?:\/\/[^/?#\s]+/;
// A trailing dot names the same host (auth0.com. is auth0.com), and URL parsers read "\" as "/".
const RESERVED = /^https?:\/\/([^/?#\\]*[.@])?(auth0[.]com|webtask[.]io|webtask[.]run)[.]?(:[0-9]*)?([/?#\\]|$)/;
/** Control, format (zero-width, bidi) and space characters: invisible or misleading in a claim name. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}]/u;

/** Whether `name` is namespaced: an http(s) URL (reserved or not). */
export function isNamespaced(name: string): boolean {
  return HTTP_URL.test(name.toLowerCase());
}

/** Why `namespace` is reserved by Auth0, or undefined if it isn't. */
export function reservedNamespace(namespace: string): string | undefined {
  const lower = namespace.toLowerCase();
  if (lower.startsWith("urn:auth0")) return "urn:auth0 is reserved by Auth0";
  if (RESERVED.test(lower)) return "auth0.com, webtask.io and webtask.run are reserved by Auth0";
  return undefined;
}

/** The error code of a namespace namespaceProblem refuses (src/errors.ts): reserved by Auth0, or not a namespace at all. */
export function namespaceCode(namespace: string): "ERR_NAMESPACE_RESERVED" | "ERR_NAMESPACE_INVALID" {
  return reservedNamespace(namespace) === undefined ? "ERR_NAMESPACE_INVALID" : "ERR_NAMESPACE_RESERVED";
}

/** Why `namespace` can't be a claim namespace, or undefined if it can. */
export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.toLowerCase().startsWith("urn:auth0")) return reservedNamespace(namespace);
  if (INVISIBLE.test(namespace)) return "it contains whitespace or a control character";
  if (!isNamespaced(namespace)) return "it is not an http(s) URL";
  return reservedNamespace(namespace);
}
