// The unit tier's rule, enforced (setupFilesAfterEnv of the "unit" project in jest.config.js): a
// file there starts no process. Every function that starts one (child_process's spawn, exec,
// execFile, fork and their sync forms, cluster's fork) throws, for the test file and every module it
// loads (puppeteer's browser launch, the cdktf CLI, terraform, a tenant or verify process), and a
// call that something caught still fails the file after its tests. Worker threads are not processes:
// the sandbox and the preview run in them. esbuild's own binary is allowed (the compiler, as its
// synchronous API already runs it from a thread jest's module registry never sees).
// jest.mock here, before the test file loads, needs no hoisting (scripts/jest-esbuild.cjs has none).
import { relative } from "node:path";
import { quote } from "../../src/errors";

const STARTERS: Readonly<Record<string, readonly string[]>> = {
  child_process: ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"],
  cluster: ["fork"],
};

const ESBUILD_BINARY = /[\\/]node_modules[\\/](?:@esbuild[\\/][^\\/]+|esbuild)[\\/]bin[\\/]esbuild(?:\.exe)?$/;

const started: string[] = [];

function testFile(): string {
  const path = expect.getState().testPath;
  return path ? relative(process.cwd(), path) : "this test file";
}

function guard(module: string, name: string, actual: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return function guarded(this: unknown, ...args: unknown[]) {
    const command = typeof args[0] === "string" ? args[0] : "";
    if (
      module === "child_process" &&
      (ESBUILD_BINARY.test(command) || (command !== "" && command === process.env.ESBUILD_BINARY_PATH))
    ) {
      return actual.apply(this, args);
    }
    const what = `${module}.${name}(${command ? quote(command) : ""})`;
    started.push(what);
    throw new Error(
      `unit tier: ${testFile()} starts a process (${what}); move it to the integration project (jest.config.js)`,
    );
  };
}

for (const [module, names] of Object.entries(STARTERS)) {
  for (const id of [module, `node:${module}`]) {
    jest.mock(id, () => {
      const actual = jest.requireActual<Record<string, unknown>>(id);
      const guarded = new Map(
        names.map((name) => [name, guard(module, name, actual[name] as (...args: unknown[]) => unknown)]),
      );
      // A proxy, not a copy: cluster is an EventEmitter whose methods must keep working on the real one.
      return new Proxy(actual, {
        get: (target, key, receiver) =>
          (typeof key === "string" && guarded.get(key)) || Reflect.get(target, key, receiver),
      });
    });
  }
}

/** The attempts recorded so far, forgotten: for the test of this guard (test-tiers.test.ts) only. */
export function takeStarts(): string[] {
  return started.splice(0);
}

afterAll(() => {
  if (started.length > 0) {
    throw new Error(
      `unit tier: ${testFile()} tried to start ${started.length} process(es), first ${started[0]}; move it to the integration project (jest.config.js)`,
    );
  }
});
