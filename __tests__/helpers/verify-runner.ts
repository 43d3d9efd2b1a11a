// The test side of verify-worker.ts: one worker process per test file, cases sent as JSON lines
// and answered in any order, so slow cases (time-outs) run side by side.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { projectRoot } from "../../src/project-root";
import { cli } from "./cli-bundles";

export interface VerifyRun {
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the run took inside the worker. */
  readonly ms: number;
}

export class VerifyRunner {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (run: VerifyRun) => void>();
  private readonly watching = new Map<number, (text: string) => void>();
  private next = 0;

  constructor() {
    this.child = spawn(process.execPath, [...cli("__tests__/helpers/verify-worker.ts")], { cwd: projectRoot() });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const { id, partial, ...run } = JSON.parse(line) as VerifyRun & { id: number; partial?: string };
      if (partial !== undefined) return this.watching.get(id)?.(partial);
      this.waiting.get(id)?.(run);
      this.waiting.delete(id);
      this.watching.delete(id);
    });
    this.child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  }

  /**
   * Runs verify with `argv`; the environment is only `env` (plus PATH), never the test's own.
   * `onOutput` sees each piece of output as it is written (the authorize URL of the code flow).
   */
  run(argv: string[], env: Record<string, string> = {}, onOutput?: (text: string) => void): Promise<VerifyRun> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      if (onOutput) this.watching.set(id, onOutput);
      this.child.stdin.write(JSON.stringify({ id, argv, env: { PATH: process.env.PATH ?? "", ...env } }) + "\n");
    });
  }

  /**
   * Checks one ID token with verify's own checks (audience = clientId, nonce when given), against the
   * discovery and JWKS at `domain`: the names of the checks passed, or the error.
   */
  checkIdToken(idToken: {
    domain: string;
    clientId: string;
    token: string;
    nonce?: string;
  }): Promise<{ checks?: string[]; error?: string }> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, (run) =>
        resolve(run.exit === -1 ? { error: `worker: ${run.stderr}` } : JSON.parse(run.stdout)),
      );
      this.child.stdin.write(JSON.stringify({ id, idToken }) + "\n");
    });
  }

  close(): void {
    this.child.kill();
  }
}

/** The JSON report of a --json run. */
export function reportOf(run: { readonly stdout: string }): {
  error: string | null;
  verdict: string;
  [key: string]: any;
} {
  return JSON.parse(run.stdout.trim().split("\n").pop() as string);
}
