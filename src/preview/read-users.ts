// Reads users in the Management API's shape from a file: one JSON object, a JSON array, or NDJSON
// (what Auth0's user export job writes), any of them gzipped. NDJSON is streamed line by line, so
// memory stays flat on a large export; a JSON array is read whole.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { UsageError } from "../errors";
import type { ExportedUser } from "../runtime/post-login-runtime";

/** Bad input: the CLI prints the message and exits 2. */
export class InputError extends UsageError {}

export interface NumberedUser {
  /** 1-based line of the user (NDJSON) or of the start of the document. */
  readonly line: number;
  readonly user: ExportedUser;
}

export type UserFileFormat = "ndjson" | "json";

/** Opens `file`, gunzipping it when it starts with gzip's magic bytes. */
function open(file: string): Readable {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw new InputError(`${file}: can't read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); check the path`);
  }
  const isFile = fstatSync(fd).isFile();
  const magic = Buffer.alloc(2);
  const read = isFile ? readSync(fd, magic, 0, 2, 0) : 0;
  closeSync(fd);
  if (!isFile) throw new InputError(`${file}: not a regular file; the preview reads its input twice (checked, then run), so save it to a file first`);
  const raw = createReadStream(file);
  if (read === 2 && magic[0] === 0x1f && magic[1] === 0x8b) {
    const gunzip = createGunzip();
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
    throw new InputError(`${file}: can't read it (${(err as Error).message}); is it a complete .gz file?`);
  } finally {
    stream.destroy();
  }
  if (pending.length > 0) yield [finish(pending.join(""))];
}

function asUser(value: unknown, where: string): ExportedUser {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
    throw new InputError(`${where}: expected a user object ({"user_id": ..., "app_metadata": {...}}), got ${got}`);
  }
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
    throw new InputError(`${where}: invalid JSON (${message.replace(/ in JSON at position.*$/, "")})`);
  }
}

/**
 * A user file: its format is found from its first line, then `users()` streams the users, checking
 * each one; a bad one throws InputError naming its line.
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
    if (firstLine === undefined) throw new InputError(`${file}: holds no users; give a JSON user object, a JSON array of users or NDJSON`);
    const start = firstLine.trimStart()[0];
    if (start !== "{" && start !== "[") {
      throw new InputError(`${file}:1: not JSON: expected a user object, an array of users or NDJSON (one user per line)`);
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
    if (users.length === 0) throw new InputError(`${file}: the array holds no users`);
    return new UserFile(file, "json", users as ExportedUser[]);
  }

  /** The users, a batch at a time, each checked; a bad one throws InputError naming its line. */
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
          throw new InputError(`${this.file}:${n}: invalid JSON (${(err as Error).message.replace(/ in JSON at position.*$/, "")})`);
        }
        users.push({ line: n, user: asUser(value, `${this.file}:${n}`) });
      }
      yield users;
    }
  }
}
