// `npm run bench`'s handler figures, measured where actions run: in a sandbox worker (the host side
// is src/cli/bench.ts). Loads one action and times its handler alone, then whole logins.
import { parentPort, workerData } from "node:worker_threads";
import { loadCompiledFlow } from "../runtime/compiled-flow";
import { PostLoginRuntime, type PostLoginRuntimeOptions } from "../runtime/post-login-runtime";
import type { ExportedUser } from "../runtime/types";

export const BENCH_KIND = "claims-sandbox-bench";

export interface BenchWorkerData {
  readonly kind: typeof BENCH_KIND;
  readonly action: PostLoginRuntimeOptions;
  readonly user: ExportedUser;
}

/** Microseconds per call of each batch, warm-up batches included (the host drops them). */
export interface BenchFigures {
  readonly handler: number[];
  readonly login: number[];
}

export function serveBench(): void {
  const { action, user } = workerData as BenchWorkerData;
  void measure(action, user).then((figures) => parentPort!.postMessage(figures));
}

async function measure(action: PostLoginRuntimeOptions, user: ExportedUser): Promise<BenchFigures> {
  const runtime = PostLoginRuntime.load(action);
  const event = { user, secrets: action.secrets ?? {} };
  const sink = { setCustomClaim: () => undefined };
  const api = { idToken: sink, accessToken: sink };
  const batch = 1000;
  const handler: number[] = [];
  for (let b = 0; b < 300; b++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await runtime.handler(event, api);
    handler.push(Number(process.hrtime.bigint() - started) / 1e3 / batch);
  }
  // A whole login as preview and the local tenant run one: a flow of this one action.
  const flow = loadCompiledFlow({ steps: [{ name: "bench", source: "bench", code: action.code, options: action }] });
  const login: number[] = [];
  for (let b = 0; b < 50; b++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) await flow.loginNow(user);
    login.push(Number(process.hrtime.bigint() - started) / 1e3 / batch);
  }
  return { handler, login };
}
