// Preview and compare on every core: worker threads each load the action(s) once, then take batches
// of users (raw NDJSON bytes, or parsed users of a JSON document), append the batch's JSON lines to
// their own spool file and send back where they are, with the batch's counts. The main thread only
// reads the file and records results in input order, with a fixed number of batches in flight, so
// memory stays flat and the output is the same for any worker count.
import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { ActionLoadError } from "../errors";
import { failedOutcome } from "../runtime/outcome";
import { ExportedUser, LoginContext, LoginOutcome } from "../runtime/types";
import { CompareCounts, compareOutcomes, emptyCounts } from "./compare";
import { CompiledFlow, loadCompiledFlow } from "../environment/load-action";
import { jsonProblem, userProblem } from "../users/user-file";
import { describeOutcome, outcomeJson, PreviewSummary } from "./report";

const KIND = "claims-preview-worker";

/** What every worker is started with: serializable, so each builds the same runtimes itself. */
export interface WorkerSetup {
  /** The flow under review, compiled once by the main thread (compileEnvironmentFlow). */
  readonly head: CompiledFlow;
  /** The other version, for --compare: its whole flow, loaded like the head's. */
  readonly base?: CompiledFlow;
  /** One JSON line per user (preview) or per changed user (compare), else counts and details only. */
  readonly json: boolean;
  /** How many users of each batch to describe in full, for the human report. */
  readonly details: number;
  readonly audience?: string;
}

export interface BatchResult {
  /** Lines in the batch (NDJSON), so the main thread can number the lines of later batches. */
  readonly lines: number;
  readonly users: number;
  /** Where the batch's JSON lines are in the worker's spool file (set by the pool: which worker). */
  readonly spooled?: { readonly worker: number; readonly offset: number; readonly length: number };
  readonly preview?: PreviewSummary;
  readonly compare?: CompareCounts;
  readonly details: string[];
  /** The first bad line of the batch: its number within the batch and what is wrong. */
  readonly error?: { readonly line: number; readonly problem: string };
  /** The spool file could not be written. */
  readonly spoolError?: string;
}

type Task = { readonly id: number; readonly bytes?: Uint8Array; readonly users?: readonly ExportedUser[] };

/** A flow as the worker runs it: one login at a time, as its batches run in turn (FlowRuntime.loginNow). */
interface Runtime {
  loginNow(user: ExportedUser, context?: LoginContext): LoginOutcome | Promise<LoginOutcome>;
}

/** The head runs last on each parsed user, which nothing reads after it: its last action may take the user's nested values. */
const LAST_USE: LoginContext = { lastUse: true };

/** A flow that failed to load: Auth0 would fail every login, with this reason. */
class UnloadableFlow implements Runtime {
  constructor(private readonly reason: string) {}
  loginNow(user: ExportedUser): LoginOutcome {
    return failedOutcome(user, this.reason);
  }
}

/** The head flow, loaded; one that can't load denies every login. */
export function loadHead(flow: CompiledFlow): Runtime {
  try {
    return loadCompiledFlow(flow);
  } catch (err) {
    if (err instanceof ActionLoadError) return new UnloadableFlow(err.message);
    throw err;
  }
}

/**
 * Bytes decoded into one string at a time, at most: a longer string lands in V8's large-object space,
 * one mmap'd page run each, which made decoding 256 KiB batches whole ten times slower than in pieces.
 */
const DECODE_BYTES = 32 * 1024;

/**
 * The users of a batch of NDJSON bytes, parsed one at a time as they are taken, so each user is
 * garbage once its logins are done instead of the whole batch staying alive (less garbage collection
 * and a lower peak; see docs/preview.md). After the last: `lines`, and the first bad line as `error`
 * (iteration stops there). Decoded in pieces that end after a "\n" (a byte no UTF-8 sequence contains, after which
 * the decoder starts afresh), so the text is the same as decoding the batch whole.
 */
export class BatchUsers implements Iterable<ExportedUser> {
  lines = 0;
  error?: BatchResult["error"];

  constructor(private readonly bytes: Uint8Array) {}

