// Runs a TypeScript entry (main.ts, src/cli/*.ts) with node: esbuild bundles the project's own
// TypeScript (npm packages stay external) into node_modules/.cache, then node loads it.
// Faster than ts-node or tsx for `cdktf synth`; see docs/measured.md. Usage: node scripts/run-ts.mjs FILE [ARGS...]
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = process.argv[2];
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs FILE.ts [ARGS...]");
  process.exit(2);
}
const outdir = join(root, "node_modules", ".cache", "run-ts");
mkdirSync(outdir, { recursive: true });
const outfile = join(outdir, basename(entry).replace(/\.ts$/, "") + ".cjs");
// The same options as the bundles the tests run (__tests__/helpers/cli-bundles.ts).
const options = JSON.parse(readFileSync(join(root, "scripts", "bundle-options.json"), "utf8"));
const { outputFiles } = buildSync({
  ...options,
  absWorkingDir: root,
  entryPoints: [resolve(entry)],
  outfile,
  write: false,
});
// Written aside then renamed, so runs in parallel (tests, CI) never load a half-written bundle.
const partial = `${outfile}.${process.pid}.tmp`;
writeFileSync(partial, outputFiles[0].contents);
renameSync(partial, outfile);
process.argv.splice(1, 2, outfile);
createRequire(import.meta.url)(outfile);
