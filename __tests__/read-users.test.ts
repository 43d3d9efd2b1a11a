// Reading user files: line splitting across chunk boundaries, BOMs, long lines, line numbers.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { UsageError as InputError } from "../src/errors";
import { UserFile } from "../src/users/user-file";

const dir = mkdtempSync(join(tmpdir(), "claims-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
async function read(path: string) {
  const users = [];
  for await (const batch of (await UserFile.open(path)).users()) users.push(...batch);
  return users;
}
const CHUNK = 64 * 1024; // fs.createReadStream's default highWaterMark

test("CRLF split across two chunks, a multi-byte character split across two chunks, no final newline", async () => {
  // Line 1 is CHUNK - 1 bytes, so its "\r" ends the first chunk and its "\n" starts the second.
  const line1 = JSON.stringify({ user_id: "a", pad: "x".repeat(CHUNK - 1 - 24) });
  expect(Buffer.byteLength(line1)).toBe(CHUNK - 1);
  // Line 2 starts at byte CHUNK + 1; its two-byte characters start at an odd offset from the next
  // boundary (2 * CHUNK), so that boundary falls inside one of them.
  const line2 = JSON.stringify({ user_id: "b", name: "x" + "é".repeat(CHUNK) + "😀" });
  expect((2 * CHUNK - (CHUNK + 1) - '{"user_id":"b","name":"x'.length) % 2).toBe(1);
  const content = `${line1}\r\n${line2}\r\n${JSON.stringify({ user_id: "c" })}`;
  for (const path of [file("split.ndjson", content), file("split.ndjson.gz", gzipSync(content))]) {
    const users = await read(path);
    expect(users.map((u) => u.user.user_id)).toEqual(["a", "b", "c"]);
    expect(users.map((u) => u.line)).toEqual([1, 2, 3]);
    expect(users[1].user.name).toBe("x" + "é".repeat(CHUNK) + "😀");
  }
});

test("a UTF-8 byte order mark is ignored", async () => {
  const users = await read(file("bom.ndjson", "\ufeff" + JSON.stringify({ user_id: "a" }) + "\n"));
  expect(users.map((u) => u.user.user_id)).toEqual(["a"]);
  expect((await read(file("bom.json", "\ufeff[" + JSON.stringify({ user_id: "b" }) + "]"))).map((u) => u.user.user_id)).toEqual(["b"]);
});

test("a one-line JSON array of several megabytes is read whole and correctly", async () => {
  const users = Array.from({ length: 2000 }, (_, i) => ({ user_id: `u${i}`, app_metadata: { roles: ["r".repeat(2000)] } }));
  const read1 = await read(file("one-line.json", JSON.stringify(users)));
  expect(read1).toHaveLength(2000);
  expect(read1[1999].user.user_id).toBe("u1999");
});

test("an invalid NDJSON line is named by its number; a document error names the line only when it is known", async () => {
  await expect(read(file("bad.ndjson", '{"user_id":"a"}\n\n{"user_id":\n'))).rejects.toThrow(/bad\.ndjson:3: invalid JSON/);
  const err = await read(file("bad.json", '[\n  {"user_id": "a"},\n  {"user_id": "b",}\n]\n')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(/^.*bad\.json(:3)?: invalid JSON/);
  expect((err as Error).message).not.toMatch(/bad\.json:1:/);
});

test("raw batches for the workers: whole lines only, the byte order mark removed, nothing lost, gzip or not", async () => {
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ user_id: `u${i}`, name: "é".repeat(i % 200) }));
  const content = "\ufeff" + lines.join("\r\n") + "\r\n" + '{"user_id":"last"}';
  for (const path of [file("raw.ndjson", content), file("raw.ndjson.gz", gzipSync(content))]) {
    const { batches, read } = (await UserFile.open(path)).rawBatches(8 * 1024);
    const texts: string[] = [];
    for await (const bytes of batches) texts.push(Buffer.from(bytes).toString("utf8"));
    expect(texts.length).toBeGreaterThan(2);
    for (const text of texts.slice(0, -1)) expect(text.endsWith("\n")).toBe(true);
    expect(texts.join("")).toBe(content.slice(1));
    expect(read()).toBe(1);
  }
});
