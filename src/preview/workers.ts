// Preview and compare on every core, the host side (the worker side is batch-worker.ts): sandbox
// worker threads each load the flow(s) once, then take batches of users and append the batch's JSON
// lines to their own spool file. The main thread only reads the file and records results in input
// order, with a fixed number of batches in flight, so memory stays flat and the output is the same
// for any worker count. A watchdog per worker ends one stuck past the login deadline: that login
// fails as timed out, a new worker takes over (appending to the same spool) and the worker's
// unfinished batches are sent again. A worker that stops otherwise fails the run, naming the action.
import type { Worker } from "node:worker_threads";
import { ActionLoadError, quote, SandboxError } from "../errors";
import type { ExportedUser } from "../runtime/types";
import { actionName, deadlines, SANDBOX_HEAP_MB, startSandboxWorker, stopText } from "../sandbox/host";
import { Phase, Pulse } from "../sandbox/pulse";
import { type Overrun, Watchdog } from "../sandbox/watchdog";
import {
  BASE,
  type BatchResult,
  type BatchWorkerData,
  type Overran,
  PREVIEW_KIND,
  type ReadyMessage,
  type Task,
  type WorkerSetup,
} from "./batch-worker";

export type { BatchResult, WorkerSetup } from "./batch-worker";

interface Pending {
  readonly task: Task;
  readonly resolve: (result: BatchResult) => void;
  readonly reject: (err: Error) => void;
}

/** One worker of the pool, replaced when its watchdog ends it. */
interface Slot {
  readonly index: number;
  worker?: Worker;
  pulse: Pulse;
  watchdog?: Watchdog;
  /** Batches sent to this worker and not answered yet, in the order sent (the worker runs them in that order). */
  readonly queue: Pending[];
  /** Batches sent to the worker being replaced: sent to the new one once it is ready. */
  waiting: boolean;
}

export interface PoolLimits {
  /** A worker's heap in MiB. @default SANDBOX_HEAP_MB */
  readonly heapMb?: number;
}

/**
 * Sandbox worker threads, each given `setup`. `run` sends a batch to the least busy worker; results
 * come back as promises, which the caller awaits in input order.
 */
export class WorkerPool {
  private readonly slots: Slot[];
  private nextId = 0;
  private failure?: Error;
  private closed = false;
  /** Set when the head's load ran past its deadline: replacement workers don't load it again. */
  private headError?: string;
  private readonly timeoutMs: number;
  private readonly loadMs: number;
  private readonly heapMb: number;

  private constructor(
    size: number,
    private readonly setup: WorkerSetup,
    private readonly spools: readonly string[] | undefined,
    limits: PoolLimits,
  ) {
    // The head's limits: the base is compiled with the same --timeout-ms.
    ({ loginMs: this.timeoutMs, loadMs: this.loadMs } = deadlines(setup.head));
    this.heapMb = limits.heapMb ?? SANDBOX_HEAP_MB;
    this.slots = Array.from({ length: size }, (_, index) => ({ index, pulse: new Pulse(), queue: [], waiting: false }));
  }

