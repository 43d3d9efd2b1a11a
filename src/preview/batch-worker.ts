// The worker side of the preview (the host side is workers.ts): in a sandbox worker thread, loads
// the flow under review (and, with --compare, the one compared with) once, then takes batches of users
// (raw NDJSON bytes, or parsed users of a JSON document), runs each user's logins in order, appends the
// batch's JSON lines to its own spool file and sends back where they are, with the batch's counts. It
// tells the pulse which login and action run, so the host can end one that never yields.
import { closeSync, openSync, statSync, writeFileSync, writeSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { ActionLoadError } from "../errors";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { FlowRuntime } from "../runtime/flow-runtime";
import { failedOutcome } from "../runtime/outcome";
import type { ExportedUser, LoginContext, LoginOutcome } from "../runtime/types";
import type { RunContext } from "../runtime/event";
import { loadUnderPulse } from "../sandbox/login-worker";
import { Secrets } from "../scrub";
import { Pulse } from "../sandbox/pulse";
import { endedLines, LineProblem, userOfLine, withoutCr } from "../users/user-file";
import { type CompareCounts, compareOutcomes, emptyCounts } from "./compare";
import { describeOutcome, outcomeJson, PreviewSummary } from "./report";

export const PREVIEW_KIND = "claims-preview-batches";
/** The pulse's flow numbers: the flow under review, and the one it is compared with. */
export const HEAD = 0;
export const BASE = 1;

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
  /** The secret values the flows were given (--secrets-file, TF_VAR_): never written, whatever an action does with them. */
  readonly secretValues?: readonly string[];
}

/** A worker's own start: the setup, its pulse, its spool file (appended to when it replaces a worker that was ended). */
export interface BatchWorkerData {
  readonly kind: typeof PREVIEW_KIND;
  readonly setup: WorkerSetup;
  readonly pulse: SharedArrayBuffer;
  readonly spool?: string;
  readonly append?: boolean;
  /** Set when the head's load ran past its deadline in an earlier worker: not loaded again, every login fails with this. */
  readonly headError?: string;
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

/** A user of a batch whose login of one flow the host ended (its worker stuck past the deadline). */
export interface Overran {
  /** The user's place in the batch, from 0. */
  readonly index: number;
  readonly flow: number;
  readonly step: number;
}

export interface Task {
  readonly id: number;
  readonly bytes?: Uint8Array;
  readonly users?: readonly ExportedUser[];
  /** Logins of this batch that an earlier worker never finished: they fail as timed out, without running again. */
  readonly overran?: readonly Overran[];
}

/** What a worker says once its flows are loaded: the head's load failure (every login denied) if any. */
export type ReadyMessage =
  | { readonly ready: true; readonly headError?: string }
  | {
      readonly loadError: string;
      readonly code: ActionLoadError["code"];
      readonly flow: number;
      readonly step: number;
    };

/** A flow as the worker runs it: one login at a time, as its batches run in turn (FlowRuntime.loginNow). */
interface Runtime {
  loginNow(user: ExportedUser, context?: LoginContext): LoginOutcome | Promise<LoginOutcome>;
  timedOutOutcome(user: ExportedUser, step: number): LoginOutcome;
}

/** The head runs last on each parsed user, which nothing reads after it: its last action may take the user's nested values. */
const LAST_USE_CONTEXT: RunContext = { lastUse: true };

/** A flow that failed to load: Auth0 would fail every login, with this reason. */
class UnloadableFlow implements Runtime {
  constructor(private readonly reason: string) {}
  loginNow(user: ExportedUser): LoginOutcome {
    return failedOutcome(user, this.reason);
  }
  timedOutOutcome(user: ExportedUser): LoginOutcome {
    return failedOutcome(user, this.reason);
  }
}

/**
 * Bytes decoded into one string at a time, at most: a longer string lands in V8's large-object space,
 * one mmap'd page run each, which made decoding 256 KiB batches whole far slower than in pieces
 * (docs/measured.md#figures-behind-the-code).
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
    for (let from = 0; from < buffer.length;) {
      let to = from + DECODE_BYTES >= buffer.length ? buffer.length : buffer.indexOf(10, from + DECODE_BYTES - 1) + 1;
      if (to === 0) to = buffer.length;
      const text = buffer.toString("utf8", from, to);
      from = to;
      const lines: string[] = [];
      const rest = endedLines(text, lines);
      // Only the batch's last piece may end without a "\n".
      if (rest < text.length) lines.push(withoutCr(text.slice(rest)));
      for (const line of lines) {
        const n = ++this.lines;
        let user: ExportedUser | undefined;
        try {
          user = userOfLine(line);
        } catch (err) {
          if (!(err instanceof LineProblem)) throw err;
          this.error = { line: n, problem: err.problem };
          return;
        }
        if (user !== undefined) yield user;
      }
    }
  }
}

/**
 * A worker's spool file: batches appended in the order the worker ran them. Each line is encoded as
 * it comes into one reused buffer: joining a batch's lines first made a string of hundreds of KiB
 * (large-object space, flattened before encoding), which cost far more than the encoding (docs/measured.md#figures-behind-the-code).
 */
class WorkerSpool {
  private offset = 0;
  private buffer = Buffer.allocUnsafe(1024 * 1024);
  /**
   * The buffer's bytes, for the "\n" after each line: in the locked-down realm V8 stores into a
   * typed array's elements far slower than through a DataView (Object.prototype is frozen).
   */
  private view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  private length = 0;

