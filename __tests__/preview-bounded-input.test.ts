// The preview over exports no Auth0 tenant writes (issue 16): a decompression bomb, a bomb after a
// valid user (read by the batches the workers get), a line longer than any user. Each is refused
// as soon as its cap is passed: exit 2, one line naming the file, the line, the limit and the fix,
// nothing on stdout. Run with --json, that line is JSON with the code a pipeline branches on.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Run } from "./helpers/cli-bundles";
import { GIB, gzipBomb } from "./helpers/gzip-bomb";
import { preview } from "./helpers/preview-in-process";

const dir = mkdtempSync(join(tmpdir(), "claims-bounded-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const USER = '{"user_id":"auth0|a","app_metadata":{"roles":["admin"]}}\n';

/** One JSON line on stderr, code ERR_INPUT_TOO_LARGE, nothing on stdout, exit 2: its message. */
function refused(run: Run): string {
  expect(run.status).toBe(2);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  const said = JSON.parse(run.stderr) as { command: string; code: string; exit: number; error: string };
  expect([said.command, said.code, said.exit]).toEqual(["preview", "ERR_INPUT_TOO_LARGE", 2]);
  return said.error;
}

test("the issue's bomb, 3 GiB of zeros in a 14 MB gzip (gzip -1): refused by its inflation ratio", async () => {
  const bomb = gzipBomb(join(dir, "zeros.ndjson.gz"), 0, 3 * GIB, 1);
  expect(statSync(bomb).size).toBeLessThan(15e6);
  expect(refused(await preview("--users", bomb, "--json"))).toMatch(
    /^\/.*zeros\.ndjson\.gz:1: inflates more than 200 times \(16 MiB from \d+ KiB\), as a decompression bomb does; an export inflates 10 to 40 times: if you trust the file, gunzip it and give the plain file$/,
  );
});

test("3 GiB of newlines after a user (gzip -1): refused while the workers run the batches, at the line reached", async () => {
  const bomb = gzipBomb(join(dir, "newlines.ndjson.gz"), 10, 3 * GIB, 1, USER);
  expect(refused(await preview("--users", bomb, "--json", "--workers", "2"))).toMatch(
    /^\/.*newlines\.ndjson\.gz:\d{7,}: inflates more than 200 times/,
  );
});

test("a line over 64 MiB after two users: refused, naming line 3, with nothing run written", async () => {
  const path = join(dir, "long.ndjson");
  writeFileSync(path, USER + USER + `{"user_id":"auth0|long","pad":"${"x".repeat(64 * 2 ** 20)}"}\n` + USER);
  expect(refused(await preview("--users", path, "--json"))).toMatch(
    /^\/.*long\.ndjson:3: a line longer than 64 MiB; no Auth0 user is that large \(at most 16 MB of metadata\): check the file; if it is a one-line JSON array, convert it to NDJSON, which is streamed: jq -c '\.\[\]' FILE > users\.ndjson$/,
  );
});
