// What the tests of the preview share: a scratch folder of the test file's own, removed after its
// tests, and the preview's --json output read back.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A folder for this test file under the system's temporary folder, removed after its tests (call at
 * the top level of the file), and `file`, which writes one file in it and returns its path.
 */
export function scratch(prefix: string): { dir: string; file: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  return { dir, file };
}

/** `preview --json`'s stdout: one object per line (none for an empty output). */
export function jsonLines(stdout: string): any[] {
  return stdout === ""
    ? []
    : stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
}

/** Output lines by their user_id. */
export function byId(lines: any[]): Record<string, any> {
  return Object.fromEntries(lines.map((l) => [l.user_id, l]));
}