  *[Symbol.iterator](): Iterator<ExportedUser> {
    const buffer = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    for (let from = 0; from < buffer.length; ) {
      let to = from + DECODE_BYTES >= buffer.length ? buffer.length : buffer.indexOf(10, from + DECODE_BYTES - 1) + 1;
      if (to === 0) to = buffer.length;
      const text = buffer.toString("utf8", from, to);
      from = to;
      let start = 0;
      while (start < text.length) {
        let end = text.indexOf("\n", start);
        if (end === -1) end = text.length;
        const n = ++this.lines;
        let line = text.slice(start, end);
        start = end + 1;
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === "")) continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          this.error = { line: n, problem: jsonProblem(err) };
          return;
        }
        const problem = userProblem(value);
        if (problem !== undefined) {
          this.error = { line: n, problem };
          return;
        }
        yield value as ExportedUser;
      }
    }
  }
}

/**
 * A worker's spool file: batches appended in the order the worker ran them. Each line is encoded as
 * it comes into one reused buffer: joining a batch's lines first made a string of hundreds of KiB
 * (large-object space, flattened before encoding), which cost 30 times more than the encoding.
 */
class WorkerSpool {
  private offset = 0;
  private buffer = Buffer.allocUnsafe(1024 * 1024);
  private length = 0;

  constructor(private readonly path: string) {
    writeFileSync(path, "");
  }

