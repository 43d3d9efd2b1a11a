// The local tenant and verify as real processes, for the end-to-end tests: tenants a file stops
// together, verify watched for the authorize URL, a free port for its callback.
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { runVerify, startTenantProcess } from "./local-tenant-process";

const tenants: ChildProcess[] = [];

/** Starts `npm run local-tenant` on a free port; resolves with its URL once it is ready. */
export async function startTenant(...args: string[]): Promise<string> {
  const tenant = await startTenantProcess(...args);
  tenants.push(tenant.child);
  return tenant.url;
}

/** Stops every tenant this file started. */
export function stopTenants(): void {
  for (const child of tenants.splice(0)) child.kill();
}

/** Runs `npm run verify` (runVerify); `onUrl` gets the authorize URL when verify prints it (code flow). */
export const verify = runVerify;

/** A port free right now, for verify's callback listener. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}
