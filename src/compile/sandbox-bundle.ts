// The sandbox worker thread's script: src/cli/sandbox-worker.ts bundled by esbuild with the options
// every CLI bundle uses (scripts/bundle-options.json), into node_modules/.cache/sandbox (its npm
// packages, ses first, are required from the project's node_modules). Named by the hash of its bytes
// and written aside then renamed, so processes running side by side never load a half-written file.
// A manifest of the sources it was built from (size and time of each) lets a later process reuse it
// without running esbuild, a cost every process paid (docs/measured.md#figures-behind-the-code), while no source has changed.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildSync, type BuildOptions, version as esbuildVersion } from "esbuild";
import { projectRoot } from "../project-root";

export const SANDBOX_WORKER_ENTRY = "src/cli/sandbox-worker.ts";
const OPTIONS_FILE = "scripts/bundle-options.json";

/** What a build was made from: each source (relative to the root) with its size and modification time. */
interface Manifest {
  readonly esbuild: string;
  readonly script: string;
  readonly inputs: Readonly<Record<string, readonly [number, number]>>;
}

let built: string | undefined;

/** The path of the bundled worker script: built on first use in this process, unless the last build is still current. */
export function sandboxWorkerScript(): string {
  if (built !== undefined && existsSync(built)) return built;
  const root = projectRoot();
  const dir = join(root, "node_modules", ".cache", "sandbox");
  const manifestFile = join(dir, "manifest.json");
  built = current(root, manifestFile) ?? build(root, dir, manifestFile);
  return built;
}

/** The last build's script, if it exists and every source it was built from is unchanged. */
function current(root: string, manifestFile: string): string | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (
    manifest?.esbuild !== esbuildVersion ||
    typeof manifest.script !== "string" ||
    !existsSync(manifest.script) ||
    typeof manifest.inputs !== "object"
  )
    return undefined;
  for (const [file, [size, mtime]] of Object.entries(manifest.inputs)) {
    try {
      const stat = statSync(join(root, file));
      if (stat.size !== size || stat.mtimeMs !== mtime) return undefined;
    } catch {
      return undefined;
    }
  }
  return manifest.script;
}

function build(root: string, dir: string, manifestFile: string): string {
  const options = JSON.parse(readFileSync(join(root, OPTIONS_FILE), "utf8")) as BuildOptions;
  const started = Date.now();
  const { outputFiles, metafile } = buildSync({
    ...options,
    absWorkingDir: root,
    entryPoints: [SANDBOX_WORKER_ENTRY],
    write: false,
    outfile: "sandbox-worker.cjs",
    metafile: true,
  });
  const bytes = outputFiles[0].contents;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `worker-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}.cjs`);
  if (!existsSync(path)) writeAside(path, bytes);
  // Sizes and times as they were when the build began: a source saved during the build is seen next time.
  const inputs: Record<string, [number, number]> = {};
  for (const file of [...Object.keys(metafile.inputs), OPTIONS_FILE]) {
    const stat = statSync(join(root, file));
    inputs[file] = stat.mtimeMs > started ? [-1, -1] : [stat.size, stat.mtimeMs];
  }
  writeAside(manifestFile, JSON.stringify({ esbuild: esbuildVersion, script: path, inputs } satisfies Manifest));
  return path;
}

function writeAside(path: string, contents: string | Uint8Array): void {
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, contents);
  renameSync(partial, path);
}
