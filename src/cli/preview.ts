// `npm run preview -- [--env NAME] [--namespace URL] [--code FILE] (--user FILE | --users FILE) [--json] [--compare BASE] ...`
// Runs the environment's compiled action over users, as Auth0 would, and shows the tokens they get;
// with --compare BASE, runs another version too and shows which users' tokens change, and how.
// Exit: 0 every login succeeds (compare: always, unless --fail-on-change), 1 some login would be
// denied (compare --fail-on-change: some user's tokens change), 2 bad input (and nothing written).
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { FileHandle, open } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import "./stdout-closed";
import { readCommandLine, runCommand } from "./command-line";
import { escapeControl, quote, UsageError } from "../errors";
import { BaseAction, readBaseAction } from "../preview/base-action";
import { compareMarkdown, compareReport, countsJson, emptyCounts, mergeCounts } from "../preview/compare";
import { compileEnvironmentFlow, EnvironmentAction, EnvironmentActionOptions, loadCompiledEnvironment } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import { PreviewSummary } from "../preview/report";
import { baseRuntimeOptions, BatchResult, isPreviewWorker, serveBatches, WorkerPool, WorkerSetup } from "../preview/workers";
import { ActionLoadError, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, PostLoginRuntime } from "../runtime/post-login-runtime";

/** Up to this many users, the human output shows each one before the summary. */
const DETAIL_LIMIT = 10;
/** NDJSON bytes per batch sent to a worker, and batches in flight per worker: what bounds memory. */
const BATCH_BYTES = 256 * 1024;
const USERS_PER_BATCH = 1000;
const IN_FLIGHT_PER_WORKER = 4;
/** An input smaller than this runs on one worker: starting more costs more than they save. */
const SMALL_INPUT_BYTES = 1 << 20;
const MAX_WORKERS = 64;

const USAGE =
  "usage: npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--audience URL] [--timeout-ms N] (--user FILE | --users FILE) [--json] [--stats] [--workers N]\n" +
  "                          [--compare BASE [--base-namespace URL] [--markdown] [--fail-on-change]] [--summary-json FILE]";
const COMMAND = {
  name: "preview",
  usage: [
    USAGE,
    "Runs the environment's compiled action over users, as Auth0 would. Exit: 0 every login succeeds, 1 some denied, 2 bad input.",
    "  --env NAME            environment (default: the first in src/environments.ts)",
    "  --namespace URL       claim namespace (default: the environment's)",
    "  --code FILE           run this compiled action instead of the environment's (e.g. the dashboard's)",
    "  --audience URL        the API audience the login asks for (an Auth0 API refuses non-namespaced access-token claims)",
    "  --timeout-ms N        deny a login that takes longer (default 20000, Auth0's limit)",
    "  --user FILE           one user (JSON object)",
    "  --users FILE          an export: JSON array or NDJSON, optionally gzipped",
    "  --json                one JSON object per user on stdout (with --compare: per user whose result changes)",
    "  --stats               users per second and peak memory on stderr",
    "  --workers N           worker threads (default: the number of cores; 1 for an input under 1 MiB)",
    "  --compare BASE        compare with another version: a compiled action file or a cdk.tf.json (npm run synth);",
    "                        shows per claim the users who gain it, lose it or get another value; exit 0",
    "  --base-namespace URL  the namespace BASE runs with (default: the stack's variable default, or --namespace's)",
    "  --markdown            with --compare: a short Markdown table for a pull-request comment",
    "  --fail-on-change      with --compare: exit 1 when any user's tokens change",
    "  --summary-json FILE   write the counts as JSON to FILE",
    "  -h, --help            this text",
  ].join("\n"),
  options: {
    env: { type: "string" },
    namespace: { type: "string" },
    code: { type: "string" },
    audience: { type: "string" },
    user: { type: "string" },
    users: { type: "string" },
    json: { type: "boolean", default: false },
    stats: { type: "boolean", default: false },
    "timeout-ms": { type: "string" },
    workers: { type: "string" },
    compare: { type: "string" },
    "base-namespace": { type: "string" },
    markdown: { type: "boolean", default: false },
    "fail-on-change": { type: "boolean", default: false },
    "summary-json": { type: "string" },
  },
} as const;

