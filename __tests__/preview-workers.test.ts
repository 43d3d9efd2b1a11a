// The preview's worker pool when an action misbehaves in ways a timer inside the worker can't catch:
// code that never yields (the watchdog ends the worker; that login fails as timed out, the batch
// goes on in a new worker, appending to the same spool) and code that exhausts the worker's heap
// (the run fails at once, naming the action, instead of waiting forever or looking complete).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WorkerPool, type WorkerSetup } from "../src/preview/workers";
import type { ExportedUser } from "../src/runtime/types";
import { testFlow } from "./helpers/sandbox";

const dir = mkdtempSync(join(tmpdir(), "claims-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NS = "https://example.com/claims";
const action = (name: string, body: string) => ({
  name,
  code: `exports.onExecutePostLogin = async (event, api) => { ${body} };`,
});
const users = (n: number): ExportedUser[] =>
  Array.from({ length: n }, (_, i) => ({ user_id: `u${i}`, app_metadata: { i } }));
const setup = (
  head: ReturnType<typeof action>[],
  base?: ReturnType<typeof action>[],
  timeoutMs = 300,
): WorkerSetup => ({
  head: testFlow(head, timeoutMs),
  base: base && testFlow(base, timeoutMs),
  json: true,
  details: 0,
});

test("a login stuck in a loop that never yields fails as timed out; the rest of its batch and later batches run in a new worker", async () => {
  const spool = join(dir, "loop.spool");
  const loops = action(
    "loops",
    `if (event.user.app_metadata.i === 2) while (true) {} api.idToken.setCustomClaim("${NS}/i", event.user.app_metadata.i);`,
  );
  const { pool } = await WorkerPool.start(1, setup([loops]), [spool]);
  try {
    const first = pool.run({ users: users(4) });
    const second = pool.run({ users: users(2).map((u) => ({ ...u, user_id: `v${u.user_id}` })) });
    const [a, b] = [await first, await second];
    expect(a.preview?.users).toBe(4);
    expect(a.preview?.denied).toBe(1);
    expect(b.preview?.denied).toBe(0);
    const lines = (r: typeof a) =>
      readFileSync(spool, "utf8")
        .slice(r.spooled!.offset, r.spooled!.offset + r.spooled!.length)
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
    expect(lines(a).map((o) => [o.user_id, o.denied])).toEqual([
      ["u0", null],
      ["u1", null],
      ["u2", "the flow did not finish within 300 ms; Auth0 fails the login"],
      ["u3", null],
    ]);
    expect(lines(b).map((o) => o.idToken)).toEqual([{ [`${NS}/i`]: 0 }, { [`${NS}/i`]: 1 }]);
  } finally {
    await pool.close();
  }
});

test("compared, a loop in the version under review fails that user's login there only, and names the action", async () => {
  const base = action("claims", `api.idToken.setCustomClaim("${NS}/i", event.user.app_metadata.i);`);
  const head = action(
    "loops",
    `if (event.user.app_metadata.i === 1) while (true) {} api.idToken.setCustomClaim("${NS}/i", event.user.app_metadata.i);`,
  );
  const spool = join(dir, "compare.spool");
  const { pool } = await WorkerPool.start(1, setup([base, head], [base]), [spool]);
  try {
    const result = await pool.run({ users: users(3) });
    expect(result.compare?.users).toBe(3);
    expect(result.compare?.changedUsers).toBe(1);
    expect(result.compare?.newlyDenied).toBe(1);
    const line = JSON.parse(readFileSync(spool, "utf8").trim());
    expect(line).toMatchObject({
      user_id: "u1",
      denied: { before: null, after: "loops: the flow did not finish within 300 ms; Auth0 fails the login" },
    });
  } finally {
    await pool.close();
  }
});

test("an action that exhausts the worker's heap fails the run at once, naming the action", async () => {
  const hog = action("memory-hog", `const hoard = []; for (;;) hoard.push(new Array(1e5).fill(event.user.user_id));`);
  const { pool } = await WorkerPool.start(1, setup([hog], undefined, 20_000), undefined, { heapMb: 64 });
  try {
    await expect(pool.run({ users: users(1) })).rejects.toThrow(
      'a preview worker running action "memory-hog" ran out of memory (the sandbox allows 64 MiB); the run is incomplete',
    );
    await expect(pool.run({ users: users(1) })).rejects.toThrow(/ran out of memory/);
  } finally {
    await pool.close();
  }
});

test("a head that never finishes loading denies every login with the reason; a base that never loads is bad input", async () => {
  const stuck = { name: "stuck", code: "while (true) {}\nexports.onExecutePostLogin = async () => {};" };
  const fine = action("fine", "");
  const { pool, headError } = await WorkerPool.start(1, setup([stuck]), undefined);
  try {
    expect(headError).toBe('action "stuck" did not finish loading within 300 ms');
    const result = await pool.run({ users: users(2) });
    expect(result.preview?.denied).toBe(2);
  } finally {
    await pool.close();
  }
  await expect(WorkerPool.start(1, setup([fine], [stuck]), undefined)).rejects.toThrow(
    '--compare: "stuck.js": did not finish loading within 300 ms; give a compiled action (JavaScript) or a cdk.tf.json from npm run synth',
  );
});
