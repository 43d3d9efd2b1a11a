// A trigger's whole flow run locally as Auth0 runs it: the bound actions one after another on the
// same login, claims from every action merged into the same tokens, a deny (or a throw) stopping the
// flow, and one time limit for the whole flow.
import { FLOW_TIMEOUT_MS } from "../auth0/facts";
import { couldNotRun, PostLoginRuntime } from "./post-login-runtime";
import { type ExportedUser, type LoginContext, type LoginOutcome, type LoginState, newLoginState } from "./types";
import { checkTimeoutMs } from "./timeout";

/** One action of the flow, loaded. */
export interface FlowStep {
  /** The action's name, used in the reason of a login it fails. */
  readonly name: string;
  readonly runtime: PostLoginRuntime;
}

/** Hears which action of the flow starts running (or loading): the sandbox's pulse (src/sandbox/pulse.ts). */
export interface FlowObserver {
  step(index: number): void;
}

/** Why a login fails when its flow runs out of time in action `step` (named when the flow has several). */
export function timedOutReason(names: readonly string[], step: number, timeoutMs: number): string {
  const reason = `the flow did not finish within ${timeoutMs} ms; Auth0 fails the login`;
  return names.length > 1 ? `${names[step]}: ${reason}` : reason;
}

export class FlowRuntime {
  readonly steps: readonly FlowStep[];
  private readonly timeoutMs: number;
  private readonly timedOut: string;
  /** The last action's runtime: Auth0's rules on what the flow set are the same for every action. */
  private readonly last: PostLoginRuntime;

  /** `timeoutMs` bounds the whole flow, as Auth0's 20 s does. */
  constructor(
    steps: readonly FlowStep[],
    timeoutMs: number = FLOW_TIMEOUT_MS,
    private readonly observer?: FlowObserver,
  ) {
    if (steps.length === 0) throw new RangeError("steps: [] holds no action; a flow runs at least one");
    this.steps = steps;
    this.timeoutMs = checkTimeoutMs(timeoutMs);
    this.timedOut = `the flow did not finish within ${this.timeoutMs} ms`;
    this.last = steps[steps.length - 1].runtime;
  }

  /**
   * One login, for a caller that runs this flow's logins one at a time (a sandbox worker takes one
   * request, or one batch, at a time): the outcome itself when no action had to be waited for, else
   * its promise. Never rejects.
   */
  loginNow(user: ExportedUser, context: LoginContext = {}): LoginOutcome | Promise<LoginOutcome> {
    const state = newLoginState();
    const deadline = Date.now() + this.timeoutMs;
    try {
      for (let i = 0; i < this.steps.length; i++) {
        const left = this.timeLeft(i, state, deadline);
        if (left === undefined) break;
        this.observer?.step(i);
        // start never throws: whatever the action does ends in state.denied.
        const waiting = this.steps[i].runtime.start(user, state, left, this.timedOut, this.stepContext(i, context));
        if (waiting !== undefined) return this.finish(waiting, i, user, state, context, deadline);
        if (this.stopped(this.steps[i], state)) break;
      }
      return this.last.outcome(user, state);
    } catch (err) {
      return this.last.failed(user, couldNotRun(err));
    }
  }

  /** The rest of a login once step `i` must be waited for: one promise for the whole rest. */
  private async finish(waiting: Promise<void>, i: number, user: ExportedUser, state: LoginState, context: LoginContext, deadline: number): Promise<LoginOutcome> {
    try {
      await waiting;
      if (!this.stopped(this.steps[i], state)) {
        for (let j = i + 1; j < this.steps.length; j++) {
          const left = this.timeLeft(j, state, deadline);
          if (left === undefined) break;
          this.observer?.step(j);
          const next = this.steps[j].runtime.start(user, state, left, this.timedOut, this.stepContext(j, context));
          if (next !== undefined) await next;
          if (this.stopped(this.steps[j], state)) break;
        }
      }
      return this.last.outcome(user, state);
    } catch (err) {
      return this.last.failed(user, couldNotRun(err));
    }
  }

  /** The outcome of a login stopped from outside in action `step` (the sandbox's watchdog ended a worker stuck there). */
  timedOutOutcome(user: ExportedUser, step: number): LoginOutcome {
    return this.last.failed(user, timedOutReason(this.steps.map((s) => s.name), step, this.timeoutMs));
  }

  /** The context step `i` runs with: only the last step may take the user's nested values (lastUse). */
  private stepContext(i: number, context: LoginContext): LoginContext {
    return context.lastUse === true && i < this.steps.length - 1 ? { protocol: context.protocol } : context;
  }

  /** The milliseconds step `i` may take, or undefined when the flow's time is up: the login then fails, naming that step. */
  private timeLeft(i: number, state: LoginState, deadline: number): number | undefined {
    const left = deadline - Date.now();
    if (left >= 1) return left;
    state.denied = `${this.steps[i].name}: ${this.timedOut}; Auth0 fails the login`;
    return undefined;
  }

  /** Whether the flow stops after `step`: Auth0 runs no later action once one has denied or failed. */
  private stopped(step: FlowStep, state: LoginState): boolean {
    if (state.denied === null) return false;
    if (this.steps.length > 1) state.denied = `${step.name}: ${state.denied}`;
    return true;
  }
}
