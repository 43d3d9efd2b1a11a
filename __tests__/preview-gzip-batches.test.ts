// The preview's input path end to end: a gzipped export inflated in 256 KiB chunks and cut into
// batches at newlines (transferred to the workers as raw bytes), with lines and multi-byte characters
// straddling the chunks, gives the same --json bytes as the plain file, on one worker or several.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Run } from "./helpers/cli-bundles";
import { preview } from "./helpers/preview-in-process";

const dir = mkdtempSync(join(tmpdir(), "claims-gzip-batches-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let plain: Run;
let gzipOne: Run;
let gzipTwo: Run;
let count: number;
beforeAll(async () => {
  // About 1.5 MB: several inflated chunks and batches. Line lengths vary so the cuts fall anywhere,
  // and each line holds 2-, 3- and 4-byte UTF-8 characters.
  const lines = Array.from({ length: 2500 }, (_, i) =>
    JSON.stringify({
      user_id: `auth0|${i}`,
      name: "é€😀".repeat(i % 97) + "x".repeat(i % 13),
      app_metadata: { roles: [`rôle-${i % 7}`, "😀"], permissions: ["read:€"] },
    }),
  );
  count = lines.length;
  const text = lines.join("\n") + "\n";
  const path = join(dir, "users.ndjson");
  writeFileSync(path, text);
  writeFileSync(`${path}.gz`, gzipSync(text));
  [plain, gzipOne, gzipTwo] = await Promise.all([
    preview("--users", path, "--json", "--workers", "1"),
    preview("--users", `${path}.gz`, "--json", "--workers", "1"),
    preview("--users", `${path}.gz`, "--json", "--workers", "2"),
  ]);
});

test("the plain export: one line per user, in order, the characters intact", () => {
  expect(plain.stderr).toBe("");
  expect(plain.status).toBe(0);
  const out = plain.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(out).toHaveLength(count);
  expect(out.map((o) => o.user_id)).toEqual(Array.from({ length: count }, (_, i) => `auth0|${i}`));
  expect(out[5].idToken["https://dev.example.com/claims/roles"]).toEqual(["rôle-5", "😀"]);
});

test("gzipped, on one worker and on two: the same bytes as the plain file", () => {
  expect(gzipOne.status).toBe(0);
  expect(gzipOne.stdout).toBe(plain.stdout);
  expect(gzipTwo.stdout).toBe(plain.stdout);
});
