// The preview's --json output held in temporary files until the whole input is known to be good, so
// bad input found late leaves stdout empty; copied to stdout in input order at the end.
import { mkdtempSync, rmSync } from "node:fs";
import { FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { quote, UsageError } from "../errors";
import type { BatchResult } from "./workers";

export /**
 * JSON lines held in temporary files (one per worker, which writes its batches there) until the run
 * is known to be good; the main thread records where each batch is, in input order, then copies.
 */
class Spool {
  /** [worker, offset, length] of each batch's lines, in input order; adjacent ranges merged. */
  private readonly ranges: [number, number, number][] = [];

  private readonly onExit = () => this.remove();
  private readonly onSignal = (signal: NodeJS.Signals) => process.exit(signal === "SIGINT" ? 130 : 143);

  private constructor(private readonly dir: string) {
    // Also when the process ends early (a closed pipe exits from inside the copy), or is interrupted.
    process.once("exit", this.onExit);
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, this.onSignal);
  }

  /** A spool in TMPDIR; a TMPDIR that can't be written is bad input (exit 2), said in one line. */
  static create(): Spool {
    try {
      return new Spool(mkdtempSync(join(tmpdir(), "claims-preview-")));
    } catch (err) {
      throw new UsageError(
        `TMPDIR: can't create a folder in ${quote(tmpdir())} (${(err as NodeJS.ErrnoException).code}); --json output waits there until the whole input is read: set TMPDIR to a writable folder, e.g. TMPDIR=/tmp`,
      );
    }
  }

  /** The file worker `index` writes to. */
  file(index: number): string {
    return join(this.dir, `worker-${index}.ndjson`);
  }

  add(result: BatchResult): void {
    if (result.spoolError !== undefined) {
      throw new UsageError(`TMPDIR: writing in ${quote(this.dir)} failed (${result.spoolError}); set TMPDIR to a folder with room, e.g. TMPDIR=/tmp`);
    }
    const range = result.spooled;
    if (!range) return;
    const last = this.ranges[this.ranges.length - 1];
    if (last && last[0] === range.worker && last[1] + last[2] === range.offset) last[2] += range.length;
    else this.ranges.push([range.worker, range.offset, range.length]);
  }

  async copyTo(target: NodeJS.WritableStream): Promise<void> {
    const files = new Map<number, FileHandle>();
    const buffer = Buffer.allocUnsafe(1 << 20);
    try {
      for (const [worker, offset, length] of this.ranges) {
        let file = files.get(worker);
        if (!file) files.set(worker, (file = await open(this.file(worker), "r")));
        for (let at = 0; at < length; ) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, length - at), offset + at);
          if (bytesRead === 0) throw new Error(`spool file ${this.file(worker)} is shorter than written`);
          // The buffer is reused: wait until the target is done with it.
          await new Promise<void>((resolve, reject) => target.write(buffer.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())));
          at += bytesRead;
        }
      }
    } finally {
      for (const file of files.values()) await file.close();
    }
  }

  /** Deletes the files; the process's listeners go too, so runs in one process (the tests) don't pile them up. */
  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    process.off("exit", this.onExit);
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.off(signal, this.onSignal);
  }
}
