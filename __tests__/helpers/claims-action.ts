// Compiles the project's action the way AppMetadataClaims does, and loads it into the local runtime.
import type { TokenKind } from "../../src/auth0/facts";
import { compileClaimsAction, NAMESPACE_SECRET } from "../../src/compile/claims-action";
import type { CompiledAction } from "../../src/compile/compile-action";
import { PostLoginRuntime, PostLoginRuntimeOptions } from "../../src/runtime/post-login-runtime";

export const NAMESPACE = "https://example.com/claims";

export function compileClaims(keys: readonly string[] = ["roles", "permissions"], tokens: readonly TokenKind[] = ["id"]): CompiledAction {
  return compileClaimsAction({ claimKeys: keys, tokens }).compiled;
}

export function loadClaims(
  keys?: readonly string[],
  tokens?: readonly TokenKind[],
  options: Partial<PostLoginRuntimeOptions> = {},
): PostLoginRuntime {
  return PostLoginRuntime.load({ code: compileClaims(keys, tokens).code, secrets: { [NAMESPACE_SECRET]: NAMESPACE }, ...options });
}
