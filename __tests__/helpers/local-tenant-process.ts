// `npm run local-tenant` as a real process for tests, and `npm run verify` against it.
import { spawn, type ChildProcess } from "node:child_process";
import { projectRoot } from "../../src/project-root";
import { cli, type Run, runCli } from "./cli-bundles";

export interface TenantProcess {
  readonly url: string;
  /** Everything it printed up to "Ctrl-C stops it." */
  readonly output: string;
  readonly child: ChildProcess;
}

/** Starts the local tenant CLI with `args` (plus --port 0); resolves once it has printed its banner. */
export function startTenantProcess(...args: string[]): Promise<TenantProcess> {
  return startTenantProcessWith({}, ...args);
}

/** startTenantProcess, with extra environment variables. */
export function startTenantProcessWith(env: Record<string, string>, ...args: string[]): Promise<TenantProcess> {
  const child = spawn(process.execPath, [...cli("src/cli/local-tenant.ts"), "--port", "0", ...args], {
    cwd: projectRoot(),
    env: { ...process.env, ...env },
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (https?:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
      if (url && output.includes("Ctrl-C stops it.")) resolve({ url, output, child });
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => reject(new Error(`local tenant exited with ${code}: ${output}`)));
  });
}

/**
 * Runs `npm run verify` with `args` and extra environment variables; `onUrl` gets the authorize URL
 * when verify prints it (code flow).
 */
export function runVerify(
  args: string[],
  env: Record<string, string | undefined> = {},
  onUrl?: (url: string) => void,
): Promise<Run> {
  let seen = false;
  const look = (stdout: string, stderr: string) => {
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stdout + stderr)?.[1];
    if (url && !seen && onUrl) {
      seen = true;
      onUrl(url);
    }
  };
  return runCli(
    "src/cli/verify.ts",
    args,
    { cwd: projectRoot(), env: { ...process.env, AUTH0_CLIENT_ID: "", ...env } },
    look,
  );
}

/**
 * POST /oauth/token at the tenant at `url` as the tests' client (its id and secret added to
 * `fields`), bounded: the status and the JSON answer.
 */
export async function tokenAt(url: string, fields: Record<string, string>): Promise<{ status: number; body: any }> {
  const response = await fetch(new URL("oauth/token", url), {
    method: "POST",
    body: new URLSearchParams({ client_id: "local-test-client", client_secret: "local-test-secret", ...fields }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.json() };
}
