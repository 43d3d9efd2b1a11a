// Runs compiled post-login flows in a sandbox worker thread (the host side of login-worker.ts): the
// only way this project runs action code outside Auth0, besides the preview's own workers. The
// worker's realm is locked down (SES), its environment empty, its heap bounded; a watchdog ends a
// load or a login past its deadline. A login that runs out of time fails as Auth0 fails it; a worker
// that stops otherwise (out of memory, a crash) fails what it was doing with a SandboxError naming
// the action. Either way the next request gets a fresh worker with the same flows loaded again.
import { Worker } from "node:worker_threads";
import { FLOW_TIMEOUT_MS } from "../auth0/facts";
import { sandboxWorkerScript } from "../compile/sandbox-bundle";
import { ActionLoadError, SandboxError } from "../errors";
import type { CompiledFlow } from "../runtime/compiled-flow";
import { type ContinueRequest, timedOutReason } from "../runtime/flow-runtime";
import { checkTimeoutMs } from "../runtime/timeout";
import { failedOutcome, restoreOutcome } from "../runtime/outcome";
import { OneAtATime } from "../runtime/one-at-a-time";
import type { ExportedUser, LoginContext, LoginOutcome, LoginRunner } from "../runtime/types";
import { LOGINS_KIND, type LoginWorkerData, type WorkerAnswer, type WorkerRequest } from "./login-worker";
import { Phase, Pulse } from "./pulse";
import { type Overrun, Watchdog } from "./watchdog";

/** An action's module code must load within this, or within its flow's login time limit if shorter. */
export const LOAD_TIMEOUT_MS = 5000;
/** A sandbox worker's heap (V8's old generation) in MiB: past it, the worker is ended. */
export const SANDBOX_HEAP_MB = 512;

export interface SandboxLimits {
  /** The worker's heap limit in MiB. @default SANDBOX_HEAP_MB */
  readonly heapMb?: number;
}

/** Starts a sandbox worker on the bundled entry (src/cli/sandbox-worker.ts): no environment, no inherited flags, a bounded heap. */
export function startSandboxWorker(workerData: unknown, heapMb: number): Worker {
  const worker = new Worker(sandboxWorkerScript(), {
    workerData,
    env: {},
    argv: [],
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    // The worker's own streams are the process's: nothing in it writes to stdout (actions have their
    // own console, SES reports nothing), and piping them would keep an idle sandbox's process alive.
    stdout: false,
    stderr: false,
  });
  return worker;
}

/** What ended a worker, in words: its error, or its exit code. */
export function stopText(cause: { error?: unknown; exitCode?: number }, heapMb: number): string {
  const error = cause.error as (Error & { code?: string }) | undefined;
  if (error?.code === "ERR_WORKER_OUT_OF_MEMORY") return `ran out of memory (the sandbox allows ${heapMb} MiB)`;
  if (error !== undefined) return `threw outside any login (${error.name ?? "Error"}: ${String(error.message)})`;
  return `stopped its worker (exit ${cause.exitCode})`;
}

/** The name of action `step` of `flow`, quoted for a message. */
export function actionName(flow: CompiledFlow, step: number): string {
  return JSON.stringify(flow.steps[step]?.name ?? `action ${step + 1}`);
}

/** The time limits of a flow: its logins', and its actions' loads. */
export function deadlines(flow: CompiledFlow): { loginMs: number; loadMs: number } {
  const loginMs = flow.timeoutMs ?? FLOW_TIMEOUT_MS;
  return { loginMs, loadMs: Math.min(LOAD_TIMEOUT_MS, loginMs) };
}

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;

interface InFlight {
  readonly id: number;
  readonly request: Request;
  readonly resolve: (answer: WorkerAnswer) => void;
  readonly reject: (err: Error) => void;
}

/** One sandbox worker holding any number of flows; requests run one at a time. */
export class Sandbox {
  private readonly heapMb: number;
  private readonly ops = new OneAtATime();
  /** The flows loaded, by number: loaded again, in order, into each new worker. */
  private readonly flows = new Map<number, CompiledFlow>();
  /** Flows that failed to load again into a new worker: their logins fail with this. */
  private readonly broken = new Map<number, Error>();
  private worker: Worker | undefined;
  private pulse = new Pulse();
  private watchdog: Watchdog | undefined;
  private current: InFlight | undefined;
  private nextFlow = 0;
  private nextId = 0;
  private closed = false;

  constructor(limits: SandboxLimits = {}) {
    this.heapMb = limits.heapMb ?? SANDBOX_HEAP_MB;
  }

