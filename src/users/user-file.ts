// Reads users in the Management API's shape from a file: one JSON object, a JSON array, or NDJSON
// (what Auth0's user export job writes), any of them gzipped. NDJSON is streamed line by line, so
// memory stays flat on a large export; a JSON array is read whole. Every read is bounded: a line, a
// document and a gzip's inflation each have a cap, refused in one line (see docs/preview.md).
import { closeSync, createReadStream, fstatSync, openSync, type ReadStream, readSync, statSync } from "node:fs";
import { type Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, type Gunzip } from "node:zlib";
import { UsageError } from "../errors";
import type { ExportedUser } from "../runtime/types";

export interface NumberedUser {
  /** 1-based line of the user (NDJSON) or of the start of the document. */
  readonly line: number;
  readonly user: ExportedUser;
}

/**
 * A line (one user) longer than this is refused. Auth0 keeps at most 16 MB of app_metadata and
 * user_metadata per user (16 MB each, says a support article): twice the larger reading, with room
 * for the rest of the profile.
 */
export const MAX_LINE_BYTES = 64 * 2 ** 20;
/** A JSON document (an array, or a pretty-printed object) is read and kept whole: refused past this. */
export const MAX_DOCUMENT_BYTES = 64 * 2 ** 20;
/**
 * A gzip that inflates to more than this many times the bytes it took is refused (once past
 * INFLATE_FREE_BYTES). Exports inflate 10 to 40 times; one of identical 1 kB permission lists, 145
 * times; a run of one byte, 229 times at gzip -1 to -3 and 1,028 at -4 to -9 (deflate's most).
 */
export const MAX_INFLATE_RATIO = 200;
/** Inflated bytes allowed whatever the ratio: a small file costs nothing, and its first bytes say little. */
const INFLATE_FREE_BYTES = 16 * 2 ** 20;

const MIB = 2 ** 20;
const byteSize = (bytes: number) =>
  bytes >= MIB ? `${Math.floor(bytes / MIB)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
/** The fix for a JSON array too large to read whole: NDJSON, which is streamed. */
const TO_NDJSON = "convert it to NDJSON, which is streamed: jq -c '.[]' FILE > users.ndjson";

function lineTooLong(file: string, line: number): UsageError {
  return new UsageError(
    "ERR_INPUT_TOO_LARGE",
    `${file}:${line}: a line longer than ${byteSize(MAX_LINE_BYTES)}; no Auth0 user is that large (at most 16 MB of metadata): check the file; if it is a one-line JSON array, ${TO_NDJSON}`,
  );
}

/**
 * Bytes zlib inflates per output chunk: the cost is per chunk, not per byte. Node's default (16 KiB)
 * cost the main thread twice the CPU (partly in libuv's thread pool, which a CPU profile shows as
 * idle) of 256 KiB chunks, about one batch each (docs/measured.md#figures-behind-the-code).
 */
const GUNZIP_CHUNK_BYTES = 1 << 18;

/** Opens `file`, gunzipping it when it starts with gzip's magic bytes; `file` sees how many bytes of the file were read. */
function open(file: string, progress?: { file: ReadStream }): { stream: Readable; gunzip?: Gunzip } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new UsageError(
      "ERR_INPUT_UNREADABLE",
      `${file}: can't read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`,
    );
  }
  const isFile = fstatSync(fd).isFile();
  const magic = Buffer.alloc(2);
  const read = isFile ? readSync(fd, magic, 0, 2, 0) : 0;
  closeSync(fd);
  if (!isFile)
    throw new UsageError(
      "ERR_INPUT_UNREADABLE",
      `${file}: not a regular file; the preview reads its input twice (checked, then run), so save it to a file first`,
    );
  const raw = createReadStream(file, { highWaterMark: 1 << 18 });
  if (progress) progress.file = raw;
  if (read === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    raw.on("error", (err) => gunzip.destroy(err));
    gunzip.on("close", () => raw.destroy());
    return { stream: raw.pipe(gunzip), gunzip };
  }
  return { stream: raw };
}

/**
 * The file's bytes (inflated if gzipped), chunk by chunk. A gzip that inflates past MAX_INFLATE_RATIO
 * is refused as its chunk arrives, and inflating stops there: `line()` names the line being read.
 */
