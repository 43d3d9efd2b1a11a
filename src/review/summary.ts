// A short, human summary of one synthesized stack: written beside it as claims-summary.txt by every
// synthesis, and printed by `npm start` and `npm run synth`.
import type { ClaimsStack } from "../constructs/claims-stack";
import { ACTION_RUNTIME } from "../auth0/facts";
import { claimsOf, type ProviderPin } from "./contract";

/** Describes a synthesized stack in a few lines; `file` is where its Terraform code was written, relative to the output folder. */
export function summarizeStack(stack: ClaimsStack, file: string, provider: ProviderPin): string {
  const claims = claimsOf(stack);
  const name = claims.environment;
  const synthesized = stack.toTerraform() as {
    resource?: Record<string, Record<string, unknown>>;
    terraform?: { backend?: Record<string, unknown> };
  };
  const resources = Object.entries(synthesized.resource ?? {}).flatMap(([type, byName]) => Object.keys(byName).map((n) => `${type}.${n}`));
  const backend = Object.keys(synthesized.terraform?.backend ?? {})[0] ?? "local";
  const { variable, namespace, binding } = claims;
  const prefix = namespace !== undefined ? namespace.replace(/\/+$/, "") : `<${variable}>`;
  const tokens = claims.tokens.map((t) => (t === "id" ? "ID token (and /userinfo)" : "access token")).join(", ");
  const width = Math.max(...claims.claimKeys.map((k) => `${prefix}/${k}`.length));
  const keyWidth = Math.max(...claims.claimKeys.map((k) => k.length));
  const bindingText =
    binding.mode === "append"
      ? "append: auth0_trigger_action adds it at the end of post-login; actions bound by hand stay"
      : `exclusive: auth0_trigger_actions owns post-login: ${[
          ...(binding.before ?? []).map((a) => a.displayName),
          `[${claims.actionName}]`,
          ...(binding.after ?? []).map((a) => a.displayName),
        ].join(" -> ")}; any other bound action is removed`;
  const lock = provider.lock;
  const lines = [
    `${name}  ${file}  (backend: ${backend})`,
    `  resources  ${resources.join(", ")}`,
    `  namespace  ${
      namespace !== undefined
        ? `${namespace} (default; override with TF_VAR_${variable} or -var ${variable}=...)`
        : `from variable ${variable}, no default: set TF_VAR_${variable} or ${variable} in a .tfvars file`
    }`,
    ...claims.claimKeys.map(
      (key, i) => `  ${i === 0 ? "claims   " : "         "}  ${`${prefix}/${key}`.padEnd(width)}  <- app_metadata.${key.padEnd(keyWidth)}  -> ${tokens}`,
    ),
    `  binding    ${bindingText}`,
    `  action     ${claims.actionName}, ${ACTION_RUNTIME}, ${claims.compiled.bytes} bytes, sha256 ${claims.compiled.sha256.slice(0, 12)}`,
    `  provider   auth0/auth0 ${provider.constraint}, ${lock.state === "locked" ? `locked at ${lock.version} (${lock.file}, ${lock.hashes} hashes)` : `WARNING: ${lock.warning}`}`,
  ];
  return lines.join("\n") + "\n";
}
