/// <reference path="../../actions/auth0-actions.d.ts" />
// Compiles the project's action the way AppMetadataClaims does, and loads it into the local runtime.
import { CONFIG_CONSTANT, DEFAULT_ENTRY, MAX_CLAIMS_BYTES, NAMESPACE_SECRET, TokenKind } from "../../src/app-metadata-claims";
import { CompiledAction, compileAction } from "../../src/compile-action";
import { PostLoginRuntime, PostLoginRuntimeOptions } from "../../src/runtime/post-login-runtime";

export const NAMESPACE = "https://example.com/claims";

export function compileClaims(keys: readonly string[] = ["roles", "permissions"], tokens: readonly TokenKind[] = ["id"]): CompiledAction {
  const config: AppMetadataClaimsConfig = { keys, tokens, namespaceSecret: NAMESPACE_SECRET, maxClaimsBytes: MAX_CLAIMS_BYTES };
  return compileAction({ entry: DEFAULT_ENTRY, constants: { [CONFIG_CONSTANT]: config } });
}

export function loadClaims(
  keys?: readonly string[],
  tokens?: readonly TokenKind[],
  options: Partial<PostLoginRuntimeOptions> = {},
): PostLoginRuntime {
  return PostLoginRuntime.load({ code: compileClaims(keys, tokens).code, secrets: { [NAMESPACE_SECRET]: NAMESPACE }, ...options });
}
