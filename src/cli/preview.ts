// `npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--audience URL] (--user FILE | --users FILE) [--json] [--stats]`
// Runs the environment's compiled action over users, as Auth0 would, and shows the tokens they get.
// Exit: 0 every login succeeds, 1 some login would be denied, 2 bad input (and nothing written).
import { createReadStream, mkdtempSync, rmSync, WriteStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import "./stdout-closed";
import { readCommandLine, runCommand } from "./command-line";
import { loadEnvironmentAction } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import { describeOutcome, outcomeJson, PreviewSummary } from "../preview/report";
import { ActionLoadError, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS } from "../runtime/post-login-runtime";

/** Up to this many users, the human output shows each one before the summary. */
const DETAIL_LIMIT = 10;
const USAGE = "usage: npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--audience URL] [--timeout-ms N] (--user FILE | --users FILE) [--json] [--stats]";
const COMMAND = {
  name: "preview",
  usage: [
    USAGE,
    "Runs the environment's compiled action over users, as Auth0 would. Exit: 0 every login succeeds, 1 some denied, 2 bad input.",
    "  --env NAME        environment (default: the first in src/environments.ts)",
    "  --namespace URL   claim namespace (default: the environment's)",
    "  --code FILE       run this compiled action instead of the environment's (e.g. the dashboard's)",
    "  --audience URL    the API audience the login asks for (an Auth0 API refuses non-namespaced access-token claims)",
    "  --timeout-ms N    deny a login that takes longer (default 20000, Auth0's limit)",
    "  --user FILE       one user (JSON object)",
    "  --users FILE      an export: JSON array or NDJSON, optionally gzipped",
    "  --json            one JSON object per user on stdout",
    "  --stats           users per second and peak memory on stderr",
    "  -h, --help        this text",
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
  },
} as const;

async function main(): Promise<number> {
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  if ((values.user === undefined) === (values.users === undefined)) {
    throw new InputError(`give exactly one of --user FILE (one user) or --users FILE (an export); ${USAGE}`);
  }
  const timeoutMs = values["timeout-ms"] === undefined ? DEFAULT_TIMEOUT_MS : Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InputError(`--timeout-ms: "${values["timeout-ms"]}" is not a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}`);
  }

  const file = (values.user ?? values.users) as string;
  const users = await UserFile.open(file);
  let action;
  try {
    action = loadEnvironmentAction({ env: values.env, namespace: values.namespace, codeFile: values.code, runtime: { timeoutMs, audience: values.audience } });
  } catch (err) {
    if (!(err instanceof ActionLoadError)) throw err;
    console.error(`preview: every login would be denied: ${err.message}`);
    return 1;
  }

  // Output goes to a temporary file and reaches stdout only once every user has been read, so bad
  // input found on line 90,000 leaves stdout empty.
  const started = process.hrtime.bigint();
  const spool = values.json ? new Spool() : undefined;
  const summary = new PreviewSummary();
  const details: string[] = [];
  try {
    for await (const batch of users.users()) {
      for (const { user } of batch) {
        if (values.user !== undefined && summary.users === 1) throw new InputError(`--user: ${file} holds more than one user; use --users`);
        const outcome = await action.runtime.login(user);
        summary.add(outcome);
        if (spool) await spool.write(outcomeJson(outcome) + "\n");
        else if (summary.users <= DETAIL_LIMIT) details.push(describeOutcome(outcome, typeof user.email === "string" ? user.email : undefined, values.audience));
      }
    }
    // Set now: if the reader closes the pipe early (| head), the process ends during the copy.
    process.exitCode = summary.denied > 0 ? 1 : 0;
    if (spool) await spool.copyTo(process.stdout);
  } finally {
    spool?.remove();
  }
  if (!values.json) {
    const lines = [`preview: environment ${action.environment.name}, namespace ${action.namespace}, action ${action.source}, ${summary.users} user(s) from ${file}`, ""];
    if (summary.users <= DETAIL_LIMIT) lines.push(...details.map((d) => d + "\n"));
    if (values.users !== undefined) lines.push(summary.toString());
    process.stdout.write(lines.join("\n") + "\n");
  }
  if (values.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = process.resourceUsage().maxRSS * 1024;
    console.error(`stats: ${summary.users} users in ${seconds.toFixed(3)} s (${Math.round(summary.users / seconds)} users/s), peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
  }
  return summary.denied > 0 ? 1 : 0;
}

/** JSON lines held in a temporary file until the run is known to be good. */
class Spool {
  private readonly dir = mkdtempSync(join(tmpdir(), "claims-preview-"));
  private readonly path = join(this.dir, "out.ndjson");
  private readonly out: WriteStream = createWriteStream(this.path);
  private buffer = "";

  constructor() {
    // Also when the process ends early (a closed pipe exits from inside the copy).
    process.once("exit", () => this.remove());
  }

  async write(text: string): Promise<void> {
    this.buffer += text;
    if (this.buffer.length < 1 << 16) return;
    const chunk = this.buffer;
    this.buffer = "";
    if (!this.out.write(chunk)) await once(this.out, "drain");
  }

  async copyTo(target: NodeJS.WritableStream): Promise<void> {
    this.out.end(this.buffer);
    await once(this.out, "finish");
    await pipeline(createReadStream(this.path), target, { end: false });
  }

  remove(): void {
    this.out.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// An unforeseen failure exits 2, as bad input does, so it is never mistaken for "some login denied" (1).
runCommand(COMMAND.name, main, 2);
