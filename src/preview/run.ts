// `npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--secrets-file FILE] (--user FILE | --users FILE) [--json] [--compare BASE] ...`
// Runs the environment's compiled action over users, as Auth0 would, and shows the tokens they get;
// with --compare BASE, runs another version too and shows which users' tokens change, and how.
// Exit: 0 every login succeeds (compare: always, unless --fail-on-change), 1 some login would be
// denied (compare --fail-on-change: some user's tokens change), 2 bad input (and nothing written).
import { statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { commandExit, readCommandLine } from "../command-line";
import { errorJson, escapeControl, quote, UsageError } from "../errors";
import { type BaseAction, baseFlow, readBaseAction } from "./base-action";
import { type CompareCounts, compareMarkdown, compareReport, countsJson, emptyCounts, mergeCounts } from "./compare";
import { Progress } from "./progress";
import { Spool } from "./spool";
import {
  compileEnvironmentFlow,
  type CompiledEnvironment,
  type EnvironmentActionOptions,
} from "../environment/load-action";
import { flowText } from "../flow/model";
import { fetchOrigins } from "../flow/compile";
import { secretValues } from "../flow/secrets";
import { UserFile } from "../users/user-file";
import { PreviewSummary } from "./report";
import { type BatchResult, WorkerPool, type WorkerSetup } from "./workers";
import { previewSecrets } from "./batch-worker";
import { DEFAULT_TIMEOUT_MS, isTimerMs, MAX_TIMEOUT_MS } from "../runtime/timeout";

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
  "usage: npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--secrets-file FILE] [--allow-fetch ORIGIN]... [--audience URL]\n" +
  "                          [--timeout-ms N] (--user FILE | --users FILE) [--json] [--stats] [--workers N]\n" +
  "                          [--compare BASE [--base-namespace URL] [--markdown] [--fail-on-change]] [--summary-json FILE]";
const COMMAND = {
  name: "preview",
  usage: [
    USAGE,
    "Runs the environment's compiled action over users, as Auth0 would. Exit: 0 every login succeeds, 1 some denied, 2 bad input.",
    "  --env NAME            environment (default: the first in src/environments.ts)",
    "  --namespace URL       claim namespace (default: the environment's)",
    "  --code FILE           run this compiled action instead of the environment's (e.g. the dashboard's)",
    "  --secrets-file FILE   the actions' secrets (the head's and BASE's): dotenv lines TF_VAR_<variable>=VALUE, as the deploy",
    "                        reads them (default: the TF_VAR_<variable> environment variables; CLAIM_NAMESPACE is the namespace)",
    "  --allow-fetch ORIGIN  let the actions' fetch reach ORIGIN (scheme://host[:port]; repeatable), e.g. a local mock of",
    "                        your roles API; every other call is refused (default: none)",
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
    "  --fail-on-change      with --compare: exit 1 when any user's result changes (tokens, writes, scope, redirect, MFA)",
    "  --summary-json FILE   write the counts as JSON to FILE",
    "  -h, --help            this text",
  ].join("\n"),
  options: {
    env: { type: "string" },
    namespace: { type: "string" },
    code: { type: "string" },
    "secrets-file": { type: "string" },
    "allow-fetch": { type: "string", multiple: true },
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

type Values = NonNullable<ReturnType<typeof readCommandLine<typeof COMMAND.options>>>;

/** Where a preview writes, and how it runs its workers: the process's own, or a test's (in one process). */
export interface PreviewIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Told the exit code before --json output is copied out, since a reader that closes the pipe (| head) ends the process during the copy. */
  readonly exitKnown?: (code: number) => void;
  /** Where TF_VAR_<variable> secrets are read from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** The whole CLI on `argv`: the exit code; output and failures on `io`. */
export function runPreview(argv: string[], io: PreviewIo): Promise<number> {
  // An unforeseen failure exits 2, as bad input does, so it is never mistaken for "some login denied" (1).
  // With --json a failure is said as JSON too, on stderr: stdout holds only the users' lines.
  return commandExit(COMMAND.name, () => main(argv, io), {
    unexpected: 2,
    stderr: io.stderr,
    json: argv.includes("--json"),
  });
}

async function main(argv: string[], io: PreviewIo): Promise<number> {
  const values = readCommandLine(COMMAND, argv, io.stdout);
  if (!values) return 0;
  const { timeoutMs, workers } = checkFlags(values);
  const comparing = values.compare !== undefined;
  const file = (values.user ?? values.users) as string;
  const users = await UserFile.open(file);
  const loaded = compileActions(values, timeoutMs, io.env ?? process.env);

  const started = process.hrtime.bigint();
  // Always sandbox worker threads, even for one user: the only place action code runs (docs/sandbox.md).
  // A flow that keeps values in api.cache sees the users in input order, as one Auth0 instance would:
  // one worker, so the result is the same whatever --workers says.
  const cached = usesCache(loaded.setup);
  if (cached && workers !== undefined && workers > 1)
    io.stderr.write("preview: the flow uses api.cache, which logins share in input order: it runs on one worker\n");
  const size = cached ? 1 : (workers ?? (statSync(file).size < SMALL_INPUT_BYTES ? 1 : availableParallelism()));
  const run = await runBatches(values, users, loaded, size, io);
  if (run === undefined) return 1;
  if (!values.json) io.stdout.write(scrubbed(loaded, report(values, loaded, run)) + "\n");
  if (values.stats) {
    const total = comparing ? run.counts.users : run.summary.users;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = process.resourceUsage().maxRSS * 1024;
    io.stderr.write(
      `stats: ${total} users in ${seconds.toFixed(3)} s (${Math.round(total / seconds)} users/s) on ${size} worker(s), peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB\n`,
    );
  }
  return run.exit;
}

/** The flags that go together, and the numbers in range; throws UsageError naming the flag. */
function checkFlags(values: Values): { timeoutMs: number; workers?: number } {
  if ((values.user === undefined) === (values.users === undefined)) {
    throw new UsageError("ERR_USAGE", `give exactly one of --user FILE (one user) or --users FILE (an export)`, {
      detail: USAGE,
    });
  }
  // Digits only: Number() also takes "0x2", "1e1", "+2", "2.0" and " 2", none of which is what was meant.
  const wholeNumber = (text: string) => (/^[0-9]+$/.test(text) ? Number(text) : NaN);
  const timeoutMs = values["timeout-ms"] === undefined ? DEFAULT_TIMEOUT_MS : wholeNumber(values["timeout-ms"]);
  if (!isTimerMs(timeoutMs)) {
    throw new UsageError(
      "ERR_USAGE",
      `--timeout-ms: ${quote(values["timeout-ms"])} is not a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`,
    );
  }
  for (const flag of ["markdown", "fail-on-change", "base-namespace"] as const) {
    if (values.compare === undefined && values[flag] !== undefined && values[flag] !== false)
      throw new UsageError("ERR_USAGE", `--${flag} goes with --compare BASE; add --compare or drop --${flag}`);
  }
  if (values.json && values.markdown) throw new UsageError("ERR_USAGE", "--json and --markdown: choose one output");
  if (values.workers === undefined) return { timeoutMs };
  const workers = wholeNumber(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS)
    throw new UsageError(
      "ERR_USAGE",
      `--workers: ${quote(values.workers)} is not a whole number from 1 to ${MAX_WORKERS}`,
    );
  return { timeoutMs, workers };
}

/** The action(s) to run, compiled once here; only the sandbox workers load them (workers.ts). */
interface Loaded {
  /** The environment's flow, compiled. */
  readonly compiled: CompiledEnvironment;
  readonly headNamespace: string;
  readonly base?: BaseAction;
  readonly setup: WorkerSetup;
  /** Why the head can't load, once the workers tried: every login is then denied. */
  headError?: string;
}

/** Compiles the head (and with --compare reads the base); nothing is loaded or run here. */
function compileActions(values: Values, timeoutMs: number, env: NodeJS.ProcessEnv): Loaded {
  const comparing = values.compare !== undefined;
  const runtime = { timeoutMs, audience: values.audience, allowFetch: fetchOrigins(values["allow-fetch"]) };
  const secrets = secretValues(values["secrets-file"], env);
  const head: EnvironmentActionOptions = {
    env: values.env,
    namespace: values.namespace,
    codeFile: values.code,
    secrets,
    runtime,
  };
  const compiled = compileEnvironmentFlow(head);
  const headNamespace = compiled.namespace;
  const setup: WorkerSetup = {
    head: compiled.compiled,
    json: values.json,
    details: values.json || comparing ? 0 : DETAIL_LIMIT,
    audience: values.audience,
  };
  if (!comparing) return { compiled, headNamespace, setup: { ...setup, secretValues: [...secrets.used] } };
  const base = readBaseAction(values.compare, values["base-namespace"], headNamespace, secrets);
  return {
    compiled,
    headNamespace,
    base,
    setup: { ...setup, base: baseFlow(base, runtime), secretValues: [...secrets.used] },
  };
}

interface Run {
  readonly summary: PreviewSummary;
  readonly counts: CompareCounts;
  readonly details: string[];
  exit: number;
}

/**
 * Sends the users to the workers in batches, a fixed number in flight, and records the results in
 * input order. Output goes to a spool and reaches stdout only once every user has been read, so bad
 * input found on line 90,000 leaves stdout empty. Sets the exit code.
 */
async function runBatches(
  values: Values,
  users: UserFile,
  loaded: Loaded,
  size: number,
  io: PreviewIo,
): Promise<Run | undefined> {
  const comparing = values.compare !== undefined;
  const { setup } = loaded;
  const file = users.file;
  const spool = values.json ? Spool.create() : undefined;
  const run: Run = { summary: new PreviewSummary(), counts: emptyCounts(), details: [], exit: 0 };
  const { summary, counts, details } = run;
  let pool: WorkerPool | undefined;
  let progress: Progress | undefined;
  try {
    const started = await WorkerPool.start(size, setup, spool && Array.from({ length: size }, (_, i) => spool.file(i)));
    pool = started.pool;
    loaded.headError = started.headError;
    if (loaded.headError !== undefined && !comparing) {
      // Compared, an action that can't load is a result: every login newly denied. Alone, it is the answer.
      const said = `every login would be denied: ${loaded.headError}`;
      io.stderr.write(
        scrubbed(
          loaded,
          values.json
            ? errorJson(COMMAND.name, "ERR_EVERY_LOGIN_DENIED", 1, said) + "\n"
            : `preview: ${escapeControl(said)}\n`,
        ),
      );
      return undefined;
    }
    const document = users.documentUsers;
    const raw = document ? undefined : users.rawBatches(BATCH_BYTES);
    progress = Progress.start(
      io.stderr,
      comparing ? "compare" : "preview",
      () => (raw ? raw.read() : summary.users / (document?.length ?? 1)),
      () => (comparing ? counts.users : summary.users),
    );
    const inFlight: Promise<BatchResult>[] = [];
    let lines = 0;
    const take = async (result: BatchResult) => {
      if (result.error)
        throw new UsageError("ERR_INPUT_INVALID", `${file}:${lines + result.error.line}: ${result.error.problem}`);
      lines += result.lines;
      if (result.compare) mergeCounts(counts, result.compare);
      if (result.preview) summary.merge(result.preview);
      for (const d of result.details) if (details.length < DETAIL_LIMIT) details.push(d);
      if (values.user !== undefined && summary.users + counts.users > 1)
        throw new UsageError("ERR_INPUT_INVALID", `--user: ${file} holds more than one user; use --users`);
      spool?.add(result);
    };
    const send = async (batch: Parameters<WorkerPool["run"]>[0]) => {
      inFlight.push((pool as WorkerPool).run(batch));
      if (inFlight.length >= size * IN_FLIGHT_PER_WORKER) await take(await (inFlight.shift() as Promise<BatchResult>));
    };
    if (document)
      for (let i = 0; i < document.length; i += USERS_PER_BATCH)
        await send({ users: document.slice(i, i + USERS_PER_BATCH) });
    else for await (const bytes of (raw as NonNullable<typeof raw>).batches) await send({ bytes });
    while (inFlight.length > 0) await take(await (inFlight.shift() as Promise<BatchResult>));
    progress?.stop();
    run.exit = comparing ? (values["fail-on-change"] && counts.changedUsers > 0 ? 1 : 0) : summary.denied > 0 ? 1 : 0;
    if (values["summary-json"] !== undefined)
      writeSummary(values["summary-json"], comparing ? countsJson(counts) : summary.toJson());
    io.exitKnown?.(run.exit);
    if (spool) await spool.copyTo(io.stdout);
  } finally {
    progress?.stop();
    spool?.remove();
    await pool?.close();
  }
  return run;
}

/** The human report (not --json): the comparison, or each of a few users and the summary. */
function report(values: Values, loaded: Loaded, run: Run): string {
  const { compiled, headNamespace, base } = loaded;
  const action = loaded.headError === undefined ? compiled : undefined;
  const file = (values.user ?? values.users) as string;
  const env = compiled.environment.name;
  if (values.compare !== undefined) {
    const total = run.counts.users;
    const after = `environment ${env}, namespace ${headNamespace}, ${action ? flowText(action.flow) : `action ${values.code ?? "(fails to load)"}`}`;
    const baseText = `${base?.source}, namespace ${base?.namespace}`;
    return values.markdown
      ? compareMarkdown(
          run.counts,
          `Claims: what changes for whom (${escapeControl(env)}, ${total} user(s) of ${escapeControl(file)})`,
        )
      : compareReport(
          run.counts,
          [`compare: ${total} user(s) from ${file}`, `  before: ${baseText}`, `  after:  ${after}`]
            .map(escapeControl)
            .join("\n"),
        );
  }
  const { summary, details } = run;
  const lines = [
    escapeControl(
      `preview: environment ${env}, namespace ${headNamespace}, ${action ? flowText(action.flow) : "action (fails to load)"}, ${summary.users} user(s) from ${file}`,
    ),
    "",
  ];
  if (summary.users <= DETAIL_LIMIT) lines.push(...details.map((d) => d + "\n"));
  if (values.users !== undefined) lines.push(summary.toString());
  return lines.join("\n");
}

/** Whether an action of the flow (or BASE's) may use api.cache: its code names `cache` (a word). */
function usesCache(setup: WorkerSetup): boolean {
  return [...setup.head.steps, ...(setup.base?.steps ?? [])].some((step) => /\bcache\b/.test(step.code));
}

/** `text` without the secret values the flows were given (the workers scrub what they write). */
function scrubbed(loaded: Loaded, text: string): string {
  return previewSecrets(loaded.setup.secretValues)?.scrubValues(text) ?? text;
}

function writeSummary(path: string, json: string): void {
  try {
    writeFileSync(path, json);
  } catch (err) {
    throw new UsageError(
      "ERR_OUTPUT_FILE",
      `--summary-json: ${quote(path)}: can't write it (${(err as NodeJS.ErrnoException).code}); check the folder exists and is writable`,
    );
  }
}
