// What the contract and the summary read of a stack's post-login flow, in one place: every action in
// the order it runs (managed ones with their code's source, hash and size; hand-bound ones by name),
// how the flow is bound, and the retired actions still deployed.
import type { ClaimsStack } from "../constructs/claims-stack";
import type { FlowEntry, FlowMode, PostLoginFlow } from "../constructs/post-login-flow";

export type FlowActionView =
  | {
      readonly name: string;
      readonly managed: true;
      /** Whether this is the claims action (AppMetadataClaims) of the stack. */
      readonly claims: boolean;
      readonly runtime: string;
      readonly trigger: string;
      readonly source: string;
      readonly sha256: string;
      readonly bytes: number;
    }
  | { readonly name: string; readonly managed: false; readonly id: string };

export interface FlowView {
  readonly mode: FlowMode;
  /** The binding resource type, or null when the flow is unbound. */
  readonly resource: string | null;
  /** The flow's actions in the order they run. */
  readonly actions: readonly FlowActionView[];
  /** Managed actions out of the flow but still deployed (docs/lifecycle.md). */
  readonly retired: readonly FlowActionView[];
}

const RESOURCES: Record<FlowMode, string | null> = {
  append: "auth0_trigger_action",
  exclusive: "auth0_trigger_actions",
  unbound: null,
};

export function flowView(stack: ClaimsStack): FlowView {
  const view = (entry: FlowEntry): FlowActionView => actionView(stack, entry);
  return {
    mode: stack.flow.mode,
    resource: RESOURCES[stack.flow.mode],
    actions: stack.flow.entries.map(view),
    retired: (stack.retired?.entries ?? []).map(view),
  };
}

/** The flow as one line of names, as it runs: "(actions bound by hand, unchanged) -> a -> b" in append mode. */
export function flowLine(flow: FlowView, mark: (action: FlowActionView) => string = (a) => a.name): string[] {
  const names = flow.actions.map(mark);
  return flow.mode === "append" ? ["(actions bound by hand, unchanged)", ...names] : names;
}

function actionView(stack: ClaimsStack, entry: FlowEntry): FlowActionView {
  if (entry.kind === "hand") return { name: entry.displayName, managed: false, id: entry.id };
  const action = entry.action;
  return {
    name: entry.displayName,
    managed: true,
    claims: action === stack.claims.typeScriptAction,
    runtime: action.runtime,
    trigger: `${action.trigger.id} ${action.trigger.version}`,
    source: action.compiled.source,
    sha256: action.compiled.sha256,
    bytes: action.compiled.bytes,
  };
}

/** The flow's managed actions as the stack deploys them, for the sample logins. */
export function managedEntries(flow: PostLoginFlow): Extract<FlowEntry, { kind: "managed" }>[] {
  return flow.entries.filter((e): e is Extract<FlowEntry, { kind: "managed" }> => e.kind === "managed");
}
