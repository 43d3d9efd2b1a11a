// The sandbox worker thread's entry, bundled on its own (src/compile/sandbox-bundle.ts): locks the
// realm down before anything else of the bundle is evaluated, then serves what the host started it
// for: flows' logins one at a time (src/sandbox/host.ts), the preview's batches (src/preview/workers.ts)
// or the benchmark's handler figures (src/cli/bench.ts). docs/sandbox.md says what the sandbox guarantees.
import "../sandbox/lockdown";
import { workerData } from "node:worker_threads";
import { LOGINS_KIND, serveLogins } from "../sandbox/login-worker";
import { PREVIEW_KIND, serveBatches } from "../preview/batch-worker";
import { BENCH_KIND, serveBench } from "../sandbox/bench-worker";

// An action that leaves a rejected promise unhandled (a fetch it never awaited) must not end the
// worker: the login it belonged to has its outcome already, or gets it from its own handler.
process.on("unhandledRejection", () => undefined);

const kind = (workerData as { kind?: unknown } | null)?.kind;
if (kind === LOGINS_KIND) serveLogins();
else if (kind === PREVIEW_KIND) serveBatches();
else if (kind === BENCH_KIND) serveBench();
else
  throw new Error(
    `sandbox-worker: started for ${String(kind)}; it serves ${LOGINS_KIND}, ${PREVIEW_KIND} and ${BENCH_KIND} only`,
  );