async function main(): Promise<number> {
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  if ((values.user === undefined) === (values.users === undefined)) {
    throw new InputError(`give exactly one of --user FILE (one user) or --users FILE (an export)\n${USAGE}`);
  }
  const timeoutMs = values["timeout-ms"] === undefined ? DEFAULT_TIMEOUT_MS : Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InputError(`--timeout-ms: "${values["timeout-ms"]}" is not a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
  }
  const comparing = values.compare !== undefined;
  for (const flag of ["markdown", "fail-on-change", "base-namespace"] as const) {
    if (!comparing && values[flag] !== undefined && values[flag] !== false) throw new InputError(`--${flag} goes with --compare BASE; add --compare or drop --${flag}`);
  }
  if (values.json && values.markdown) throw new InputError("--json and --markdown: choose one output");
  let workers: number | undefined;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new InputError(`--workers: ${quote(values.workers)} is not a whole number from 1 to ${MAX_WORKERS}`);
  }

  const file = (values.user ?? values.users) as string;
  const users = await UserFile.open(file);
  const runtime = { timeoutMs, audience: values.audience };
  const head: EnvironmentActionOptions = { env: values.env, namespace: values.namespace, codeFile: values.code, runtime };
  // Compiled once here; the workers load these bytes without compiling again.
  const compiled = compileEnvironmentFlow(head);
  let action: EnvironmentAction | undefined;
  try {
    action = loadCompiledEnvironment(compiled);
  } catch (err) {
    if (!(err instanceof ActionLoadError)) throw err;
    if (!comparing) {
      console.error(`preview: every login would be denied: ${escapeControl(err.message)}`);
      return 1;
    }
    // Compared, an action that can't load is a result: every login newly denied. The workers say so.
    action = undefined;
  }
  const headNamespace = compiled.namespace;
  let base: BaseAction | undefined;
  let setup: WorkerSetup = { head: compiled.flow, json: values.json, details: values.json || comparing ? 0 : DETAIL_LIMIT, audience: values.audience };
  if (comparing) {
    base = readBaseAction(values.compare as string, values["base-namespace"], headNamespace);
    const options = baseRuntimeOptions(base, runtime);
    try {
      PostLoginRuntime.load(options);
    } catch (err) {
      if (!(err instanceof ActionLoadError)) throw err;
      throw new UsageError(`--compare: ${quote(base.source)}: ${err.message}; give a compiled action (JavaScript) or a cdk.tf.json from npm run synth`);
    }
    setup = { ...setup, base: options };
  }

  // Output goes to a temporary file and reaches stdout only once every user has been read, so bad
  // input found on line 90,000 leaves stdout empty.
  const started = process.hrtime.bigint();
  const spool = values.json ? Spool.create() : undefined;
  const size = workers ?? (statSync(file).size < SMALL_INPUT_BYTES ? 1 : availableParallelism());
  const summary = new PreviewSummary();
  const counts = emptyCounts();
  const details: string[] = [];
  let pool: WorkerPool | undefined;
  let progress: Progress | undefined;
  try {
    pool = await WorkerPool.start(size, setup, spool && Array.from({ length: size }, (_, i) => spool.file(i)));
    const document = users.documentUsers;
    const raw = document ? undefined : users.rawBatches(BATCH_BYTES);
    progress = Progress.start(comparing ? "compare" : "preview", () => (raw ? raw.read() : summary.users / (document?.length ?? 1)), () => (comparing ? counts.users : summary.users));
    const inFlight: Promise<BatchResult>[] = [];
    let lines = 0;
    const take = async (result: BatchResult) => {
      if (result.error) throw new InputError(`${file}:${lines + result.error.line}: ${result.error.problem}`);
      lines += result.lines;
      if (result.compare) mergeCounts(counts, result.compare);
      if (result.preview) summary.merge(result.preview);
      for (const d of result.details) if (details.length < DETAIL_LIMIT) details.push(d);
      if (values.user !== undefined && summary.users + counts.users > 1) throw new InputError(`--user: ${file} holds more than one user; use --users`);
      spool?.add(result);
    };
    const send = async (batch: Parameters<WorkerPool["run"]>[0]) => {
      inFlight.push((pool as WorkerPool).run(batch));
      if (inFlight.length >= size * IN_FLIGHT_PER_WORKER) await take(await (inFlight.shift() as Promise<BatchResult>));
    };
    if (document) for (let i = 0; i < document.length; i += USERS_PER_BATCH) await send({ users: document.slice(i, i + USERS_PER_BATCH) });
    else for await (const bytes of (raw as NonNullable<typeof raw>).batches) await send({ bytes });
    while (inFlight.length > 0) await take(await (inFlight.shift() as Promise<BatchResult>));
    progress?.stop();
    const exit = comparing ? (values["fail-on-change"] && counts.changedUsers > 0 ? 1 : 0) : summary.denied > 0 ? 1 : 0;
    if (values["summary-json"] !== undefined) writeSummary(values["summary-json"], comparing ? countsJson(counts) : summary.toJson());
    // Set now: if the reader closes the pipe early (| head), the process ends during the copy.
    process.exitCode = exit;
    if (spool) await spool.copyTo(process.stdout);
  } finally {
    progress?.stop();
    spool?.remove();
    await pool?.close();
  }

  const total = comparing ? counts.users : summary.users;
  const env = action?.environment.name ?? values.env ?? "(default)";
  if (comparing && !values.json) {
    const after = `environment ${env}, namespace ${headNamespace}, action ${action?.source ?? values.code ?? "(fails to load)"}`;
    const baseText = `${base?.source}, namespace ${base?.namespace}`;
    const text = values.markdown
      ? compareMarkdown(counts, `Claims: what changes for whom (${escapeControl(env)}, ${total} user(s) of ${escapeControl(file)})`)
      : compareReport(counts, [`compare: ${total} user(s) from ${file}`, `  before: ${baseText}`, `  after:  ${after}`].map(escapeControl).join("\n"));
    process.stdout.write(text + "\n");
  } else if (!comparing && !values.json) {
    const lines = [escapeControl(`preview: environment ${env}, namespace ${headNamespace}, action ${action?.source}, ${summary.users} user(s) from ${file}`), ""];
    if (summary.users <= DETAIL_LIMIT) lines.push(...details.map((d) => d + "\n"));
    if (values.users !== undefined) lines.push(summary.toString());
    process.stdout.write(lines.join("\n") + "\n");
  }
  if (values.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = process.resourceUsage().maxRSS * 1024;
    console.error(`stats: ${total} users in ${seconds.toFixed(3)} s (${Math.round(total / seconds)} users/s) on ${size} worker(s), peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
  }
  return process.exitCode as number;
}