  /** Starts the file afresh, or (`append`) after what an earlier worker on it wrote. */
  constructor(
    private readonly path: string,
    append: boolean,
  ) {
    if (append) this.offset = statSync(path).size;
    else writeFileSync(path, "");
  }

  /** Adds one line (without its "\n") to the batch being written. */
  line(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const most = text.length * 3 + 1;
    if (this.length + most > this.buffer.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + most));
      this.buffer.copy(larger, 0, 0, this.length);
      this.buffer = larger;
      this.view = new DataView(larger.buffer, larger.byteOffset, larger.byteLength);
    }
    this.length += this.buffer.write(text, this.length, "utf8");
    this.view.setUint8(this.length++, 10);
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
      for (let at = 0; at < length;) at += writeSync(fd, this.buffer, at, length - at, this.offset + at);
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

/** One login of `flow` for the user at `index`: run under the pulse, or failed as timed out if an earlier worker was ended there. */
function login(
  runtime: Runtime,
  pulse: Pulse,
  flow: number,
  user: ExportedUser,
  index: number,
  overran: readonly Overran[] | undefined,
  context?: LoginContext,
): LoginOutcome | Promise<LoginOutcome> {
  if (overran !== undefined) {
    for (const o of overran) if (o.index === index && o.flow === flow) return runtime.timedOutOutcome(user, o.step);
  }
  pulse.login(flow, index);
  return runtime.loginNow(user, context);
}

/** Runs one batch: each user through head (and base), in order. Batches run one after another (serveBatches), so logins never overlap. */
async function runBatch(
  setup: WorkerSetup,
  head: Runtime,
  base: Runtime | undefined,
  task: Task,
  spool: WorkerSpool | undefined,
  pulse: Pulse,
  secrets: Secrets | undefined,
): Promise<BatchResult> {
  const parsed = task.bytes ? new BatchUsers(task.bytes) : undefined;
  const users: Iterable<ExportedUser> = parsed ?? task.users ?? [];
  const details: string[] = [];
  const spooled = setup.json ? spool : undefined;
  // Only a flow given secret values pays for looking for them.
  const out = spooled && secrets ? { line: (text: string) => spooled.line(secrets.scrubValues(text)) } : spooled;
  const overran = task.overran;
  let count = 0;
  const done = () => {
    pulse.idle();
    return { lines: parsed?.lines ?? 0, users: count, ...spool?.flush(), details, error: parsed?.error };
  };
  if (base) {
    const counts = emptyCounts();
    for (const user of users) {
      const index = count++;
      // A login whose actions returned no promise costs no await (async actions always return one).
      let before = login(base, pulse, BASE, user, index, overran);
      if (before instanceof Promise) before = await before;
      let after = login(head, pulse, HEAD, user, index, overran, LAST_USE_CONTEXT);
      if (after instanceof Promise) after = await after;
      const line = compareOutcomes(before, after, counts);
      if (line !== undefined) out?.line(line);
    }
    return { ...done(), compare: counts };
  }
  const summary = new PreviewSummary();
  for (const user of users) {
    const index = count++;
    let outcome = login(head, pulse, HEAD, user, index, overran, LAST_USE_CONTEXT);
    if (outcome instanceof Promise) outcome = await outcome;
    summary.add(outcome);
    if (out) out.line(outcomeJson(outcome));
    else if (details.length < setup.details) {
      const text = describeOutcome(outcome, typeof user.email === "string" ? user.email : undefined, setup.audience);
      details.push(secrets ? secrets.scrubValues(text) : text);
    }
  }
  return { ...done(), preview: summary };
}

/**
 * The worker's side: load the flows under the pulse, say ready (or which action of the base can't
 * load), then answer each batch in turn.
 */
export function serveBatches(): void {
  const { setup, pulse: buffer, spool: spoolPath, append, headError: knownError } = workerData as BatchWorkerData;
  const pulse = new Pulse(buffer);
  const port = parentPort!;
  let head: Runtime;
  let headError = knownError;
  try {
    head = headError === undefined ? loadUnderPulse(setup.head, pulse, HEAD) : new UnloadableFlow(headError);
  } catch (err) {
    if (!(err instanceof ActionLoadError)) throw err;
    const step = pulse.read().step;
    headError = setup.head.steps.length > 1 ? `${setup.head.steps[step]?.name}: ${err.message}` : err.message;
    head = new UnloadableFlow(headError);
  }
  let base: FlowRuntime | undefined;
  try {
    base = setup.base ? loadUnderPulse(setup.base, pulse, BASE) : undefined;
  } catch (err) {
    if (!(err instanceof ActionLoadError)) throw err;
    port.postMessage({
      loadError: err.message,
      code: err.code,
      flow: BASE,
      step: pulse.read().step,
    } satisfies ReadyMessage);
    return;
  }
  pulse.idle();
  const spool = spoolPath === undefined ? undefined : new WorkerSpool(spoolPath, append === true);
  const secrets = previewSecrets(setup.secretValues);
  let queue = Promise.resolve();
  port.on("message", (task: Task) => {
    queue = queue.then(async () => {
      port.postMessage({ id: task.id, result: await runBatch(setup, head, base, task, spool, pulse, secrets) });
    });
  });
  port.postMessage({ ready: true, headError } satisfies ReadyMessage);
}

/** What keeps the given secret values out of the preview's output; undefined when there are none. */
export function previewSecrets(values: readonly string[] | undefined): Secrets | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const secrets = new Secrets();
  secrets.add(...values);
  return secrets;
}
