// Runs verify in-process, many cases in one node process: jest can't load openid-client and jose
// (ES modules), so tests start this once per file and send it cases (see verify-runner.ts).
import { createInterface } from "node:readline";
import { runVerify } from "../../src/verify/run";

interface Case {
  readonly id: number;
  readonly argv: string[];
  readonly env: Record<string, string>;
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, argv, env } = JSON.parse(line) as Case;
  let stdout = "";
  let stderr = "";
  const started = Date.now();
  const stream = (text: string) => process.stdout.write(JSON.stringify({ id, partial: text }) + "\n");
  const output = {
    stdout: (text: string) => ((stdout += text + "\n"), stream(text)),
    stderr: (text: string) => ((stderr += text + "\n"), stream(text)),
  };
  runVerify(argv, env, output).then(
    (exit) => process.stdout.write(JSON.stringify({ id, exit, stdout, stderr, ms: Date.now() - started }) + "\n"),
    (err: unknown) => process.stdout.write(JSON.stringify({ id, exit: -1, stdout, stderr: String(err), ms: Date.now() - started }) + "\n"),
  );
});
