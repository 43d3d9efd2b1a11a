// A child process for tests: the local tenant (in process) over https, and Auth0's SDK and a scripted
// browser that trust its CA, driven by JSON lines on stdin. Jest can't load these ES modules itself
// on Node 20, so the tests send each step here and assert on the answers.
// Usage: node scripts/run-ts.mjs __tests__/helpers/tenant-driver.ts CERT_DIR
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { AuthClient } from "@auth0/auth0-auth-js";
import { startLocalTenant } from "../../src/local-tenant/tenant";
import { loadEnvironmentFlow } from "../../src/environment/load-action";
import type { ExportedUser } from "../../src/runtime/types";
import { fetchTrusting, TenantBrowser } from "./tenant-browser";

export interface DriverInfo {
  readonly url: string;
  readonly domain: string;
  readonly clientId: string;
  readonly managementAudience: string;
  readonly caFile: string;
}

async function main(certDir: string): Promise<void> {
  const users = readFileSync("samples/users.ndjson", "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as ExportedUser);
  const { flow } = loadEnvironmentFlow({ env: "dev" });
  const tenant = await startLocalTenant({ flow, users, password: "local-password", port: 0, https: { certDir } });
  const secureFetch = fetchTrusting(tenant.ca!.file);
  const clients: Record<string, AuthClient> = {
    auth: new AuthClient({
      domain: tenant.domain,
      clientId: tenant.clientId,
      clientSecret: tenant.clientSecret,
      customFetch: secureFetch,
    }),
    machine: new AuthClient({
      domain: tenant.domain,
      clientId: tenant.management.clientId,
      clientSecret: tenant.management.clientSecret,
      customFetch: secureFetch,
    }),
  };
  const browsers = new Map<string, TenantBrowser>();
  const browserNamed = (name: string) =>
    browsers.get(name) ?? browsers.set(name, new TenantBrowser(secureFetch)).get(name)!;

  const operations: Record<string, (request: Record<string, any>) => Promise<unknown>> = {
    sdk: async ({ client, method, args }) => {
      const values = method === "getTokenByCode" ? [new URL(args[0]), ...args.slice(1)] : args;
      return (clients[client] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...values);
    },
    fetch: async ({ url, init, browser }) => {
      const response = browser
        ? await browserNamed(browser).request(url, init)
        : await secureFetch(url, { ...init, redirect: "manual" });
      return {
        status: response.status,
        location: response.headers.get("location"),
        contentType: response.headers.get("content-type"),
        body: await response.text(),
      };
    },
    navigate: async ({ browser, url, callbackOrigin, login }) => {
      const result = await browserNamed(browser).navigate(url, callbackOrigin, login);
      return { callback: result.callback?.href, page: result.page };
    },
  };

  const info: DriverInfo = {
    url: tenant.url,
    domain: tenant.domain,
    clientId: tenant.clientId,
    managementAudience: tenant.management.audience,
    caFile: tenant.ca!.file,
  };
  process.stdout.write(JSON.stringify({ ready: info }) + "\n");
  for await (const line of createInterface({ input: process.stdin })) {
    const request = JSON.parse(line) as { id: number; op: string };
    try {
      const result = await operations[request.op](request);
      process.stdout.write(JSON.stringify({ id: request.id, result: result ?? null }) + "\n");
    } catch (err) {
      const e = err as Error & { cause?: unknown; code?: string };
      process.stdout.write(
        JSON.stringify({ id: request.id, error: { name: e.name, code: e.code, message: e.message, cause: e.cause } }) +
          "\n",
      );
    }
  }
  await tenant.close();
}

void main(process.argv[2]);
