// The claims action's settings (keys, tokens) checked, and the action compiled with them. Kept free
// of cdktf, so the preview can build the exact deployed code without loading the CDK.
import { isList } from "../lists";
import { MAX_CUSTOM_CLAIMS_BYTES, TOKEN_KINDS, type TokenKind } from "../auth0/facts";
import { type ActionSource, compileActionSource } from "./action-source";
import type { CompiledAction } from "./compile-action";
import { UsageError } from "../errors";

export const DEFAULT_CLAIM_KEYS: readonly string[] = ["roles", "permissions"];
export const DEFAULT_TOKENS: readonly TokenKind[] = ["id"];
export const DEFAULT_ENTRY = "actions/post-login-claims.ts";
export const DEFAULT_ACTION_NAME = "app-metadata-claims";
/** The claims action's resource name in an environment's stack: auth0_action.app_metadata_claims. */
export const CLAIMS_RESOURCE = "app_metadata_claims";
/** The Terraform variable the namespace comes from, unless the construct is given another name. */
export const NAMESPACE_VARIABLE = "claim_namespace";
/** Action secret that carries the namespace, so changing it needs no rebuild of the code. */
export const NAMESPACE_SECRET = "CLAIM_NAMESPACE";
/** The values of constants the action is compiled with (see actions/auth0-actions.d.ts). */
export const CONFIG_CONSTANT = "APP_METADATA_CLAIMS_CONFIG";

/** A claim key is one app_metadata field name that also reads well at the end of a URL. */
const CLAIM_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const INERT_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export interface ClaimsActionSettings {
  /** app_metadata fields to copy. @default ["roles", "permissions"] */
  readonly claimKeys?: readonly string[];
  /** Tokens that carry the claims. @default ["id"] */
  readonly tokens?: readonly TokenKind[];
  /** Entry file of the action, relative to the project's root. @default "actions/post-login-claims.ts" */
  readonly entry?: string;
}

export interface ClaimsAction {
  readonly claimKeys: readonly string[];
  readonly tokens: readonly TokenKind[];
  /** What the action is compiled from: the entry and the claim settings as a compile-time constant. */
  readonly source: ActionSource;
  readonly compiled: CompiledAction;
}

/** Checks the settings (errors name the prop, the value and the fix) and compiles the action with them. */
export function compileClaimsAction(settings: ClaimsActionSettings = {}): ClaimsAction {
  const claimKeys = checkClaimKeys(settings.claimKeys ?? DEFAULT_CLAIM_KEYS);
  const tokens = checkTokens(settings.tokens ?? DEFAULT_TOKENS);
  const config: AppMetadataClaimsConfig = {
    keys: claimKeys,
    tokens,
    namespaceSecret: NAMESPACE_SECRET,
    maxClaimsBytes: MAX_CUSTOM_CLAIMS_BYTES,
  };
  const source: ActionSource = { entry: settings.entry ?? DEFAULT_ENTRY, constants: { [CONFIG_CONSTANT]: config } };
  return { claimKeys, tokens, source, compiled: compileActionSource(source) };
}

function checkClaimKeys(keys: readonly string[]): readonly string[] {
  if (!isList(keys) || keys.length === 0) {
    throw new UsageError(
      "ERR_CLAIM_KEY",
      `claimKeys: ${JSON.stringify(keys)} names no app_metadata field; list at least one, e.g. ["roles", "permissions"]`,
    );
  }
  const seen = new Set<string>();
  for (const key of keys) {
    if (typeof key !== "string" || !CLAIM_KEY.test(key) || INERT_KEYS.has(key)) {
      throw new UsageError(
        "ERR_CLAIM_KEY",
        `claimKeys: ${JSON.stringify(key)} can't be a claim key; use 1 to 64 letters, digits, "_", "-" or "." (not starting with "-" or "."), ` +
          `and not __proto__, constructor or prototype`,
      );
    }
    if (seen.has(key))
      throw new UsageError("ERR_CLAIM_KEY", `claimKeys: "${key}" is listed twice; list each app_metadata field once`);
    seen.add(key);
  }
  return [...keys];
}

function checkTokens(tokens: readonly TokenKind[]): readonly TokenKind[] {
  if (!isList(tokens) || tokens.length === 0) {
    throw new UsageError(
      "ERR_TOKEN_KIND",
      `tokens: ${JSON.stringify(tokens)} names no token; use ["id"], ["access"] or ["id", "access"]`,
    );
  }
  const seen = new Set<string>();
  for (const token of tokens) {
    if (!TOKEN_KINDS.includes(token)) {
      throw new UsageError(
        "ERR_TOKEN_KIND",
        `tokens: ${JSON.stringify(token)} is not a token kind; use "id" (ID token and /userinfo) or "access"`,
      );
    }
    if (seen.has(token))
      throw new UsageError("ERR_TOKEN_KIND", `tokens: "${token}" is listed twice; list each token once`);
    seen.add(token);
  }
  // Keep a fixed order so the compiled code, and so the plan, doesn't change with the order of the list.
  return TOKEN_KINDS.filter((t) => seen.has(t));
}
