// A stack's flow as deployed (src/flow/model.ts), read from its constructs at synth time: the actions
// of its PostLoginFlow in order with the code each deploys, its retired actions, and the secrets each
// declares with their variables (the claims action's namespace with the value it runs with).
import { NAMESPACE_SECRET } from "../compile/claims-action";
import type { ClaimsStack } from "../constructs/claims-stack";
import type { FlowEntry as ConstructEntry } from "../constructs/post-login-flow";
import type { TypeScriptAction } from "../constructs/typescript-action";
import type { ActionAsDeployed, FlowAsDeployed, FlowEntry } from "../flow/model";

/** The stack's flow; the claims action's CLAIM_NAMESPACE has `namespace` as its value. */
export function stackFlow(stack: ClaimsStack, namespace: string): FlowAsDeployed {
  const claims = stack.claims;
  const action = (construct: TypeScriptAction): ActionAsDeployed => ({
    name: construct.actionName,
    source: `${construct.compiled.source} (sha256 ${construct.compiled.sha256.slice(0, 12)})`,
    code: construct.compiled.code,
    runtime: construct.runtime,
    dependencies: (construct.source.dependencies ?? []).map((d) => ({ name: d.name, version: d.version })),
    secrets: construct.secrets.map((secret) =>
      construct === claims.typeScriptAction && secret.name === NAMESPACE_SECRET
        ? { name: secret.name, value: namespace, variable: claims.namespace.variableName }
        : secret,
    ),
  });
  const entry = (e: ConstructEntry): FlowEntry =>
    e.kind === "hand"
      ? { kind: "hand", id: e.id, displayName: e.displayName }
      : { kind: "action", action: action(e.action), displayName: e.displayName };
  return {
    trigger: stack.flow.trigger,
    mode: stack.flow.mode,
    entries: stack.flow.entries.map(entry),
    retired: (stack.retired?.entries ?? []).flatMap((e) => (e.kind === "managed" ? [action(e.action)] : [])),
  };
}