async function* chunks(file: string, line: () => number, progress?: { file: ReadStream }): AsyncGenerator<Buffer> {
  const { stream, gunzip } = open(file, progress);
  let inflated = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (gunzip) {
        inflated += chunk.length;
        // bytesWritten: the compressed bytes zlib has consumed, not those read ahead from the file.
        if (inflated > INFLATE_FREE_BYTES && inflated > MAX_INFLATE_RATIO * gunzip.bytesWritten) {
          throw new UsageError(
            "ERR_INPUT_TOO_LARGE",
            `${file}:${line()}: inflates more than ${MAX_INFLATE_RATIO} times (${byteSize(inflated)} from ${byteSize(gunzip.bytesWritten)}), as a decompression bomb does; an export inflates 10 to 40 times: if you trust the file, gunzip it and give the plain file`,
          );
        }
      }
      yield chunk;
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      "ERR_INPUT_UNREADABLE",
      `${file}: can't read it (${(err as Error).message}); is it a complete .gz file?`,
    );
  } finally {
    stream.destroy();
  }
}

/** How many "\n" bytes `bytes` holds, from `from`. */
function newlines(bytes: Uint8Array, from = 0): number {
  let n = 0;
  for (let i = bytes.indexOf(10, from); i !== -1; i = bytes.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * The file's lines, without their "\n" or "\r\n" (and without a leading byte order mark), a batch
 * per chunk read. Split by hand rather than with node:readline, which spends a promise and a regular
 * expression per line: a sixth of the preview's time on a 100,000-user export. Only each new chunk
 * is searched, so a very long line (a one-line JSON array) costs linear time. A line over
 * MAX_LINE_BYTES is refused as soon as it passes it, and so is the whole file past `maxBytes`.
 */
async function* lineBatches(file: string, maxBytes?: { bytes: number; problem: string }): AsyncGenerator<string[]> {
  const decoder = new StringDecoder("utf8");
  let pending: string[] = [];
  /** Lines ended so far, and bytes of the line being read. */
  let lines = 0;
  let reading = 0;
  let total = 0;
  let first = true;
  for await (let bytes of chunks(file, () => lines + 1)) {
    if (first) {
      bytes = withoutBom(bytes);
      first = false;
    }
    total += bytes.length;
    if (maxBytes && total > maxBytes.bytes)
      throw new UsageError("ERR_INPUT_TOO_LARGE", `${file}:${lines + 1}: ${maxBytes.problem}`);
    const firstEnd = bytes.indexOf(10);
    if (firstEnd !== -1 && reading + firstEnd > MAX_LINE_BYTES) throw lineTooLong(file, lines + 1);
    const chunk = decoder.write(bytes);
    const batch: string[] = [];
    const start = endedLines(chunk, batch);
    if (pending.length > 0 && batch.length > 0) {
      // The first line ended here began in earlier chunks (its "\r" may be the last of them).
      pending.push(batch[0]);
      batch[0] = withoutCr(pending.join(""));
      pending = [];
    }
    if (start < chunk.length) pending.push(chunk.slice(start));
    lines += batch.length;
    reading = firstEnd === -1 ? reading + bytes.length : bytes.length - bytes.lastIndexOf(10) - 1;
    if (reading > MAX_LINE_BYTES) throw lineTooLong(file, lines + 1);
    if (batch.length > 0) yield batch;
  }
  const rest = decoder.end();
  if (rest.length > 0) pending.push(rest);
  if (pending.length > 0) yield [withoutCr(pending.join(""))];
}

/**
 * The first line that is not blank (without its "\r"), and its number; undefined when there is none.
 * Blank lines are skipped byte by byte, not split into strings: that took minutes on gigabytes of them.
 */
async function firstLine(file: string): Promise<{ text: string; line: number } | undefined> {
  let lines = 0;
  let parts: Buffer[] | undefined;
  let held = 0;
  let atStart = true;
  for await (let bytes of chunks(file, () => lines + 1)) {
    if (atStart) {
      bytes = withoutBom(bytes);
      atStart = false;
    }
    let at = 0;
    while (at < bytes.length) {
      if (parts === undefined) {
        // JSON's whitespace; any other byte may start a line (one of Unicode's blanks is checked below).
        for (; at < bytes.length; at++) {
          const b = bytes[at];
          if (b === 10) lines++;
          else if (b !== 32 && b !== 13 && b !== 9) break;
        }
        if (at === bytes.length) break;
        parts = [];
        held = 0;
      }
      const end = bytes.indexOf(10, at);
      const piece = bytes.subarray(at, end === -1 ? bytes.length : end);
      parts.push(piece);
      held += piece.length;
      if (held > MAX_LINE_BYTES) throw lineTooLong(file, lines + 1);
      if (end === -1) break;
      const text = Buffer.concat(parts).toString("utf8");
      if (text.trim() !== "") return { text: withoutCr(text), line: lines + 1 };
      lines++;
      parts = undefined;
      at = end + 1;
    }
  }
  const text = parts && Buffer.concat(parts).toString("utf8");
  return text !== undefined && text.trim() !== "" ? { text: withoutCr(text), line: lines + 1 } : undefined;
}

/** Why `value` can't be a user, or undefined when it is an object. */
export function userProblem(value: unknown): string | undefined {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return undefined;
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  return `expected a user object ({"user_id": ..., "app_metadata": {...}}), got ${got}`;
}

function asUser(value: unknown, where: string): ExportedUser {
  const problem = userProblem(value);
  if (problem !== undefined) throw new UsageError("ERR_INPUT_INVALID", `${where}: ${problem}`);
  return value as ExportedUser;
}

/** JSON.parse's message without the position, which names a column of one line only. */
export function jsonProblem(err: unknown): string {
  return `invalid JSON (${(err as Error).message.replace(/ in JSON at position.*$/, "")})`;
}

// The NDJSON rule, in one place for its three readers (lineBatches and firstLine here, the preview's
// BatchUsers in its workers): a leading byte order mark is dropped; a line ends at "\n", without a
// "\r" before it; a blank line (whitespace only) holds no user; any other line holds one user object.

/** `bytes` without a leading UTF-8 byte order mark: the start of a file, as editors on Windows save it. */
export function withoutBom(bytes: Buffer): Buffer {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}

/** `line` without the "\r" of a "\r\n" ending. */
export function withoutCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/**
 * The lines `text` ends (each without its "\n" and a "\r" before it), pushed onto `lines`; returns
 * where the unended rest starts. A hand-written split: node:readline spends a promise and a regular
 * expression per line, and a generator per line costs the hot reader of the preview as much.
 */
export function endedLines(text: string, lines: string[]): number {
  let start = 0;
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    lines.push(text.charCodeAt(end - 1) === 13 && end > start ? text.slice(start, end - 1) : text.slice(start, end));
    start = end + 1;
  }
  return start;
}

/**
 * Why a line holds no user: invalid JSON, or JSON that is not a user object. Its reader names the
 * line. Not an Error on purpose: one is thrown per bad line of an export, and an Error captures a
 * stack that nobody reads.
 */
export class LineProblem {
  constructor(readonly problem: string) {}
}

/** The user of one NDJSON line, or undefined for a blank line; throws LineProblem. */
export function userOfLine(line: string): ExportedUser | undefined {
  // Only a line that starts with whitespace (ASCII or not) can be blank: the rest skip the trim.
  const first = line.charCodeAt(0);
  if (line.length === 0 || ((first <= 32 || first > 127) && line.trim() === "")) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- LineProblem says why above
    throw new LineProblem(jsonProblem(err));
  }
  const problem = userProblem(value);
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- LineProblem says why above
  if (problem !== undefined) throw new LineProblem(problem);
  return value as ExportedUser;
}

