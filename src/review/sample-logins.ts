// The contract's sample users, logged in through the stack's whole post-login flow as deployed: each
// managed action's compiled code (the bytes of auth0_action.code) in order, in a sandbox worker.
import { NAMESPACE_SECRET } from "../compile/claims-action";
import { bundleDependencies } from "../compile/dependencies";
import type { ClaimsStack } from "../constructs/claims-stack";
import { ClaimIssuer } from "../runtime/outcome";
import { type ExportedUser, type LoginOutcome, newLoginState } from "../runtime/types";
import { type Sandbox, SandboxedFlow } from "../sandbox/host";
import { managedEntries } from "./flow-view";

/** What the samples say besides each user's outcome: which actions ran, and which could not. */
export interface SampleRun {
  /** The actions that ran, in order; empty when the flow is unbound (no action runs at login). */
  readonly ran: readonly string[];
  /** Actions of the flow bound by hand: not in this repository, so not run here. */
  readonly notRun: readonly string[];
  readonly outcomes: readonly LoginOutcome[];
}

/**
 * Logs each sample user in through the flow, in `sandbox` (a synthesis shares one among its stacks)
 * or a sandbox of its own. The claims action gets `namespace` as its secret; the other actions'
 * secrets are Terraform variables set only at apply time, so they run without them.
 */
export async function sampleLogins(stack: ClaimsStack, samples: readonly ExportedUser[], namespace: string, sandbox?: Sandbox): Promise<SampleRun> {
  const notRun = stack.flow.entries.filter((e) => e.kind === "hand").map((e) => e.displayName);
  const managed = managedEntries(stack.flow);
  if (stack.flow.mode === "unbound" || managed.length === 0) {
    // Nothing is bound to post-login: a login runs none of these actions, so no token carries their claims.
    const issuer = new ClaimIssuer({});
    return { ran: [], notRun, outcomes: samples.map((user) => issuer.outcome(user, newLoginState())) };
  }
  const claims = stack.claims.typeScriptAction;
  const steps = managed.map(({ action, displayName }) => {
    const dependencies = (action.source.dependencies ?? []).map((d) => d.name);
    const code = action.compiled.code;
    const options = {
      code,
      secrets: action === claims ? { [NAMESPACE_SECRET]: namespace } : ({} as Record<string, string>),
      dependencies,
      modules: bundleDependencies(code, dependencies, displayName),
      filename: action.compiled.source,
    };
    return { name: displayName, source: action.compiled.source, code, options };
  });
  const runtime = sandbox ? await sandbox.load({ steps }) : await SandboxedFlow.start({ steps });
  const outcomes: LoginOutcome[] = [];
  try {
    for (const user of samples) outcomes.push(await runtime.login(user));
  } finally {
    await runtime.close();
  }
  return { ran: managed.map((e) => e.displayName), notRun, outcomes };
}
