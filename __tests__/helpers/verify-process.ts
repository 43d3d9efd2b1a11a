// The local tenant and verify as real processes, for the end-to-end tests: start a tenant on a free
// port, run `npm run verify` and watch its output for the authorize URL.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { projectRoot } from "../../src/project-root";
import { cli, type Run, runCli } from "./cli-bundles";

const root = projectRoot();
const tenants: ChildProcess[] = [];

/** Starts `npm run local-tenant` on a free port; resolves with its URL once it listens. */
export function startTenant(...args: string[]): Promise<string> {
  const child = spawn(process.execPath, [...cli("src/cli/local-tenant.ts"), "--port", "0", ...args], { cwd: root });
  tenants.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) resolve(url);
    });
    child.on("exit", (code) => reject(new Error(`local tenant exited with ${code}: ${out}`)));
  });
}

/** Stops every tenant this file started. */
export function stopTenants(): void {
  for (const child of tenants.splice(0)) child.kill();
}

/** Runs `npm run verify`; `onUrl` gets the authorize URL when verify prints it (code flow). */
export function verify(args: string[], env: Record<string, string> = {}, onUrl?: (url: string) => void): Promise<Run> {
  let seen = false;
  const look = (stdout: string, stderr: string) => {
    const url = /^(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)$/m.exec(stdout + stderr)?.[1];
    if (url && !seen && onUrl) {
      seen = true;
      onUrl(url);
    }
  };
  return runCli("src/cli/verify.ts", args, { cwd: root, env: { ...process.env, AUTH0_CLIENT_ID: "", ...env } }, look);
}

/** A port free right now, for verify's callback listener. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
