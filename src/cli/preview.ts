// `npm run preview`: the CLI (src/preview/run.ts). The actions run in sandbox worker threads
// (src/cli/sandbox-worker.ts), never in this process.
import "./stdout-closed";
import { runPreview } from "../preview/run";

// Interrupted, the process still ends through process.exit, with the status a shell expects, so the
// "exit" listeners run: the --json spool in TMPDIR is removed (src/preview/spool.ts).
for (const [signal, status] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)
  process.once(signal, () => process.exit(status));

void runPreview(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  exitKnown: (code) => (process.exitCode = code),
}).then((code) => {
  process.exitCode = code;
});
