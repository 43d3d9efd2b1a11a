// A trigger's whole flow run locally as Auth0 runs it: the bound actions one after another on the
// same login, claims from every action merged into the same tokens, a deny (or a throw) stopping the
// flow, and one time limit for the whole flow.
import { canRedirect, FLOW_TIMEOUT_MS, NON_INTERACTIVE_PROTOCOLS } from "../auth0/facts";
import { ActionsCache } from "./cache";
import { type ActionRun, couldNotRun, type PostLoginRuntime } from "./post-login-runtime";
import {
  DEFAULT_LOGIN,
  type ExportedUser,
  type LoginContext,
  type LoginOutcome,
  type LoginState,
  newLoginState,
} from "./types";
import { checkTimeoutMs } from "./timeout";
import type { RunContext } from "./event";

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

/** Logins paused by a redirect, kept at most this long and this many (the oldest go first). */
export const PAUSED_MS = 3_600_000;
export const MAX_PAUSED = 1000;

/** A login paused by a redirect: resumed at /continue by Auth0's state. */
interface PausedLogin {
  readonly state: LoginState;
  readonly step: number;
  readonly context: LoginContext;
  readonly until: number;
}

/** A /continue request: its query and body (validateToken reads them), and where it comes from. */
export interface ContinueRequest {
  readonly query: Readonly<Record<string, unknown>>;
  readonly body: Readonly<Record<string, unknown>>;
  readonly ip?: string;
  readonly hostname?: string;
}

export class FlowRuntime {
  readonly steps: readonly FlowStep[];
  private readonly timeoutMs: number;
  private readonly timedOut: string;
  /** The last action's runtime: Auth0's rules on what the flow set are the same for every action. */
  private readonly last: PostLoginRuntime;
  /** The trigger's cache, shared by its actions across logins (Auth0 scopes it to the trigger). */
  private readonly cache = new ActionsCache();
  private readonly paused = new Map<string, PausedLogin>();

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
   * its promise. Never rejects. A redirect pauses the login: its outcome says where to, and
   * resume() goes on with it.
   */
  loginNow(user: ExportedUser, context: LoginContext = {}): LoginOutcome | Promise<LoginOutcome> {
    return this.runFrom(user, newLoginState(), context, 0, undefined);
  }

  /**
   * Resumes the login paused with Auth0's `state` (/continue): the redirecting action's
   * onContinuePostLogin, then the actions after it, on `user` as it is now (its metadata writes were
   * persisted before the redirect), within a time limit of its own. Undefined when no login is
   * paused with that state (Auth0 answers invalid_request).
   */
  resume(
    stateToken: string,
    user: ExportedUser,
    request: ContinueRequest,
  ): LoginOutcome | Promise<LoginOutcome> | undefined {
    const paused = this.paused.get(stateToken);
    if (paused === undefined || paused.until < Date.now()) {
      this.paused.delete(stateToken);
      return undefined;
    }
    this.paused.delete(stateToken);
    const effects = paused.state.effects;
    if (effects) effects.redirect = effects.redirectStep = undefined;
    const context: LoginContext = { ...paused.context, request: { ...paused.context.request, ...request } };
    return this.runFrom(user, paused.state, context, paused.step, {
      state: stateToken,
      query: request.query,
      body: request.body,
    });
  }

  /** Steps `from` on, in order; the first one resumed at onContinuePostLogin when `resumed` is given. */
  private runFrom(
    user: ExportedUser,
    state: LoginState,
    context: RunContext,
    from: number,
    resumed: ActionRun["resumed"],
  ): LoginOutcome | Promise<LoginOutcome> {
    const deadline = Date.now() + this.timeoutMs;
    try {
      for (let i = from; i < this.steps.length; i++) {
        const left = this.timeLeft(i, state, deadline);
        if (left === undefined) break;
        this.observer?.step(i);
        // start never throws: whatever the action does ends in state.denied.
        const run: ActionRun = { step: i, cache: this.cache, resumed: i === from ? resumed : undefined };
        const waiting = this.steps[i].runtime.start(
          user,
          state,
          left,
          this.timedOut,
          this.stepContext(i, context),
          run,
        );
        if (waiting !== undefined) return this.finish(waiting, i, user, state, context, deadline);
        if (this.stopped(this.steps[i], state)) return this.ended(user, state, context, i);
      }
      return this.ended(user, state, context, undefined);
    } catch (err) {
      return this.last.failed(user, couldNotRun(err));
    }
  }

