// The contract's sample users, logged in through the stack's whole post-login flow as deployed
// (stack-flow.ts): each managed action's compiled code (the bytes of auth0_action.code) in order, in
// a sandbox worker.
import { compileFlow } from "../flow/compile";
import { actionsOf, boundByHand, type FlowAsDeployed, withSecrets } from "../flow/model";
import type { ClaimsStack } from "../constructs/claims-stack";
import { ClaimIssuer } from "../runtime/outcome";
import { type ExportedUser, type LoginOutcome, newLoginState } from "../runtime/types";
import { type Sandbox, SandboxedFlow } from "../sandbox/host";
import { stackFlow } from "./stack-flow";

/** What the samples say besides each user's outcome: which actions ran, and which could not. */
export interface SampleRun {
  /** The actions that ran, in order; empty when the flow is unbound (no action runs at login). */
  readonly ran: readonly string[];
  /** Actions of the flow bound by hand: not in this repository, so not run here. */
  readonly notRun: readonly string[];
  /** Secrets that ran with a placeholder `<variable>` as their value, as "<action>: <secret>". */
  readonly placeholders: readonly string[];
  readonly outcomes: readonly LoginOutcome[];
}

/**
 * The flow with a placeholder, `<variable>`, for each secret whose value is a Terraform variable set
 * at apply time: a synthesis reads no secret, and the contract it writes is the same wherever it runs.
 */
function withPlaceholders(flow: FlowAsDeployed): { flow: FlowAsDeployed; placeholders: string[] } {
  const placeholders: string[] = [];
  const filled = withSecrets(flow, (secret, action) => {
    if (secret.value !== undefined) return secret;
    placeholders.push(`${action.name}: ${secret.name}`);
    return { ...secret, value: `<${secret.variable ?? secret.name}>` };
  });
  return { flow: filled, placeholders };
}

/**
 * Logs each sample user in through the flow, in `sandbox` (a synthesis shares one among its stacks)
 * or a sandbox of its own. The claims action gets `namespace` as its secret; the other secrets are
 * Terraform variables set only at apply time, so they run with placeholders.
 */
export async function sampleLogins(
  stack: ClaimsStack,
  samples: readonly ExportedUser[],
  namespace: string,
  sandbox?: Sandbox,
): Promise<SampleRun> {
  const deployed = stackFlow(stack, namespace);
  const notRun = boundByHand(deployed);
  const managed = actionsOf(deployed);
  if (deployed.mode === "unbound" || managed.length === 0) {
    // Nothing is bound to post-login: a login runs none of these actions, so no token carries their claims.
    const issuer = new ClaimIssuer({});
    return {
      ran: [],
      notRun,
      placeholders: [],
      outcomes: samples.map((user) => issuer.outcome(user, newLoginState())),
    };
  }
  const { flow, placeholders } = withPlaceholders(deployed);
  const compiled = compileFlow(flow);
  const runtime = sandbox ? await sandbox.load(compiled) : await SandboxedFlow.start(compiled);
  const outcomes: LoginOutcome[] = [];
  try {
    for (const user of samples) outcomes.push(await runtime.login(user));
  } finally {
    await runtime.close();
  }
  return { ran: managed.map((a) => a.name), notRun, placeholders, outcomes };
}
