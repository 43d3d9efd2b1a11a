// The jest side of tenant-driver.ts: starts it once per test file and sends it one step at a time.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { projectRoot } from "../../src/project-root";
import type { DriverInfo } from "./tenant-driver";
import { cli } from "./cli-bundles";

export interface DriverResponse {
  readonly status: number;
  readonly location: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

export class TenantDriver {
  private next = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly info: DriverInfo,
    lines: AsyncIterableIterator<string>,
  ) {
    void (async () => {
      for await (const line of lines) {
        if (!line.startsWith("{")) continue; // a library's notice, not an answer
        const answer = JSON.parse(line) as {
          id: number;
          result?: unknown;
          error?: { message: string; cause?: unknown; name: string };
        };
        const waiting = this.pending.get(answer.id);
        this.pending.delete(answer.id);
        if (answer.error) waiting?.reject(Object.assign(new Error(answer.error.message), answer.error));
        else waiting?.resolve(answer.result);
      }
    })();
  }

  static async start(certDir: string): Promise<TenantDriver> {
    const child = spawn(process.execPath, [...cli("__tests__/helpers/tenant-driver.ts"), certDir], {
      cwd: projectRoot(),
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    let first = await lines.next();
    while (!first.done && !first.value.startsWith('{"ready"')) first = await lines.next();
    if (first.done) throw new Error(`the tenant driver exited: ${stderr}`);
    return new TenantDriver(child, (JSON.parse(first.value) as { ready: DriverInfo }).ready, lines);
  }

  private send<T>(op: string, request: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject });
      this.child.stdin.write(JSON.stringify({ id, op, ...request }) + "\n");
    });
  }

  /** Calls a method of Auth0's AuthClient: `auth` (the login application) or `machine` (Management API). */
  sdk<T = Record<string, any>>(client: "auth" | "machine", method: string, ...args: unknown[]): Promise<T> {
    return this.send<T>("sdk", { client, method, args });
  }

  /** A request that trusts the tenant's CA, with a named browser's cookies if given; redirects are not followed. */
  fetch(
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
    browser?: string,
  ): Promise<DriverResponse> {
    return this.send("fetch", { url, init, browser });
  }

  /** A named scripted browser (its cookies last across calls) follows `url`; see TenantBrowser.navigate. */
  navigate(
    browser: string,
    url: string,
    callbackOrigin: string,
    login?: { username: string; password: string },
  ): Promise<{ callback?: string; page?: { status: number; html: string; url: string } }> {
    return this.send("navigate", { browser, url, callbackOrigin, login });
  }

  close(): void {
    this.child.kill();
  }
}

/** The claims of a JWT, decoded without verification (the SDK checked the issuer, audience and expiry of ID tokens). */
export function claimsOf(jwt: unknown): Record<string, unknown> {
  return JSON.parse(Buffer.from(String(jwt).split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}
