// `npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--audience URL] (--user FILE | --users FILE) [--json] [--stats]`
// Runs the environment's compiled action over users, as Auth0 would, and shows the tokens they get.
// Exit: 0 every login succeeds, 1 some login would be denied, 2 bad input (nothing written).
import { parseArgs } from "node:util";
import { loadEnvironmentAction } from "../preview/environment-action";
import { InputError, UserFile } from "../preview/read-users";
import { describeOutcome, outcomeJson, PreviewSummary } from "../preview/report";
import { ActionLoadError, DEFAULT_TIMEOUT_MS } from "../runtime/post-login-runtime";

/** Up to this many users, the human output shows each one before the summary. */
const DETAIL_LIMIT = 10;
const USAGE = "usage: npm run preview -- [--env NAME] [--namespace URL] [--code FILE] [--audience URL] (--user FILE | --users FILE) [--json] [--stats]";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
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
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new InputError(`${(err as Error).message}; ${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((values.user === undefined) === (values.users === undefined)) {
    throw new InputError(`give exactly one of --user FILE (one user) or --users FILE (an export); ${USAGE}`);
  }
  const timeoutMs = values["timeout-ms"] === undefined ? DEFAULT_TIMEOUT_MS : Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new InputError(`--timeout-ms: "${values["timeout-ms"]}" is not a positive integer`);

  const file = (values.user ?? values.users) as string;
  const users = await UserFile.open(file);
  if (values.user !== undefined && users.count !== 1) {
    throw new InputError(`--user: ${file} holds ${users.count} users; use --users for more than one`);
  }
  let action;
  try {
    action = loadEnvironmentAction({ env: values.env, namespace: values.namespace, codeFile: values.code, runtime: { timeoutMs, audience: values.audience } });
  } catch (err) {
    if (!(err instanceof ActionLoadError)) throw err;
    console.error(`preview: every login would be denied: ${err.message}`);
    return 1;
  }

  const started = process.hrtime.bigint();
  const summary = new PreviewSummary();
  const out = process.stdout;
  let buffer = "";
  const flush = async () => {
    if (buffer !== "" && !out.write(buffer)) await new Promise((resolve) => out.once("drain", resolve));
    buffer = "";
  };
  if (!values.json) {
    console.log(`preview: environment ${action.environment.name}, namespace ${action.namespace}, action ${action.source}, ${users.count} user(s) from ${file}\n`);
  }
  for await (const { user } of users.users()) {
    const outcome = await action.runtime.login(user);
    summary.add(outcome);
    if (values.json) {
      buffer += outcomeJson(outcome) + "\n";
      if (buffer.length > 1 << 16) await flush();
    } else if (users.count <= DETAIL_LIMIT) {
      buffer += describeOutcome(outcome, typeof user.email === "string" ? user.email : undefined, values.audience) + "\n\n";
    }
  }
  if (!values.json && values.users !== undefined) buffer += summary.toString() + "\n";
  await flush();
  if (values.stats) {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = process.resourceUsage().maxRSS * 1024;
    console.error(`stats: ${summary.users} users in ${seconds.toFixed(3)} s (${Math.round(summary.users / seconds)} users/s), peak RSS ${(rss / 2 ** 20).toFixed(1)} MiB`);
  }
  return summary.denied > 0 ? 1 : 0;
}

// `npm run preview ... | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof InputError) {
      console.error(`preview: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 2;
    }
  },
);
