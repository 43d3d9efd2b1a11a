// The sandbox worker thread's script: src/cli/sandbox-worker.ts bundled by esbuild with the options
// every CLI bundle uses (scripts/bundle-options.json), once per process, into node_modules/.cache (its
// npm packages, ses first, are required from the project's node_modules). Named by the hash of its
// bytes and written aside then renamed, so processes running side by side never load a half-written file.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSync, type BuildOptions } from "esbuild";
import { projectRoot } from "../project-root";

export const SANDBOX_WORKER_ENTRY = "src/cli/sandbox-worker.ts";

let built: string | undefined;

/** The path of the bundled worker script, built on first use in this process. */
export function sandboxWorkerScript(): string {
  if (built !== undefined && existsSync(built)) return built;
  const root = projectRoot();
  const options = JSON.parse(readFileSync(join(root, "scripts", "bundle-options.json"), "utf8")) as BuildOptions;
  const { outputFiles } = buildSync({ ...options, absWorkingDir: root, entryPoints: [SANDBOX_WORKER_ENTRY], write: false, outfile: "sandbox-worker.cjs" });
  const bytes = outputFiles[0].contents;
  const dir = join(root, "node_modules", ".cache", "sandbox");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `worker-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.cjs`);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, bytes);
    renameSync(partial, path);
  }
  built = path;
  return path;
}
