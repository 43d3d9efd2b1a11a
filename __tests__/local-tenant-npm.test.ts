// `npm run local-tenant` as a reader starts it: the tenant stops with its npm, however npm ends. Killed
// with SIGKILL, npm passes nothing on, so the tenant must notice it lost its parent; with SIGTERM, npm
// forwards the signal to its script, which must be the tenant itself and not a shell around it.
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { projectRoot } from "../src/project-root";

const started: ChildProcess[] = [];
afterAll(() => {
  // Whatever is left of each run's process group (a tenant that outlived its npm, on the old code).
  for (const child of started) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
});

/** `npm run local-tenant -- --port 0` in a process group of its own; npm, and the port once the tenant listens. */
function npmRunLocalTenant(): Promise<{ npm: ChildProcess; port: number }> {
  const npm = spawn("npm", ["run", "local-tenant", "--", "--port", "0"], {
    cwd: projectRoot(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(npm);
  return new Promise((resolve, reject) => {
    let output = "";
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1];
      if (port && output.includes("Ctrl-C stops it.")) resolve({ npm, port: Number(port) });
    };
    npm.stdout.on("data", read);
    npm.stderr.on("data", read);
    npm.on("exit", (code) => reject(new Error(`npm run local-tenant exited with ${code}:\n${output}`)));
  });
}

/** Whether something accepts a connection on 127.0.0.1:`port`. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test.each(["SIGKILL", "SIGTERM"] as const)(
  "npm killed with %s takes its tenant with it: the port closes",
  async (signal) => {
    const { npm, port } = await npmRunLocalTenant();
    expect(await listening(port)).toBe(true);
    process.kill(npm.pid!, signal);
    // Until it closes; jest's timeout bounds the wait (a tenant left listening never closes it).
    while (await listening(port)) await sleep(200);
    expect(await listening(port)).toBe(false);
  },
);