/** Line (1-based) of the character at `position` in `text`. */
function lineAt(text: string, position: number): number {
  let line = 1;
  for (let i = 0; i < position && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function parseDocument(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    // Node 20 gives a position for some syntax errors only; without one, name no line rather than a wrong one.
    const position = /position (\d+)/.exec(message);
    const where = position ? `${file}:${lineAt(text, Number(position[1]))}` : file;
    throw new UsageError("ERR_INPUT_INVALID", `${where}: ${jsonProblem(err)}`);
  }
}

/**
 * A user file: its format is found from its first line, then `users()` streams the users, checking
 * each one; a bad one throws UsageError naming its line.
 */
export class UserFile {
  private constructor(
    readonly file: string,
    private readonly document?: readonly ExportedUser[],
  ) {}

  static async open(file: string): Promise<UserFile> {
    const first = await firstLine(file);
    if (first === undefined)
      throw new UsageError(
        "ERR_INPUT_INVALID",
        `${file}: holds no users; give a JSON user object, a JSON array of users or NDJSON`,
      );
    const start = first.text.trimStart()[0];
    if (start !== "{" && start !== "[") {
      throw new UsageError(
        "ERR_INPUT_INVALID",
        `${file}:${first.line}: not JSON: expected a user object, an array of users or NDJSON (one user per line)`,
      );
    }
    if (start === "{") {
      try {
        JSON.parse(first.text);
        return new UserFile(file);
      } catch {
        // A pretty-printed object: read the document whole.
      }
    }
    const problem =
      start === "["
        ? `the JSON array passes ${byteSize(MAX_DOCUMENT_BYTES)} here; an array is read whole: ${TO_NDJSON}`
        : `the JSON object passes ${byteSize(MAX_DOCUMENT_BYTES)} here; no Auth0 user is that large (at most 16 MB of metadata): check the file`;
    let text = "";
    for await (const batch of lineBatches(file, { bytes: MAX_DOCUMENT_BYTES, problem }))
      text += batch.join("\n") + "\n";
    const value = parseDocument(text, file);
    const users = Array.isArray(value) ? value : [value];
    users.forEach((user, i) => asUser(user, Array.isArray(value) ? `${file}: element ${i + 1} of the array` : file));
    if (users.length === 0) throw new UsageError("ERR_INPUT_INVALID", `${file}: the array holds no users`);
    return new UserFile(file, users as ExportedUser[]);
  }

  /** The parsed users of a JSON document (array or one object), or undefined for NDJSON. */
  get documentUsers(): readonly ExportedUser[] | undefined {
    return this.document;
  }

  /**
   * NDJSON as raw bytes, in batches of whole lines of about `size` bytes (a line never straddles two
   * batches; a leading byte order mark is removed). Parsing is left to the caller, e.g. worker threads.
   * A line over MAX_LINE_BYTES is refused as soon as it passes it, naming its line: the lines are
   * counted for that alone (a native search per line, a few percent of this reader's time).
   * `read()` of the returned progress is the fraction of the file read so far.
   */
  rawBatches(size: number): { batches: AsyncGenerator<Uint8Array>; read: () => number } {
    const progress = {} as { file: ReadStream };
    const total = statSync(this.file).size;
    const file = this.file;
    async function* batches(): AsyncGenerator<Uint8Array> {
      const parts: Buffer[] = [];
      let held = 0;
      let first = true;
      /** Lines ended so far, and bytes of the line being read: counted only to name a line too long. */
      let lines = 0;
      let reading = 0;
      const take = (end: number): Uint8Array => {
        // One fresh ArrayBuffer per batch, so it can be transferred to a worker without a copy.
        const out = new Uint8Array(end);
        let at = 0;
        for (const part of parts) {
          const n = Math.min(part.length, end - at);
          out.set(n === part.length ? part : part.subarray(0, n), at);
          at += n;
          if (at === end) {
            const rest = part.subarray(n);
            parts.length = 0;
            if (rest.length > 0) parts.push(rest);
            held = rest.length;
            return out;
          }
        }
        parts.length = 0;
        held = 0;
        return out;
      };
      for await (let chunk of chunks(file, () => lines + 1, progress)) {
        if (first) {
          chunk = withoutBom(chunk);
          first = false;
        }
        const firstEnd = chunk.indexOf(10);
        const newline = firstEnd === -1 ? -1 : chunk.lastIndexOf(10);
        if (firstEnd === -1) reading += chunk.length;
        else {
          if (reading + firstEnd > MAX_LINE_BYTES) throw lineTooLong(file, lines + 1);
          lines += newlines(chunk, firstEnd);
          reading = chunk.length - newline - 1;
        }
        // Checked before the chunk is kept: a line with no end holds at most this much.
        if (reading > MAX_LINE_BYTES) throw lineTooLong(file, lines + 1);
        parts.push(chunk);
        held += chunk.length;
        if (held < size) continue;
        if (newline === -1) continue; // a line longer than a batch: wait for its end
        yield take(held - (chunk.length - newline - 1));
      }
      if (held > 0) yield take(held);
    }
    return { batches: batches(), read: () => (total === 0 ? 1 : Math.min(1, (progress.file?.bytesRead ?? 0) / total)) };
  }

  /** The users, a batch at a time, each checked; a bad one throws UsageError naming its line. */
  async *users(): AsyncGenerator<NumberedUser[]> {
    if (this.document) {
      yield this.document.map((user) => ({ line: 1, user }));
      return;
    }
    let n = 0;
    for await (const batch of lineBatches(this.file)) {
      const users: NumberedUser[] = [];
      for (const line of batch) {
        n++;
        let user: ExportedUser | undefined;
        try {
          user = userOfLine(line);
        } catch (err) {
          if (!(err instanceof LineProblem)) throw err;
          throw new UsageError("ERR_INPUT_INVALID", `${this.file}:${n}: ${err.problem}`);
        }
        if (user !== undefined) users.push({ line: n, user });
      }
      yield users;
    }
  }
}
