// A trigger's whole flow run locally as Auth0 runs it: the bound actions one after another on the
// same login, claims from every action merged into the same tokens, a deny (or a throw) stopping the
// flow, and one time limit for the whole flow.
import { FLOW_TIMEOUT_MS } from "../auth0/facts";
import { PostLoginRuntime } from "./post-login-runtime";
import { ExportedUser, LoginContext, LoginOutcome, LoginRunner, newLoginState } from "./types";
import { OneAtATime } from "./one-at-a-time";
import { checkTimeoutMs } from "./timeout";

/** One action of the flow, loaded. */
export interface FlowStep {
  /** The action's name, used in the reason of a login it fails. */
  readonly name: string;
  readonly runtime: PostLoginRuntime;
}

export class FlowRuntime implements LoginRunner {
  readonly steps: readonly FlowStep[];
  private readonly timeoutMs: number;
  private readonly logins = new OneAtATime();

  /** `timeoutMs` bounds the whole flow, as Auth0's 20 s does. */
  constructor(steps: readonly FlowStep[], timeoutMs: number = FLOW_TIMEOUT_MS) {
    if (steps.length === 0) throw new RangeError("steps: [] holds no action; a flow runs at least one");
    this.steps = steps;
    this.timeoutMs = checkTimeoutMs(timeoutMs);
  }

  /** Runs every action in order for `user`. Never throws; logins run one at a time. */
  login(user: ExportedUser, context: LoginContext = {}): Promise<LoginOutcome> {
    const last = this.steps[this.steps.length - 1].runtime;
    return this.logins.run(() => this.run(user, context), (reason) => last.failed(user, reason));
  }

  private async run(user: ExportedUser, context: LoginContext): Promise<LoginOutcome> {
    const state = newLoginState();
    const deadline = Date.now() + this.timeoutMs;
    const last = this.steps[this.steps.length - 1].runtime;
    for (const step of this.steps) {
      const left = deadline - Date.now();
      if (left < 1) {
        state.denied = `${step.name}: the flow did not finish within ${this.timeoutMs} ms; Auth0 fails the login`;
        break;
      }
      // runInto never throws: whatever the action does ends in state.denied.
      await step.runtime.runInto(user, state, left, `the flow did not finish within ${this.timeoutMs} ms`, context);
      if (state.denied !== null) {
        // Auth0 runs no later action once one has denied or failed.
        if (this.steps.length > 1) state.denied = `${step.name}: ${state.denied}`;
        break;
      }
    }
    return last.outcome(user, state);
  }
}
