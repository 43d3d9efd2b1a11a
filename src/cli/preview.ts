// `npm run preview`: the CLI (src/preview/run.ts). The actions run in sandbox worker threads
// (src/cli/sandbox-worker.ts), never in this process.
import "./stdout-closed";
import { runPreview } from "../preview/run";

void runPreview(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, exitKnown: (code) => (process.exitCode = code) }).then((code) => {
  process.exitCode = code;
});