  /** Starts the worker now, so that it boots while the caller does other work (cdktf's synthesis). */
  warm(): void {
    void this.ops.run(() => this.ensureWorker()).catch(() => undefined);
  }

  /** Loads `flow`; throws ActionLoadError when an action can't load (named when the flow has several), SandboxError when the worker stops. */
  load(flow: CompiledFlow): Promise<SandboxedFlow> {
    if (flow.steps.length === 0)
      return Promise.reject(new RangeError("flow: it holds no action; a flow runs at least one"));
    try {
      // Checked here, where a RangeError reaches the caller, rather than in the worker.
      for (const timeoutMs of [flow.timeoutMs, ...flow.steps.map((s) => s.options.timeoutMs)])
        if (timeoutMs !== undefined) checkTimeoutMs(timeoutMs);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new RangeError(String(err)));
    }
    const number = this.nextFlow++;
    return this.ops.run(async () => {
      await this.ensureWorker();
      await this.loadInto(number, flow);
      this.flows.set(number, flow);
      return new SandboxedFlow(this, number, flow);
    });
  }

  /** Runs one login of flow `number`. */
  login(number: number, user: ExportedUser, context: LoginContext): Promise<LoginOutcome> {
    return this.ops.run(async () => {
      const broken = this.broken.get(number);
      if (broken !== undefined) throw broken;
      if (!this.flows.has(number)) throw new Error("this flow is no longer loaded in its sandbox");
      await this.ensureWorker();
      const answer = await this.send({ login: user, flow: number, context });
      if ("failure" in answer) throw new Error(`sandbox worker: ${answer.failure}`);
      if (!("outcome" in answer)) throw new Error("sandbox worker: a login got no outcome");
      return restoreOutcome(answer.outcome);
    });
  }

  /**
   * Resumes a login of flow `number` that a redirect paused, by Auth0's `state` (/continue), on
   * `user` as it is now. Undefined when no login is paused with that state (a new worker since, or
   * an old or made-up state).
   */
  resume(
    number: number,
    stateToken: string,
    user: ExportedUser,
    request: ContinueRequest,
  ): Promise<LoginOutcome | undefined> {
    return this.ops.run(async () => {
      const broken = this.broken.get(number);
      if (broken !== undefined) throw broken;
      if (!this.flows.has(number)) throw new Error("this flow is no longer loaded in its sandbox");
      await this.ensureWorker();
      const answer = await this.send({ resume: stateToken, flow: number, user, request });
      if ("failure" in answer) throw new Error(`sandbox worker: ${answer.failure}`);
      if ("notPaused" in answer) return undefined;
      if (!("outcome" in answer)) throw new Error("sandbox worker: a resumed login got no outcome");
      return restoreOutcome(answer.outcome);
    });
  }

  /** Forgets flow `number` (its module state goes with it). */
  unload(number: number): Promise<void> {
    return this.ops.run(async () => {
      this.flows.delete(number);
      this.broken.delete(number);
      if (this.worker !== undefined) await this.send({ unload: number });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flows.clear();
    await this.stop();
  }

  private async loadInto(number: number, flow: CompiledFlow): Promise<void> {
    const answer = await this.send({ load: flow, flow: number });
    if ("failure" in answer) throw new Error(`sandbox worker: ${answer.failure}`);
    if ("loadError" in answer) {
      throw new ActionLoadError(
        answer.code,
        flow.steps.length > 1 ? `${actionName(flow, answer.step)}: ${answer.loadError}` : answer.loadError,
      );
    }
  }

  /** A worker to send to: a new one gets every flow loaded again, in order. */
  private async ensureWorker(): Promise<void> {
    if (this.closed) throw new Error("the sandbox is closed");
    if (this.worker !== undefined) return;
    this.pulse = new Pulse();
    const data: LoginWorkerData = { kind: LOGINS_KIND, pulse: this.pulse.buffer };
    const worker = (this.worker = startSandboxWorker(data, this.heapMb));
    this.watchdog = new Watchdog(
      this.pulse,
      (phase, flow) => this.limitOf(phase, flow),
      (overrun) => this.overrun(overrun),
    );
    this.watchdog.start();
    worker.on("message", (answer: WorkerAnswer) => {
      const current = this.current;
      if (current === undefined || current.id !== answer.id) return;
      this.current = undefined;
      worker.unref();
      current.resolve(answer);
    });
    worker.on("error", (error) => this.stopped(worker, { error }));
    worker.on("exit", (exitCode) => this.stopped(worker, { exitCode }));
    // An idle sandbox never keeps the process alive; a request in flight does (send()). After the
    // listeners: adding a "message" listener refs the worker's port again.
    worker.unref();
    this.broken.clear();
    for (const [number, flow] of this.flows) {
      try {
        await this.loadInto(number, flow);
      } catch (err) {
        if (!(err instanceof ActionLoadError)) throw err;
        this.broken.set(number, err);
      }
    }
  }

  private send(request: Request): Promise<WorkerAnswer> {
    const worker = this.worker;
    if (worker === undefined) return Promise.reject(new Error("the sandbox worker stopped"));
    return new Promise<WorkerAnswer>((resolve, reject) => {
      const id = this.nextId++;
      this.current = { id, request, resolve, reject };
      worker.ref();
      worker.postMessage({ ...request, id });
    });
  }

  private limitOf(phase: Phase, flow: number): number | undefined {
    const compiled = this.flows.get(flow) ?? this.loading(flow);
    if (compiled === undefined) return undefined;
    const limits = deadlines(compiled);
    return phase === Phase.Loading ? limits.loadMs : phase === Phase.Running ? limits.loginMs : undefined;
  }

  /** The flow the current request is loading as number `flow`, if it is one. */
  private loading(flow: number): CompiledFlow | undefined {
    const request = this.current?.request;
    return request !== undefined && "load" in request && request.flow === flow ? request.load : undefined;
  }

  /**
   * Code past its deadline: the worker is ended. A login fails as Auth0 fails it (timed out); a
   * load fails with ActionLoadError. The next request starts a new worker.
   */
  private overrun(overrun: Overrun): void {
    const current = this.current;
    const flow =
      current?.request !== undefined && "load" in current.request ? current.request.load : this.flows.get(overrun.flow);
    this.current = undefined;
    void this.stop();
    if (current === undefined || flow === undefined) return;
    const request = current.request;
    if (("login" in request || "resume" in request) && overrun.phase === Phase.Running) {
      const names = flow.steps.map((s) => s.name);
      const user = "login" in request ? request.login : request.user;
      current.resolve({
        id: current.id,
        outcome: failedOutcome(user, timedOutReason(names, overrun.step, overrun.limitMs)),
      });
    } else {
      current.reject(
        new ActionLoadError(
          "ERR_ACTION_LOAD",
          `action ${actionName(flow, overrun.step)} did not finish loading within ${overrun.limitMs} ms`,
        ),
      );
    }
  }

  /** A worker that stopped on its own: what it was doing fails, naming the action. */
  private stopped(worker: Worker, cause: { error?: unknown; exitCode?: number }): void {
    if (this.worker !== worker) return;
    const { phase, flow, step } = this.pulse.read();
    const compiled = this.flows.get(flow) ?? this.loading(flow);
    const where = phase === Phase.Idle || compiled === undefined ? "" : ` running action ${actionName(compiled, step)}`;
    const current = this.current;
    this.current = undefined;
    void this.stop();
    current?.reject(
      new SandboxError("ERR_SANDBOX_STOPPED", `the sandbox worker${where} ${stopText(cause, this.heapMb)}`),
    );
  }

  private async stop(): Promise<void> {
    this.watchdog?.stop();
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}

/** A flow loaded in a Sandbox. */
export class SandboxedFlow implements LoginRunner {
  /** Set when this flow has a sandbox of its own (start()), which close() closes. */
  private owned = false;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly number: number,
    readonly flow: CompiledFlow,
  ) {}

  /** Starts a sandbox of its own and loads `flow` in it; throws ActionLoadError when an action can't load. */
  static async start(flow: CompiledFlow, limits?: SandboxLimits): Promise<SandboxedFlow> {
    const sandbox = new Sandbox(limits);
    try {
      const loaded = await sandbox.load(flow);
      loaded.owned = true;
      return loaded;
    } catch (err) {
      await sandbox.close();
      throw err;
    }
  }

  /** The flow's actions' names, in order. */
  get names(): string[] {
    return this.flow.steps.map((s) => s.name);
  }

  /** Runs one login; a timed-out one fails as Auth0 fails it. Rejects with SandboxError when the worker stops, ActionLoadError when the flow could not be loaded again after that. */
  login(user: ExportedUser, context: LoginContext = {}): Promise<LoginOutcome> {
    return this.sandbox.login(this.number, user, context);
  }

  /** Resumes a login a redirect paused (Sandbox.resume). */
  resume(stateToken: string, user: ExportedUser, request: ContinueRequest): Promise<LoginOutcome | undefined> {
    return this.sandbox.resume(this.number, stateToken, user, request);
  }

  async close(): Promise<void> {
    if (this.owned) await this.sandbox.close();
    else await this.sandbox.unload(this.number);
  }
}
