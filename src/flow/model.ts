// One model of a trigger's flow as deployed, which every tool reads: the actions in the order they
// run, each with its code, runtime, npm dependencies and declared secrets; the entries bound by hand
// (not in this repository, so never run here); the actions deployed but bound nowhere. Builders make
// it from each source (an environment, a stack's constructs, a synthesized cdk.tf.json, the local
// tenant's Actions store); src/flow/compile.ts turns it into what a sandbox worker loads.
import { type POST_LOGIN } from "../auth0/facts";

/** The trigger a flow belongs to. Only post-login runs locally today; another can be added here. */
export type FlowTrigger = typeof POST_LOGIN.id;

/** A secret an action declares: read as `event.secrets.<name>`. */
export interface FlowSecret {
  readonly name: string;
  /** Its value, when the source gives one (the namespace, a deployed version's); else resolved from `variable`. */
  readonly value?: string;
  /** The Terraform variable that gives it at apply time, read from TF_VAR_<variable> (src/flow/secrets.ts). */
  readonly variable?: string;
}

export interface FlowDependency {
  readonly name: string;
  readonly version: string;
}

/** One action as deployed. */
export interface ActionAsDeployed {
  /** auth0_action.name: how the tenant knows it, and how a failed login names it. */
  readonly name: string;
  /** Where its code comes from, for reports, e.g. "actions/deny-blocked-users.ts (sha256 0123456789ab)". */
  readonly source: string;
  /** The compiled code: the bytes of auth0_action.code. */
  readonly code: string;
  /** The Node runtime Auth0 runs it on, e.g. "node22"; undefined when the source doesn't say. */
  readonly runtime?: string;
  /** npm packages Auth0 installs for it, as declared (TypeScriptAction sorts them by name). */
  readonly dependencies: readonly FlowDependency[];
  readonly secrets: readonly FlowSecret[];
}

/** One place in the flow: an action managed here, or one bound by hand (by id), which does not run here. */
export type FlowEntry =
  | { readonly kind: "action"; readonly action: ActionAsDeployed; readonly displayName: string }
  | { readonly kind: "hand"; readonly id: string; readonly displayName: string };

/**
 * How the flow is bound: `exclusive`, the whole list is the flow (the local tenant's bindings are);
 * `append`, the managed actions after whatever is bound by hand; `unbound`, nothing is bound, so no
 * action of `entries` runs at login (a tool may still run them, as the preview does).
 */
export type FlowMode = "append" | "exclusive" | "unbound";

export interface FlowAsDeployed {
  readonly trigger: FlowTrigger;
  readonly mode: FlowMode;
  /** The flow in the order it runs (in `unbound` mode, the actions as declared). */
  readonly entries: readonly FlowEntry[];
  /** Actions deployed for the trigger but out of the flow (retired: step 1 of removing them, docs/lifecycle.md). */
  readonly retired: readonly ActionAsDeployed[];
}

/** The managed actions of the flow, in the order they run: what a local run loads. */
/**
 * The flow with each secret of its bound actions (retired ones aside: they don't run) replaced by
 * what `change` gives for it: how a tool fills in values the source leaves to Terraform.
 */
export function withSecrets(
  flow: FlowAsDeployed,
  change: (secret: FlowSecret, action: ActionAsDeployed) => FlowSecret,
): FlowAsDeployed {
  return {
    ...flow,
    entries: flow.entries.map((entry) =>
      entry.kind === "action"
        ? { ...entry, action: { ...entry.action, secrets: entry.action.secrets.map((s) => change(s, entry.action)) } }
        : entry,
    ),
  };
}

export function actionsOf(flow: FlowAsDeployed): ActionAsDeployed[] {
  return flow.entries.flatMap((entry) => (entry.kind === "action" ? [entry.action] : []));
}

/** The entries bound by hand, by display name: they run in the tenant, not here. */
export function boundByHand(flow: FlowAsDeployed): string[] {
  return flow.entries.flatMap((entry) => (entry.kind === "hand" ? [entry.displayName] : []));
}

/**
 * The flow in one line, for report headers: "action <source>" for one action, "flow a <source> ->
 * b <source>" for several, and how many entries bound by hand don't run here.
 */
export function flowText(flow: FlowAsDeployed): string {
  const actions = actionsOf(flow);
  const hand = boundByHand(flow).length;
  const notRun = hand === 0 ? "" : ` (${hand} action(s) bound by hand, not run here)`;
  if (actions.length === 0) return `no action${notRun}`;
  if (actions.length === 1) return `action ${actions[0].source}${notRun}`;
  return `flow ${actions.map((a) => `${a.name} ${a.source}`).join(" -> ")}${notRun}`;
}
