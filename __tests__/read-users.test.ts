// Reading user files: line splitting across chunk boundaries, BOMs, long lines, line numbers.
import { statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { UsageError as InputError } from "../src/errors";
import { UserFile } from "../src/users/user-file";
import { GIB, gzipBomb } from "./helpers/gzip-bomb";
import { scratch } from "./helpers/scratch";

const { dir, file } = scratch("claims-read-");
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
  expect(
    (await read(file("bom.json", "\ufeff[" + JSON.stringify({ user_id: "b" }) + "]"))).map((u) => u.user.user_id),
  ).toEqual(["b"]);
});

test("a one-line JSON array of several megabytes is read whole and correctly", async () => {
  const users = Array.from({ length: 2000 }, (_, i) => ({
    user_id: `u${i}`,
    app_metadata: { roles: ["r".repeat(2000)] },
  }));
  const read1 = await read(file("one-line.json", JSON.stringify(users)));
  expect(read1).toHaveLength(2000);
  expect(read1[1999].user.user_id).toBe("u1999");
});

test("an invalid NDJSON line is named by its number; a document error names the line only when it is known", async () => {
  await expect(read(file("bad.ndjson", '{"user_id":"a"}\n\n{"user_id":\n'))).rejects.toThrow(
    /bad\.ndjson:3: invalid JSON/,
  );
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

/** The cap on a line, as docs/preview.md gives it. */
const MAX_LINE_BYTES = 64 * 2 ** 20;
async function rawRead(path: string): Promise<number> {
  let bytes = 0;
  for await (const batch of (await UserFile.open(path)).rawBatches(256 * 1024).batches) bytes += batch.length;
  return bytes;
}

describe("bounded reading: every path refuses, in one line naming the file and the line, what no Auth0 export is", () => {
  test("a gzip that inflates 229 times (3 GiB of zeros in 14 MB, gzip -1) is refused on the first read; an export that inflates 145 times is read whole", async () => {
    const bomb = gzipBomb(join(dir, "zeros.ndjson.gz"), 0, 3 * GIB, 1);
    expect(statSync(bomb).size).toBeLessThan(15e6);
    const err = (await UserFile.open(bomb).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(
      /^.*zeros\.ndjson\.gz:1: inflates more than 200 times \(16 MiB from \d+ KiB\), as a decompression bomb does; .* if you trust the file, gunzip it and give the plain file$/,
    );
    expect(err.message).not.toMatch(/\n/);
    // Every user with the same 60 permissions, and nothing else: the most any export tried inflates.
    const permissions = Array.from({ length: 60 }, (_, j) => `read:resource:${j}`);
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      JSON.stringify({
        user_id: `auth0|${String(i).padStart(8, "0")}`,
        app_metadata: { roles: ["admin"], permissions },
      }),
    );
    const text = lines.join("\n") + "\n";
    const zipped = gzipSync(text);
    expect(text.length).toBeGreaterThan(32 * 2 ** 20);
    expect(text.length / zipped.length).toBeGreaterThan(140);
    const path = file("same-permissions.ndjson.gz", zipped);
    const users = await read(path);
    expect(users).toHaveLength(30_000);
    expect(users[29_999]).toEqual({ line: 30_000, user: JSON.parse(lines[29_999]) });
    expect(await rawRead(path)).toBe(text.length);
  });

  test("3 GiB of newlines after a user (gzip -9, 1,028 times) are refused by every reader, at the line reached", async () => {
    const bomb = gzipBomb(join(dir, "newlines.ndjson.gz"), 10, 3 * GIB, 9, '{"user_id":"a"}\n');
    const inflates = /newlines\.ndjson\.gz:(\d+): inflates more than 200 times/;
    const checked = await read(bomb).catch((e: unknown) => e);
    expect(checked).toBeInstanceOf(InputError);
    expect((checked as Error).message).toMatch(inflates);
    const raw = await rawRead(bomb).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(InputError);
    expect(Number(inflates.exec((raw as Error).message)?.[1])).toBeGreaterThan(2 ** 23);
    // Only newlines: refused while looking for the first user.
    const blank = gzipBomb(join(dir, "blank.ndjson.gz"), 10, 3 * GIB, 9);
    await expect(UserFile.open(blank)).rejects.toThrow(/blank\.ndjson\.gz:\d+: inflates more than 200 times/);
  });

  test("a line over 64 MiB is refused by every reader, naming its line; a line of exactly 64 MiB is read", async () => {
    const user = (bytes: number) => {
      const line = JSON.stringify({ user_id: "big", pad: "" });
      return line.replace('""', `"${"x".repeat(bytes - line.length)}"`);
    };
    const exact = user(MAX_LINE_BYTES);
    expect(Buffer.byteLength(exact)).toBe(64 * 2 ** 20);
    const ok = file("exact.ndjson", `{"user_id":"a"}\n${exact}\n{"user_id":"c"}\n`);
    expect((await read(ok)).map((u) => u.user.user_id)).toEqual(["a", "big", "c"]);
    expect(await rawRead(ok)).toBe(statSync(ok).size);

    const over = `${exact.slice(0, -2)}xx"}`;
    const tooLong =
      /long\.ndjson:2: a line longer than 64 MiB; no Auth0 user is that large \(at most 16 MB of metadata\): check the file; if it is a one-line JSON array, convert it to NDJSON/;
    const path = file("long.ndjson", `{"user_id":"a"}\n${over}\n{"user_id":"c"}\n`);
    await expect(read(path)).rejects.toThrow(tooLong);
    await expect(rawRead(path)).rejects.toThrow(tooLong);
    // With no end at all, as the first user (after a blank line).
    const endless = file("endless.ndjson", `\n{"user_id":"${"x".repeat(MAX_LINE_BYTES)}`);
    await expect(UserFile.open(endless)).rejects.toThrow(/endless\.ndjson:2: a line longer than 64 MiB/);
  });

  test("a JSON array over 64 MiB, read whole, is refused with the way to stream it", async () => {
    const user = JSON.stringify({ user_id: "auth0|x", app_metadata: { roles: ["r".repeat(1000)] } });
    const path = file("big.json", "[\n" + Array.from({ length: 70_000 }, () => `  ${user}`).join(",\n") + "\n]\n");
    expect(statSync(path).size).toBeGreaterThan(64 * 2 ** 20);
    const err = (await UserFile.open(path).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(
      /^.*big\.json:\d+: the JSON array passes 64 MiB here; an array is read whole: convert it to NDJSON, which is streamed: jq -c '\.\[\]' FILE > users\.ndjson$/,
    );
  });
});
