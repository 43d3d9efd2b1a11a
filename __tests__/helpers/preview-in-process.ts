// The preview CLI run inside the test's process (runPreview, as src/cli/preview.ts runs it), its
// sandbox worker threads as the CLI starts them: what a spawned `npm run preview` prints and exits
// with, without starting node and loading the CLI for every case.
import { Writable } from "node:stream";
import { runPreview } from "../../src/preview/run";
import type { Run } from "./cli-bundles";

/** A stream that keeps what is written to it. */
function collector(): { stream: Writable; text(): string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      // A copy: the writer may reuse its buffer once told the write is done (Spool.copyTo does).
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Runs `npm run preview -- ARGS` in this process: its exit code, stdout and stderr. */
export async function preview(...args: string[]): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const status = await runPreview(args, { stdout: stdout.stream, stderr: stderr.stream });
  return { status, stdout: stdout.text(), stderr: stderr.text() };
}
