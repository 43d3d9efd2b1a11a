// A worker decodes its batch of NDJSON bytes in pieces that end after a "\n" (not the whole batch
// at once, which was slow); this checks it reads exactly what decoding the batch whole reads.
import fc from "fast-check";
import { jsonProblem, userProblem } from "../src/users/user-file";
import type { ExportedUser } from "../src/runtime/types";
import { BatchUsers } from "../src/preview/batch-worker";

type Parsed = { users: ExportedUser[]; lines: number; error?: BatchUsers["error"] };

/** The users of a batch as a worker reads them (BatchUsers), taken whole. */
function parseLines(bytes: Uint8Array): Parsed {
  const batch = new BatchUsers(bytes);
  const users = [...batch];
  return batch.error ? { users, lines: batch.lines, error: batch.error } : { users, lines: batch.lines };
}

/** The batch decoded whole, then split: how the worker read batches before. */
function wholeBatch(bytes: Uint8Array): Parsed {
  const text = Buffer.from(bytes).toString("utf8");
  const users: ExportedUser[] = [];
  let n = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    n++;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      return { users, lines: n, error: { line: n, problem: jsonProblem(err) } };
    }
    const problem = userProblem(value);
    if (problem !== undefined) return { users, lines: n, error: { line: n, problem } };
    users.push(value as ExportedUser);
  }
  return { users, lines: n };
}

const encode = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

/** One line of a batch: a user (some long enough to cross the 32 KiB pieces, with multi-byte text), blank, bad JSON, or raw bytes. */
const line = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        user_id: fc.string({ unit: "binary" }),
        pad: fc.nat({ max: 40_000 }),
        text: fc.string({ unit: "binary", maxLength: 20 }),
      })
      .map(({ user_id, pad, text }) => encode(JSON.stringify({ user_id, name: "é😀x".repeat(pad / 4) + text }))),
  },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\t", "\r", " \r").map(encode) },
  { weight: 1, arbitrary: fc.constantFrom("{", "[1]", "null", '"text"', "{}x").map(encode) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((bytes) => bytes.map((b) => (b === 10 ? 0xc3 : b))) },
);

test("a batch decoded in pieces gives the same users, line count and first bad line as decoded whole", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(line, fc.constantFrom("\n", "\r\n")), { maxLength: 12 }),
      fc.boolean(),
      (lines, finalNewline) => {
        const parts = lines.flatMap(([bytes, end], i) =>
          i < lines.length - 1 || finalNewline ? [bytes, encode(end)] : [bytes],
        );
        const batch = new Uint8Array(Buffer.concat(parts));
        expect(parseLines(batch)).toEqual(wholeBatch(batch));
      },
    ),
    { numRuns: 300 },
  );
});

test("a multi-byte character right at a piece's edge is decoded whole", () => {
  // The first line ends exactly at byte 32 KiB - 1, so the next piece starts on its "\n" + 1; the
  // second line's characters straddle the next 32 KiB mark.
  const first = JSON.stringify({ user_id: "a", pad: "x".repeat(32 * 1024 - 1 - 24) });
  expect(Buffer.byteLength(first)).toBe(32 * 1024 - 1);
  const second = JSON.stringify({ user_id: "b", name: "é".repeat(20_000) + "😀" });
  const batch = encode(`${first}\n${second}\n`);
  const { users, lines, error } = parseLines(batch);
  expect(error).toBeUndefined();
  expect(lines).toBe(2);
  expect(users.map((u) => u.user_id)).toEqual(["a", "b"]);
  expect(users[1].name).toBe("é".repeat(20_000) + "😀");
});

test("a line of Unicode blanks holds no user for the workers, as for every other reader (one NDJSON rule)", () => {
  const text = '{"user_id":"a"}\n\u00a0\u2003\r\n{"user_id":"b"}\n';
  expect(parseLines(Buffer.from(text))).toEqual(wholeBatch(Buffer.from(text)));
  expect(parseLines(Buffer.from(text))).toEqual({ users: [{ user_id: "a" }, { user_id: "b" }], lines: 3 });
});
