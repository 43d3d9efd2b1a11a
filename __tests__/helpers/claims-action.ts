// Compiles the project's action the way AppMetadataClaims does, and loads it into this test file's sandbox.
import type { TokenKind } from "../../src/auth0/facts";
import { compileClaimsAction, NAMESPACE_SECRET } from "../../src/compile/claims-action";
import type { CompiledAction } from "../../src/compile/compile-action";
import type { PostLoginRuntimeOptions } from "../../src/runtime/post-login-runtime";
import type { LoginRunner } from "../../src/runtime/types";
import { loadInSandbox } from "./sandbox";

export const NAMESPACE = "https://example.com/claims";

export function compileClaims(
  keys: readonly string[] = ["roles", "permissions"],
  tokens: readonly TokenKind[] = ["id"],
): CompiledAction {
  return compileClaimsAction({ claimKeys: keys, tokens }).compiled;
}

/** The claims action compiled with `keys` and `tokens`, loaded in the sandbox (on first login). */
export function loadClaims(
  keys?: readonly string[],
  tokens?: readonly TokenKind[],
  options: Partial<PostLoginRuntimeOptions> = {},
): LoginRunner {
  return loadCode(compileClaims(keys, tokens).code, { secrets: { [NAMESPACE_SECRET]: NAMESPACE }, ...options });
}

/** Any compiled action loaded in the sandbox (on first login). */
export function loadCode(code: string, options: Partial<PostLoginRuntimeOptions> = {}): LoginRunner {
  let loaded: ReturnType<typeof loadInSandbox> | undefined;
  return {
    login: async (user, context) => (await (loaded ??= loadInSandbox({ code, ...options }))).login(user, context),
  };
}

/**
 * The claims action with `setup` (statements on `event`) run just before its handler, in the
 * sandbox: for values a user record sent to the sandbox can't hold (a function, a getter that throws).
 */
export function loadClaimsAround(setup: string, keys?: readonly string[], tokens?: readonly TokenKind[]): LoginRunner {
  const code =
    `const claims = { exports: {} };\n(function (exports, module) {\n${compileClaims(keys, tokens).code}\n})(claims.exports, claims);\n` +
    `exports.onExecutePostLogin = async (event, api) => {\n${setup}\nreturn claims.exports.onExecutePostLogin(event, api);\n};\n`;
  return loadCode(code, { secrets: { [NAMESPACE_SECRET]: NAMESPACE } });
}
