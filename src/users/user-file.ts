// Reads users in the Management API's shape from a file: one JSON object, a JSON array, or NDJSON
// (what Auth0's user export job writes), any of them gzipped. NDJSON is streamed line by line, so
// memory stays flat on a large export; a JSON array is read whole.
import { closeSync, createReadStream, fstatSync, openSync, ReadStream, readSync, statSync } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { UsageError } from "../errors";
import type { ExportedUser } from "../runtime/types";

export interface NumberedUser {
  /** 1-based line of the user (NDJSON) or of the start of the document. */
  readonly line: number;
  readonly user: ExportedUser;
}

export type UserFileFormat = "ndjson" | "json";

/**
 * Bytes zlib inflates per output chunk: the cost is per chunk, not per byte. Node's default (16 KiB)
 * made reading a 1,000,000-user export cost the main thread 1.4 to 1.5 s of CPU (partly in libuv's
 * thread pool, which a CPU profile shows as idle); 256 KiB chunks, about one batch each, 0.5 to 0.9 s.
 */
const GUNZIP_CHUNK_BYTES = 1 << 18;

/** Opens `file`, gunzipping it when it starts with gzip's magic bytes; `file` sees how many bytes of the file were read. */
function open(file: string, progress?: { file: ReadStream }): Readable {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new UsageError(`${file}: can't read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
  const isFile = fstatSync(fd).isFile();
  const magic = Buffer.alloc(2);
  const read = isFile ? readSync(fd, magic, 0, 2, 0) : 0;
  closeSync(fd);
  if (!isFile) throw new UsageError(`${file}: not a regular file; the preview reads its input twice (checked, then run), so save it to a file first`);
  const raw = createReadStream(file, { highWaterMark: 1 << 18 });
  if (progress) progress.file = raw;
  if (read === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    raw.on("error", (err) => gunzip.destroy(err));
    return raw.pipe(gunzip);
  }
  return raw;
}

/**
 * The file's lines, without their "\n" or "\r\n" (and without a leading byte order mark), a batch
 * per chunk read. Split by hand rather than with node:readline, which spends a promise and a regular
 * expression per line: a sixth of the preview's time on a 100,000-user export. Only each new chunk
 * is searched, so a very long line (a one-line JSON array) costs linear time.
 */
async function* lineBatches(file: string): AsyncGenerator<string[]> {
  const stream = open(file);
  stream.setEncoding("utf8");
  let pending: string[] = [];
  let first = true;
  const finish = (line: string) => (line.endsWith("\r") ? line.slice(0, -1) : line);
  try {
    for await (let chunk of stream as AsyncIterable<string>) {
      if (first) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        first = false;
      }
      const batch: string[] = [];
      let start = 0;
      for (let end = chunk.indexOf("\n"); end !== -1; end = chunk.indexOf("\n", start)) {
        let line = chunk.slice(start, end);
        if (pending.length > 0) {
          pending.push(line);
          line = pending.join("");
          pending = [];
        }
        batch.push(finish(line));
        start = end + 1;
      }
      if (start < chunk.length) pending.push(chunk.slice(start));
      if (batch.length > 0) yield batch;
    }
  } catch (err) {
    throw new UsageError(`${file}: can't read it (${(err as Error).message}); is it a complete .gz file?`);
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) yield [finish(pending.join(""))];
}

/** Why `value` can't be a user, or undefined when it is an object. */
export function userProblem(value: unknown): string | undefined {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return undefined;
  const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
  return `expected a user object ({"user_id": ..., "app_metadata": {...}}), got ${got}`;
}

function asUser(value: unknown, where: string): ExportedUser {
  const problem = userProblem(value);
  if (problem !== undefined) throw new UsageError(`${where}: ${problem}`);
  return value as ExportedUser;
}

/** JSON.parse's message without the position, which names a column of one line only. */
export function jsonProblem(err: unknown): string {
  return `invalid JSON (${(err as Error).message.replace(/ in JSON at position.*$/, "")})`;
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
    throw new UsageError(`${where}: invalid JSON (${message.replace(/ in JSON at position.*$/, "")})`);
  }
}

/**
 * A user file: its format is found from its first line, then `users()` streams the users, checking
 * each one; a bad one throws UsageError naming its line.
 */
export class UserFile {
  private constructor(
    readonly file: string,
    readonly format: UserFileFormat,
    private readonly document?: readonly ExportedUser[],
  ) {}

  static async open(file: string): Promise<UserFile> {
    let firstLine: string | undefined;
    search: for await (const batch of lineBatches(file)) {
      for (const line of batch) {
        if (line.trim() !== "") {
          firstLine = line;
          break search;
        }
      }
    }
    if (firstLine === undefined) throw new UsageError(`${file}: holds no users; give a JSON user object, a JSON array of users or NDJSON`);
    const start = firstLine.trimStart()[0];
    if (start !== "{" && start !== "[") {
      throw new UsageError(`${file}:1: not JSON: expected a user object, an array of users or NDJSON (one user per line)`);
    }
    if (start === "{") {
      try {
        JSON.parse(firstLine);
        return new UserFile(file, "ndjson");
      } catch {
        // A pretty-printed object: read the document whole.
      }
    }
    let text = "";
    for await (const batch of lineBatches(file)) text += batch.join("\n") + "\n";
    const value = parseDocument(text, file);
    const users = Array.isArray(value) ? value : [value];
    users.forEach((user, i) => asUser(user, Array.isArray(value) ? `${file}: element ${i + 1} of the array` : file));
    if (users.length === 0) throw new UsageError(`${file}: the array holds no users`);
    return new UserFile(file, "json", users as ExportedUser[]);
  }

  /** The parsed users of a JSON document (array or one object), or undefined for NDJSON. */
  get documentUsers(): readonly ExportedUser[] | undefined {
    return this.document;
  }

  /**
   * NDJSON as raw bytes, in batches of whole lines of about `size` bytes (a line never straddles two
   * batches; a leading byte order mark is removed). Parsing is left to the caller, e.g. worker threads.
   * `read()` of the returned progress is the fraction of the file read so far.
   */
  rawBatches(size: number): { batches: AsyncGenerator<Uint8Array>; read: () => number } {
    const progress = {} as { file: ReadStream };
    const total = statSync(this.file).size;
    const file = this.file;
    async function* batches(): AsyncGenerator<Uint8Array> {
      const stream = open(file, progress);
      const parts: Buffer[] = [];
      let held = 0;
      let first = true;
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
      try {
        for await (let chunk of stream as AsyncIterable<Buffer>) {
          if (first) {
            if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
            first = false;
          }
          parts.push(chunk);
          held += chunk.length;
          if (held < size) continue;
          const newline = chunk.lastIndexOf(10);
          if (newline === -1) continue; // a line longer than a batch: wait for its end
          yield take(held - (chunk.length - newline - 1));
        }
      } catch (err) {
        throw new UsageError(`${file}: can't read it (${(err as Error).message}); is it a complete .gz file?`);
      } finally {
        stream.destroy();
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
        if (line.trim() === "") continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (err) {
          throw new UsageError(`${this.file}:${n}: ${jsonProblem(err)}`);
        }
        users.push({ line: n, user: asUser(value, `${this.file}:${n}`) });
      }
      yield users;
    }
  }
}
