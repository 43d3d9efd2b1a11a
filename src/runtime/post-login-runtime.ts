// A local post-login runtime for one action: loads its compiled code once (sandbox.ts) and runs
// onExecutePostLogin per user with a post-login v3 event (event.ts) and api (api.ts), bounded in
// time (timeout.ts); outcome.ts applies Auth0's claim rules to what the action set.
import { MAX_ACTION_CODE_BYTES } from "../auth0/facts";
import { ActionLoadError } from "../errors";
import { type ApiScope, postLoginApi } from "./api";
import type { ActionsCache } from "./cache";
import type { Redirect } from "./effects";
import { describe } from "./describe";
import { EventFactory } from "./event";
import { ClaimIssuer, failedOutcome } from "./outcome";
import { loadAction, type LoginSlot } from "./sandbox";
import { checkTimeoutMs, DEFAULT_TIMEOUT_MS, TimeoutError, withTimeout } from "./timeout";
import {
  DEFAULT_LOGIN,
  type DroppedClaim,
  type ExportedUser,
  type Handler,
  type LoginContext,
  type LoginOutcome,
  type LoginState,
} from "./types";

export interface PostLoginRuntimeOptions {
  /** The compiled action, the same bytes as auth0_action.code. */
  readonly code: string;
  /** The action's secrets (event.secrets). @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  /** npm modules declared as the action's dependencies; require() of anything else fails as in Auth0. @default [] */
  readonly dependencies?: readonly string[];
  /** The declared dependencies the code requires, each bundled into one module (src/compile/dependencies.ts), by specifier. @default {} */
  readonly modules?: Readonly<Record<string, string>>;
  /** Origins fetch may reach (--allow-fetch); every other call is refused. @default none */
  readonly allowFetch?: readonly string[];
  /** How long a login may take before it is denied. @default 20000 */
  readonly timeoutMs?: number;
  /** The application logging in (event.client). @default a sample client */
  readonly client?: { readonly client_id: string; readonly name: string };
  /** The requested audience; an Auth0 API audience refuses non-namespaced access-token claims. @default - none */
  readonly audience?: string;
  /** Name shown in stack traces. @default "action.js" */
  readonly filename?: string;
}

/** Where an action run stands in its login: its place in the flow, the flow's cache, a resumed login's /continue. */
export interface ActionRun {
  readonly step: number;
  readonly cache: ActionsCache;
  /** Set when the login resumes at /continue: onContinuePostLogin runs, and validateToken reads this. */
  readonly resumed?: ApiScope["resumed"];
}

export class PostLoginRuntime {
  /** The action's onExecutePostLogin itself, as loaded (used by the benchmark). */
  handler: Handler;
  /** Its onContinuePostLogin, if it exports one. */
  private continueHandler: Handler | undefined;
  private readonly timeoutMs: number;
  private readonly events: EventFactory;
  private readonly issuer: ClaimIssuer;
  /** The login the loaded code runs for; replaced with the code after a login times out. */
  private slot: LoginSlot = { state: undefined };
  private watch = new Watch();

  private constructor(private readonly options: PostLoginRuntimeOptions) {
    this.timeoutMs = checkTimeoutMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.events = new EventFactory({
      secrets: Object.freeze({ ...(options.secrets ?? {}) }),
      client: options.client ?? { client_id: "preview-client", name: "Preview" },
      audience: options.audience,
    });
    this.issuer = new ClaimIssuer({ audience: options.audience });
    this.handler = this.loadCode();
  }

  /**
   * Loads the code into a fresh sandbox with a new slot: once, then after each login that timed out,
   * since whatever that login still runs would print into the login current then; the old copy of
   * the code keeps the old slot, which no login uses again.
   */
  private loadCode(): Handler {
    this.slot = { state: undefined };
    const { code, filename = "action.js", dependencies = [], modules, allowFetch } = this.options;
    const loaded = loadAction(code, {
      filename,
      dependencies,
      modules,
      slot: this.slot,
      allowFetch,
      callTimeoutMs: this.timeoutMs,
    });
    this.continueHandler = loaded.continueHandler;
    return loaded.handler;
  }

  /** Loads the code once; throws ActionLoadError when Auth0 would refuse it or it fails to load. */
  static load(options: PostLoginRuntimeOptions): PostLoginRuntime {
    const bytes = Buffer.byteLength(options.code, "utf8");
    if (bytes > MAX_ACTION_CODE_BYTES) {
      throw new ActionLoadError(
        "ERR_ACTION_TOO_LARGE",
        `action code is ${bytes} bytes; Auth0 refuses action code over ${MAX_ACTION_CODE_BYTES} bytes`,
      );
    }
    return new PostLoginRuntime(options);
  }