  /** The rest of a login once step `i` must be waited for: one promise for the whole rest. */
  private async finish(
    waiting: Promise<void>,
    i: number,
    user: ExportedUser,
    state: LoginState,
    context: RunContext,
    deadline: number,
  ): Promise<LoginOutcome> {
    try {
      await waiting;
      if (this.stopped(this.steps[i], state)) return this.ended(user, state, context, i);
      for (let j = i + 1; j < this.steps.length; j++) {
        const left = this.timeLeft(j, state, deadline);
        if (left === undefined) break;
        this.observer?.step(j);
        const next = this.steps[j].runtime.start(user, state, left, this.timedOut, this.stepContext(j, context), {
          step: j,
          cache: this.cache,
        });
        if (next !== undefined) await next;
        if (this.stopped(this.steps[j], state)) return this.ended(user, state, context, j);
      }
      return this.ended(user, state, context, undefined);
    } catch (err) {
      return this.last.failed(user, couldNotRun(err));
    }
  }

  /**
   * The login's outcome, the flow stopped after step `at` (undefined: it ran to its end). A redirect
   * there pauses the login, unless the login can't be sent anywhere (a password or refresh-token
   * grant, prompt=none): Auth0 then fails it with interaction_required.
   */
  private ended(user: ExportedUser, state: LoginState, context: LoginContext, at: number | undefined): LoginOutcome {
    const scopes = context.requestedScopes ?? DEFAULT_LOGIN.requestedScopes;
    const redirect = state.denied === null && at !== undefined ? state.effects?.redirect : undefined;
    if (redirect === undefined || at === undefined) return this.last.outcome(user, state, scopes);
    const protocol = context.protocol ?? DEFAULT_LOGIN.protocol;
    if (!canRedirect(protocol, context.prompt ?? DEFAULT_LOGIN.prompt)) {
      state.denied = `${this.prefix(at)}interaction_required: the action redirects (api.redirect.sendUserTo), which a ${protocol}${NON_INTERACTIVE_PROTOCOLS.has(protocol) ? "" : " prompt=none"} login can't do; Auth0 fails it`;
      return this.last.outcome(user, state, scopes);
    }
    this.keep(redirect.state, { state, step: at, context, until: Date.now() + PAUSED_MS });
    const notRun = this.steps.slice(at + 1).map((s) => s.name);
    return this.last.outcome(user, state, scopes, { ...redirect, action: this.steps[at].name, step: at, notRun });
  }

  private keep(token: string, paused: PausedLogin): void {
    const now = Date.now();
    for (const [key, old] of this.paused) if (old.until < now) this.paused.delete(key);
    while (this.paused.size >= MAX_PAUSED) this.paused.delete(this.paused.keys().next().value as string);
    this.paused.set(token, paused);
  }

  /** The outcome of a login stopped from outside in action `step` (the sandbox's watchdog ended a worker stuck there). */
  timedOutOutcome(user: ExportedUser, step: number): LoginOutcome {
    return this.last.failed(
      user,
      timedOutReason(
        this.steps.map((s) => s.name),
        step,
        this.timeoutMs,
      ),
    );
  }

  /** The context step `i` runs with: only the last step may take the user's nested values (lastUse). */
  private stepContext(i: number, context: RunContext): RunContext {
    return context.lastUse === true && i < this.steps.length - 1 ? { ...context, lastUse: false } : context;
  }

  /** The milliseconds step `i` may take, or undefined when the flow's time is up: the login then fails, naming that step. */
  private timeLeft(i: number, state: LoginState, deadline: number): number | undefined {
    const left = deadline - Date.now();
    if (left >= 1) return left;
    state.denied = `${this.steps[i].name}: ${this.timedOut}; Auth0 fails the login`;
    return undefined;
  }

  /** A step's name as a prefix of a reason, when the flow has several. */
  private prefix(step: number): string {
    return this.steps.length > 1 ? `${this.steps[step].name}: ` : "";
  }

  /** Whether the flow stops after `step`: Auth0 runs no later action once one has denied, failed or redirected. */
  private stopped(step: FlowStep, state: LoginState): boolean {
    if (state.denied === null) return state.effects?.redirect !== undefined;
    if (this.steps.length > 1) state.denied = `${step.name}: ${state.denied}`;
    return true;
  }
}
