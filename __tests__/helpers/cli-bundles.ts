// The CLIs as the tests spawn them: jest's globalSetup bundles every entry once (esbuild, as
// scripts/run-ts.mjs does per run) and the tests run `node <bundle>`; without globalSetup, run-ts.mjs.
import { spawn, type SpawnOptions } from "node:child_process";
import { buildSync, type BuildOptions } from "esbuild";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import BUNDLE_OPTIONS from "../../scripts/bundle-options.json";

/** Every TypeScript entry a test spawns. */
export const ENTRIES = [
  "src/cli/synth.ts",
  "src/cli/preview.ts",
  "src/cli/verify.ts",
  "src/cli/local-tenant.ts",
  "src/cli/validate.ts",
  "src/cli/bench.ts",
  "src/cli/lock.ts",
  "__tests__/helpers/verify-worker.ts",
  "__tests__/helpers/tenant-driver.ts",
] as const;
export type Entry = (typeof ENTRIES)[number];

const VARIABLE = "CLAIMS_TEST_BUNDLES";

/**
 * Bundles ENTRIES into a fresh folder under node_modules/.cache (the bundles require npm packages
 * from the project's node_modules, so they must live inside it) with run-ts.mjs's options
 * (scripts/bundle-options.json).
 */
export function buildBundles(root: string): string {
  const parent = join(root, "node_modules", ".cache", "test-bundles");
  mkdirSync(parent, { recursive: true });
  // globalTeardown removes each run's folder; a run that was killed leaves its own, gone after a day.
  for (const name of readdirSync(parent)) {
    const old = join(parent, name);
    if (Date.now() - statSync(old).mtimeMs > 86_400_000) rmSync(old, { recursive: true, force: true });
  }
  const outdir = mkdtempSync(join(parent, "run-"));
  buildSync({
    ...(BUNDLE_OPTIONS as BuildOptions),
    absWorkingDir: root,
    entryPoints: Object.fromEntries(ENTRIES.map((entry) => [basename(entry, ".ts"), entry])),
    outdir,
    outExtension: { ".js": ".cjs" },
  });
  process.env[VARIABLE] = outdir;
  return outdir;
}

/** node's arguments that run `entry`: its prebuilt bundle, or scripts/run-ts.mjs when none was built. */
export function cli(entry: Entry): string[] {
  const dir = process.env[VARIABLE];
  return dir ? [join(dir, basename(entry, ".ts") + ".cjs")] : ["scripts/run-ts.mjs", entry];
}

/** What a finished process printed, and how it ended. */
export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `command` to its end and collects its output. Resolves on "close", not "exit": only then has
 * all of the output been read. `onOutput` sees stdout and stderr so far after each chunk.
 */
export function runProcess(
  command: string,
  args: string[],
  options: SpawnOptions = {},
  onOutput?: (stdout: string, stderr: string) => void,
): Promise<Run> {
  const child = spawn(command, args, options);
  // A StringDecoder per stream: a character split across two reads of the pipe is decoded whole.
  const out = new StringDecoder("utf8");
  const err = new StringDecoder("utf8");
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => ((stdout += out.write(c)), onOutput?.(stdout, stderr)));
  child.stderr?.on("data", (c: Buffer) => ((stderr += err.write(c)), onOutput?.(stdout, stderr)));
  return new Promise((resolve) =>
    child.on("close", (status) => resolve({ status, stdout: stdout + out.end(), stderr: stderr + err.end() })),
  );
}

/** Runs a CLI entry (its bundle, see cli()) with `args` under node, to its end. */
export function runCli(
  entry: Entry,
  args: string[],
  options: SpawnOptions = {},
  onOutput?: (stdout: string, stderr: string) => void,
): Promise<Run> {
  return runProcess(process.execPath, [...cli(entry), ...args], options, onOutput);
}
