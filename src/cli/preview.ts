// `npm run preview`: the CLI (src/preview/run.ts), and the worker threads' script too: started as a
// preview worker, this same bundle answers batches of users instead (src/preview/workers.ts).
import "./stdout-closed";
import { isPreviewWorker, serveBatches } from "../preview/workers";
import { runPreview } from "../preview/run";

if (isPreviewWorker()) serveBatches();
else {
  void runPreview(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, exitKnown: (code) => (process.exitCode = code) }).then((code) => {
    process.exitCode = code;
  });
}
