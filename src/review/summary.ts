// A short, human summary of one synthesized stack: written beside it as claims-summary.txt by every
// synthesis, and printed by `npm start` and `npm run synth`.
import type { ClaimsStack } from "../constructs/claims-stack";
import { claimsOf, type ProviderPin } from "./contract";
import { flowLine, flowView, type FlowActionView, type FlowView } from "./flow-view";

/** Describes a synthesized stack in a few lines; `file` is where its Terraform code was written, relative to the output folder. */
export function summarizeStack(stack: ClaimsStack, file: string, provider: ProviderPin): string {
  const claims = claimsOf(stack);
  const name = claims.environment;
  const synthesized = stack.toTerraform() as {
    resource?: Record<string, Record<string, unknown>>;
    terraform?: { backend?: Record<string, unknown> };
  };
  const resources = Object.entries(synthesized.resource ?? {}).flatMap(([type, byName]) =>
    Object.keys(byName).map((n) => `${type}.${n}`),
  );
  const backend = Object.keys(synthesized.terraform?.backend ?? {})[0] ?? "local";
  const { variable, namespace } = claims;
  const flow = flowView(stack);
  const prefix = namespace !== undefined ? namespace.replace(/\/+$/, "") : `<${variable}>`;
  const tokens = claims.tokens.map((t) => (t === "id" ? "ID token (and /userinfo)" : "access token")).join(", ");
  const width = Math.max(...claims.claimKeys.map((k) => `${prefix}/${k}`.length));
  const keyWidth = Math.max(...claims.claimKeys.map((k) => k.length));
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
      (key, i) =>
        `  ${i === 0 ? "claims   " : "         "}  ${`${prefix}/${key}`.padEnd(width)}  <- app_metadata.${key.padEnd(keyWidth)}  -> ${tokens}`,
    ),
    `  binding    ${bindingText(flow)}`,
    ...actionLines(flow),
    `  provider   auth0/auth0 ${provider.constraint}, ${lock.state === "locked" ? `locked at ${lock.version} (${lock.file}, ${lock.hashes} hashes)` : `WARNING: ${lock.warning}`}`,
  ];
  return lines.join("\n") + "\n";
}

function bindingText(flow: FlowView): string {
  const managed = flow.actions.filter((a) => a.managed).length;
  const order = flowLine(flow, (a) => (a.managed && a.claims ? `[${a.name}]` : a.name)).join(" -> ");
  switch (flow.mode) {
    case "append":
      return managed === 1
        ? "append: auth0_trigger_action adds it at the end of post-login; actions bound by hand stay"
        : `append: auth0_trigger_action adds each at the end of post-login, in order: ${order}; actions bound by hand stay`;
    case "exclusive":
      return `exclusive: auth0_trigger_actions owns post-login: ${order}; any other bound action is removed`;
    case "unbound":
      return `unbound: no binding, so none of ${flow.actions.map((a) => a.name).join(", ")} runs at login; the actions stay deployed`;
  }
}

/** One line per action managed here, in flow order, then the retired ones. */
function actionLines(flow: FlowView): string[] {
  const line = (a: FlowActionView, label: string) =>
    a.managed
      ? `  ${label.padEnd(9)}  ${a.name}, ${a.runtime}, ${a.bytes} bytes, sha256 ${a.sha256.slice(0, 12)}`
      : `  ${label.padEnd(9)}  ${a.name}, bound by hand (id ${a.id})`;
  const actions = flow.actions.filter((a) => a.managed || flow.mode === "exclusive");
  return [
    ...actions.map((a, i) => line(a, i === 0 ? (actions.length === 1 ? "action" : "actions") : "")),
    ...flow.retired.map((a, i) => line(a, i === 0 ? "retired" : "")),
  ];
}