  /**
   * Runs the action for `user`, recording into `state` (a flow passes the same state to each of its
   * actions); sets `state.denied` when the action denies, throws or takes longer than `timeoutMs`
   * (the reason then starts with `timedOut`); never throws. Returns undefined when the action is
   * done, else a promise that settles once it is: a login that never waits costs the handler's own
   * promise and one tick, not a chain of them.
   */
  start(
    user: ExportedUser,
    state: LoginState,
    timeoutMs: number,
    timedOut: string,
    context: LoginContext,
    run: ActionRun,
  ): Promise<void> | undefined {
    const handler = run.resumed === undefined ? this.handler : this.continueHandler;
    if (handler === undefined) {
      state.denied = "the action redirected, but exports no onContinuePostLogin: Auth0 resumes a login there; add it";
      return undefined;
    }
    let event: unknown;
    try {
      event = this.events.event(user, context, state);
    } catch (err) {
      // Not the action's doing: a user record that can't be copied (a getter that throws).
      state.denied = couldNotRun(err);
      return undefined;
    }
    const request = context.request;
    const scope: ApiScope = {
      state,
      userId: typeof user.user_id === "string" ? user.user_id : "",
      protocol: context.protocol ?? DEFAULT_LOGIN.protocol,
      prompt: context.prompt ?? DEFAULT_LOGIN.prompt,
      ip: request?.ip ?? DEFAULT_LOGIN.ip,
      hostname: request?.hostname ?? DEFAULT_LOGIN.hostname,
      cache: run.cache,
      step: run.step,
      resumed: run.resumed,
    };
    this.slot.state = state;
    let result: unknown;
    try {
      result = handler(event, postLoginApi(scope));
      if (isThenable(result)) return this.settle(result, state, timeoutMs, timedOut);
    } catch (err) {
      state.denied = threw(err);
    }
    this.slot.state = undefined;
    return undefined;
  }

  /**
   * Waits for the handler's promise, the login still current. Most handlers are async functions that
   * never wait, so their promise is settled on return: one tick tells, and only a pending one pays
   * for a timer. (A `then` here, not `await result`: the promise is the sandbox's, and awaiting
   * another realm's promise costs extra ticks.)
   */
  private async settle(
    result: PromiseLike<unknown>,
    state: LoginState,
    timeoutMs: number,
    timedOut: string,
  ): Promise<void> {
    const slot = this.slot;
    const watch = this.watch;
    watch.reset();
    try {
      result.then(watch.fulfilled, watch.rejected);
      // One tick, no more: a settled promise has run its callbacks by then.
      // eslint-disable-next-line @typescript-eslint/await-thenable -- the tick is the point
      await undefined;
      if (!watch.settled) {
        // Still pending: this watch may fire whenever; later logins get a fresh one.
        this.watch = new Watch();
        await withTimeout(result, timeoutMs);
      } else if (watch.failed) throw watch.failure;
    } catch (err) {
      if (err instanceof TimeoutError) {
        state.denied = `${timedOut}; Auth0 fails the login`;
        this.handler = this.loadCode();
      } else state.denied = threw(err);
    } finally {
      slot.state = undefined;
    }
  }

  /** What Auth0 issues once every action has run: the claims its rules keep, or the reason the login fails. */
  outcome(
    user: ExportedUser,
    state: LoginState,
    requestedScopes?: readonly string[],
    redirect?: Redirect,
  ): LoginOutcome {
    return this.issuer.outcome(user, state, requestedScopes, redirect);
  }

  /** The outcome of a login that fails: no token is issued. */
  failed(user: ExportedUser, reason: string, dropped: DroppedClaim[] = [], logs: string[] = []): LoginOutcome {
    return failedOutcome(user, reason, dropped, logs);
  }
}

/**
 * How a handler's promise settled, seen through `then`. One per runtime, reused by each login whose
 * promise settles within a tick (logins run one at a time), instead of two closures and a record
 * per login; replaced as soon as a promise is still pending, so its late settling can't be taken
 * for a later login's.
 */
class Watch {
  settled = false;
  failed = false;
  failure: unknown = undefined;
  readonly fulfilled = (): void => {
    this.settled = true;
  };
  readonly rejected = (err: unknown): void => {
    this.settled = true;
    this.failed = true;
    this.failure = err;
  };

  reset(): void {
    this.settled = false;
    this.failed = false;
    this.failure = undefined;
  }
}

function threw(err: unknown): string {
  return `the action threw ${describe(err)}; Auth0 fails the login`;
}

/** The reason of a login the local runtime itself failed to run (a bug here, not the action's doing). */
export function couldNotRun(err: unknown): string {
  return `the local runtime could not run this login: ${describe(err)}`;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
