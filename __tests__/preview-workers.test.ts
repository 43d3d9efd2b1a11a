// The worker pool when a worker ends on its own, exit 0 included: the run fails at once with a
// reason instead of waiting forever for the batches that worker held.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerPool, WorkerSetup } from "../src/preview/workers";

const dir = mkdtempSync(join(tmpdir(), "claims-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A worker script: says ready (or not), then exits 0 on the first batch. */
function script(name: string, ready: boolean): string {
  const path = join(dir, name);
  writeFileSync(path, `const { parentPort } = require("node:worker_threads");\n${ready ? "parentPort.postMessage({ ready: true });\nparentPort.on(\"message\", () => process.exit(0));\n" : "process.exit(0);\n"}`);
  return path;
}
// The scripts above read nothing of it.
const setup = { json: false, details: 0 } as unknown as WorkerSetup;

test("a worker that exits 0 while it holds a batch fails the run, naming the exit", async () => {
  const pool = await WorkerPool.start(1, setup, undefined, script("exits-on-batch.cjs", true));
  try {
    await expect(pool.run({ users: [{ user_id: "auth0|1" }] })).rejects.toThrow("a preview worker stopped (exit 0) before the run ended");
  } finally {
    await pool.close();
  }
});

test("a worker that exits 0 before it is ready fails the start", async () => {
  await expect(WorkerPool.start(1, setup, undefined, script("exits-at-once.cjs", false))).rejects.toThrow("a preview worker stopped (exit 0) while loading the action");
});