function writeSummary(path: string, json: string): void {
  try {
    writeFileSync(path, json);
  } catch (err) {
    throw new UsageError(`--summary-json: ${quote(path)}: can't write it (${(err as NodeJS.ErrnoException).code}); check the folder exists and is writable`);
  }
}

/** Users done, users/s and the time left, on one line of stderr, redrawn; only when stderr is a terminal. */
class Progress {
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly label: string,
    private readonly fraction: () => number,
    private readonly done: () => number,
  ) {
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  static start(label: string, fraction: () => number, done: () => number): Progress | undefined {
    return process.stderr.isTTY ? new Progress(label, fraction, done) : undefined;
  }

  private draw(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const users = this.done();
    const f = this.fraction();
    const eta = users > 0 && f > 0 && f < 1 ? `, about ${Math.ceil((seconds * (1 - f)) / f)} s left` : "";
    process.stderr.write(`\r\x1b[K${this.label}: ${users.toLocaleString("en-US")} users, ${Math.round(users / Math.max(seconds, 0.001)).toLocaleString("en-US")} users/s${eta}`);
  }

  stop(): void {
    clearInterval(this.timer);
    process.stderr.write("\r\x1b[K");
  }
}

/**
 * JSON lines held in temporary files (one per worker, which writes its batches there) until the run
 * is known to be good; the main thread records where each batch is, in input order, then copies.
 */
class Spool {
  /** [worker, offset, length] of each batch's lines, in input order; adjacent ranges merged. */
  private readonly ranges: [number, number, number][] = [];

  private constructor(private readonly dir: string) {
    // Also when the process ends early (a closed pipe exits from inside the copy), or is interrupted.
    process.once("exit", () => this.remove());
    for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) process.once(signal, () => process.exit(code));
  }

  /** A spool in TMPDIR; a TMPDIR that can't be written is bad input (exit 2), said in one line. */
  static create(): Spool {
    try {
      return new Spool(mkdtempSync(join(tmpdir(), "claims-preview-")));
    } catch (err) {
      throw new UsageError(
        `TMPDIR: can't create a folder in ${quote(tmpdir())} (${(err as NodeJS.ErrnoException).code}); --json output waits there until the whole input is read: set TMPDIR to a writable folder, e.g. TMPDIR=/tmp`,
      );
    }
  }

  /** The file worker `index` writes to. */
  file(index: number): string {
    return join(this.dir, `worker-${index}.ndjson`);
  }

  add(result: BatchResult): void {
    if (result.spoolError !== undefined) {
      throw new UsageError(`TMPDIR: writing in ${quote(this.dir)} failed (${result.spoolError}); set TMPDIR to a folder with room, e.g. TMPDIR=/tmp`);
    }
    const range = result.spooled;
    if (!range) return;
    const last = this.ranges[this.ranges.length - 1];
    if (last && last[0] === range.worker && last[1] + last[2] === range.offset) last[2] += range.length;
    else this.ranges.push([range.worker, range.offset, range.length]);
  }

  async copyTo(target: NodeJS.WritableStream): Promise<void> {
    const files = new Map<number, FileHandle>();
    const buffer = Buffer.allocUnsafe(1 << 20);
    try {
      for (const [worker, offset, length] of this.ranges) {
        let file = files.get(worker);
        if (!file) files.set(worker, (file = await open(this.file(worker), "r")));
        for (let at = 0; at < length; ) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, length - at), offset + at);
          if (bytesRead === 0) throw new Error(`spool file ${this.file(worker)} is shorter than written`);
          // The buffer is reused: wait until the target is done with it.
          await new Promise<void>((resolve, reject) => target.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())));
          at += bytesRead;
        }
      }
    } finally {
      for (const file of files.values()) await file.close();
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// The same bundle serves as the worker threads' script: a worker answers batches instead of running main.
// An unforeseen failure exits 2, as bad input does, so it is never mistaken for "some login denied" (1).
if (isPreviewWorker()) serveBatches();
else runCommand(COMMAND.name, main, 2);