  /** Adds one line (without its "\n") to the batch being written. */
  line(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = text.length * 3 + 1;
    if (this.length + most > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + most));
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
    }
    this.length += this.buffer.write(text, this.length, "utf8");
    this.buffer[this.length++] = 10;
  }

  /** Writes the batch's lines to the file; says where they are. */
  flush(): Pick<BatchResult, "spooled" | "spoolError"> {
    const length = this.length;
    this.length = 0;
    if (length === 0) return {};
    // Opened per batch (a few µs against the batch's milliseconds), so no descriptor outlives the
    // run: a worker is terminated without a word, and its descriptors belong to the whole process.
    let fd: number | undefined;
    try {
      fd = openSync(this.path, "r+");
      for (let at = 0; at < length; ) at += writeSync(fd, this.buffer, at, length - at, this.offset + at);
    } catch (err) {
      return { spoolError: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    const spooled = { worker: -1, offset: this.offset, length };
    this.offset += length;
    return { spooled };
  }
}

const owns = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;

/** Runs one batch: each user through head (and base), in order. Batches run one after another (serveBatches), so logins never overlap. */
async function runBatch(setup: WorkerSetup, head: Runtime, base: Runtime | undefined, task: Task, spool: WorkerSpool | undefined): Promise<BatchResult> {
  const parsed = task.bytes ? new BatchUsers(task.bytes) : undefined;
  const users: Iterable<ExportedUser> = parsed ?? task.users ?? [];
  const details: string[] = [];
  const out = setup.json ? spool : undefined;
  let count = 0;
  const done = () => ({ lines: parsed?.lines ?? 0, users: count, ...spool?.flush(), details, error: parsed?.error });
  if (base) {
    const counts = emptyCounts();
    for (const user of users) {
      count++;
      // A login whose actions returned no promise costs no await (async actions always return one).
      let before = base.loginNow(user);
      if (before instanceof Promise) before = await before;
      let after = head.loginNow(user, LAST_USE);
      if (after instanceof Promise) after = await after;
      const line = compareOutcomes(before, after, counts);
      if (line !== undefined) out?.line(line);
    }
    return { ...done(), compare: counts };
  }
  const summary = new PreviewSummary();
  for (const user of users) {
    count++;
    let outcome = head.loginNow(user, LAST_USE);
    if (outcome instanceof Promise) outcome = await outcome;
    summary.add(outcome);
    if (out) out.line(outcomeJson(outcome));
    else if (details.length < setup.details) details.push(describeOutcome(outcome, typeof user.email === "string" ? user.email : undefined, setup.audience));
  }
  return { ...done(), preview: summary };
}

/** True in a thread started by WorkerPool: the CLI's bundle then serves batches instead of running main. */
export function isPreviewWorker(): boolean {
  return !isMainThread && (workerData as { kind?: unknown } | null)?.kind === KIND;
}

/** The worker's side: load the runtimes, say ready, then answer each batch. */
export function serveBatches(): void {
  const { setup, spool: spoolPath } = workerData as { setup: WorkerSetup; spool?: string };
  const spool = spoolPath === undefined ? undefined : new WorkerSpool(spoolPath);
  const port = parentPort!;
  const head = loadHead(setup.head);
  const base = setup.base ? loadCompiledFlow(setup.base) : undefined;
  let queue = Promise.resolve();
  port.on("message", (task: Task) => {
    queue = queue.then(async () => {
      port.postMessage({ id: task.id, result: await runBatch(setup, head, base, task, spool) });
    });
  });
  port.postMessage({ ready: true });
}

interface Pending {
  readonly resolve: (result: BatchResult) => void;
  readonly reject: (err: Error) => void;
}

/**
 * Worker threads running this same script (the CLI's bundle), each given `setup`. `run` sends a batch
 * to the least busy worker; results come back as promises, which the caller awaits in input order.
 */
export class WorkerPool {
  private readonly pending = new Map<number, Pending>();
  private readonly load: number[];
  private readonly owner = new Map<number, number>();
  private nextId = 0;
  private failure?: Error;
  private closed = false;

  private constructor(private readonly workers: Worker[]) {
    this.load = workers.map(() => 0);
    workers.forEach((worker, index) => {
      worker.on("message", (message: { id: number; result: BatchResult }) => {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        this.owner.delete(message.id);
        this.load[index]--;
        const { spooled } = message.result;
        pending.resolve(spooled ? { ...message.result, spooled: { ...spooled, worker: index } } : message.result);
      });
      worker.on("error", (err) => this.fail(err));
      // Any exit before close() fails the run, exit 0 too: its batches would otherwise wait forever.
      worker.on("exit", (code) => this.fail(new Error(`a preview worker stopped (exit ${code}) before the run ended`)));
    });
  }

  /**
   * Starts `size` workers on `script` (default: this bundle) and waits until each has loaded its
   * runtimes. With `spools` (one path per worker), each appends its JSON lines to its own file.
   */
  static async start(size: number, setup: WorkerSetup, spools?: readonly string[], script: string = __filename): Promise<WorkerPool> {
    if (script.endsWith(".ts")) throw new Error(`worker threads need the bundled CLI (node scripts/run-ts.mjs src/cli/preview.ts), not ${script}`);
    const workers = Array.from({ length: size }, (_, i) => new Worker(script, { workerData: { kind: KIND, setup, spool: spools?.[i] }, stdout: false, stderr: false }));
    const ready = workers.map(
      (worker) =>
        new Promise<void>((resolve, reject) => {
          const onExit = (code: number) => reject(new Error(`a preview worker stopped (exit ${code}) while loading the action`));
          const onMessage = (m: { ready?: boolean }) => {
            if (m.ready) {
              worker.off("message", onMessage);
              worker.off("error", reject);
              worker.off("exit", onExit);
              resolve();
            }
          };
          worker.on("message", onMessage);
          worker.once("error", reject);
          worker.once("exit", onExit);
        }),
    );
    try {
      await Promise.all(ready);
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new WorkerPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Sends one batch (raw NDJSON bytes, transferred, or users) to the least busy worker. */
  run(batch: { bytes: Uint8Array } | { users: readonly ExportedUser[] }): Promise<BatchResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    let index = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i] < this.load[index]) index = i;
    this.load[index]++;
    this.owner.set(id, index);
    const result = new Promise<BatchResult>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // A batch whose result is never awaited (the run stopped at an earlier bad line) must not crash the process.
    result.catch(() => undefined);
    const transfer = "bytes" in batch && owns(batch.bytes) ? [batch.bytes.buffer as ArrayBuffer] : [];
    this.workers[index].postMessage({ id, ...batch }, transfer);
    return result;
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.failure ??= err;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }

  async close(): Promise<void> {
    this.failure ??= new Error("the worker pool is closed");
    this.closed = true;
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