  /**
   * Starts `size` workers and waits until each has loaded its flows. With `spools` (one path per
   * worker), each appends its JSON lines to its own file. `headError` is why the head can't load
   * (every login then fails with it); an action of the base that can't load throws ActionLoadError.
   */
  static async start(
    size: number,
    setup: WorkerSetup,
    spools?: readonly string[],
    limits: PoolLimits = {},
  ): Promise<{ pool: WorkerPool; headError?: string }> {
    const pool = new WorkerPool(size, setup, spools, limits);
    try {
      let headError: string | undefined;
      for (const ready of await Promise.all(pool.slots.map((slot) => pool.boot(slot, false)))) headError ??= ready;
      return { pool, headError: headError ?? pool.headError };
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sends one batch (raw NDJSON bytes, transferred, or users) to the least busy worker. */
  run(batch: { bytes: Uint8Array } | { users: readonly ExportedUser[] }): Promise<BatchResult> {
    if (this.failure) return Promise.reject(this.failure);
    let slot = this.slots[0];
    for (const s of this.slots) if (s.queue.length < slot.queue.length) slot = s;
    const task: Task = { id: this.nextId++, ...batch };
    const result = new Promise<BatchResult>((resolve, reject) => slot.queue.push({ task, resolve, reject }));
    // A batch whose result is never awaited (the run stopped at an earlier bad line) must not crash the process.
    result.catch(() => undefined);
    if (!slot.waiting) this.send(slot, task);
    return result;
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the worker pool is closed");
    this.closed = true;
    for (const slot of this.slots) slot.queue.length = 0;
    await Promise.all(this.slots.map((slot) => this.stop(slot)));
  }

  /** Copied, not transferred: a batch is sent again if its worker is replaced. */
  private send(slot: Slot, task: Task): void {
    slot.worker?.postMessage(task);
  }

  /**
   * Starts slot's worker and resolves once its flows are loaded, with the head's load failure if
   * any; `append`: it replaces a worker ended by its watchdog, so it appends to the same spool.
   */
  private boot(slot: Slot, append: boolean): Promise<string | undefined> {
    const pulse = (slot.pulse = new Pulse());
    const data: BatchWorkerData = {
      kind: PREVIEW_KIND,
      setup: this.setup,
      pulse: pulse.buffer,
      spool: this.spools?.[slot.index],
      append,
      headError: this.headError,
    };
    const worker = (slot.worker = startSandboxWorker(data, this.heapMb));
    return new Promise<string | undefined>((resolve, reject) => {
      let ready = false;
      const deadline = (phase: Phase) => (phase === Phase.Loading ? this.loadMs : this.timeoutMs);
      slot.watchdog = new Watchdog(pulse, deadline, (overrun) => {
        if (ready) return this.replace(slot, overrun);
        void this.stop(slot);
        if (overrun.flow === BASE)
          return reject(
            this.baseError(overrun.step, "ERR_ACTION_LOAD", `did not finish loading within ${overrun.limitMs} ms`),
          );
        this.headError ??= `action ${actionName(this.setup.head, overrun.step)} did not finish loading within ${overrun.limitMs} ms`;
        this.boot(slot, append).then(resolve, reject);
      });
      slot.watchdog.start();
      worker.on("message", (message: ReadyMessage | { id: number; result: BatchResult }) => {
        if ("ready" in message) {
          ready = true;
          resolve(message.headError);
        } else if ("loadError" in message) {
          void this.stop(slot);
          reject(this.baseError(message.step, message.code, message.loadError));
        } else this.answer(slot, message.id, message.result);
      });
      worker.on("error", (error) =>
        ready ? this.fail(this.stopped(slot, { error })) : reject(this.stopped(slot, { error })),
      );
      // Any exit not asked for fails the run, exit 0 too: its batches would otherwise wait forever.
      worker.on("exit", (exitCode) => {
        if (slot.worker !== worker) return;
        const err = this.stopped(slot, { exitCode });
        if (ready) this.fail(err);
        else reject(err);
      });
    });
  }

  private answer(slot: Slot, id: number, result: BatchResult): void {
    const first = slot.queue[0];
    if (first === undefined || first.task.id !== id) return;
    slot.queue.shift();
    const { spooled } = result;
    first.resolve(spooled ? { ...result, spooled: { ...spooled, worker: slot.index } } : result);
  }

  /**
   * The worker of `slot` ran a login past its deadline: end it, fail that login as timed out and
   * send the worker's unanswered batches to a new one, in order.
   */
  private replace(slot: Slot, overrun: Overrun): void {
    const current = slot.queue[0];
    if (current === undefined || overrun.phase !== Phase.Running) return;
    const overran: Overran = { index: overrun.index, flow: overrun.flow, step: overrun.step };
    slot.queue[0] = { ...current, task: { ...current.task, overran: [...(current.task.overran ?? []), overran] } };
    slot.waiting = true;
    void this.stop(slot)
      .then(() => this.boot(slot, true))
      .then(() => {
        slot.waiting = false;
        for (const pending of slot.queue) this.send(slot, pending.task);
      })
      .catch((err: Error) => this.fail(err));
  }

  /** An action of the version compared with can't load: bad input, since nothing can be compared with it. */
  private baseError(step: number, code: ActionLoadError["code"], problem: string): ActionLoadError {
    const source = this.setup.base?.steps[step]?.source ?? `action ${step + 1}`;
    return new ActionLoadError(
      code,
      `--compare: ${quote(source)}: ${problem}; give a compiled action (JavaScript) or a cdk.tf.json from npm run synth`,
    );
  }

  /** The error for a worker that stopped on its own, naming the action it was running or loading. */
  private stopped(slot: Slot, cause: { error?: unknown; exitCode?: number }): SandboxError {
    const { phase, flow, step } = slot.pulse.read();
    const which = flow === BASE && this.setup.base ? this.setup.base : this.setup.head;
    const label = this.setup.base
      ? flow === BASE
        ? " (the version compared with)"
        : " (the version under review)"
      : "";
    const where = phase === Phase.Idle ? "" : ` running action ${actionName(which, step)}${label}`;
    return new SandboxError(
      "ERR_SANDBOX_STOPPED",
      `a preview worker${where} ${stopText(cause, this.heapMb)}; the run is incomplete`,
    );
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.failure ??= err;
    for (const slot of this.slots) {
      for (const pending of slot.queue) pending.reject(this.failure);
      slot.queue.length = 0;
    }
  }

  private async stop(slot: Slot): Promise<void> {
    slot.watchdog?.stop();
    const worker = slot.worker;
    slot.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }
}
