// `npm test`: the type-check of everything (tsc, incremental: its build info is kept in
// node_modules/.cache), the lint (`npm run lint`: ESLint, then Prettier's check) and the jest suite
// run side by side; fails if any fails.
// Arguments go to jest, e.g. `npm test -- __tests__/stacks.test.ts`.
// `npm run test:unit` (--unit): jest's unit project alone, no type-check (docs/testing.md). Its
// --selectProjects goes last: jest reads every word after it as a project name, a file too.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
/** A package's command, found through its package.json (its `exports` may hide the bin file). */
function bin(name) {
  const manifest = require.resolve(`${name}/package.json`);
  const { bin } = JSON.parse(readFileSync(manifest, "utf8"));
  return join(dirname(manifest), typeof bin === "string" ? bin : bin[name]);
}
const ESLINT = [bin("eslint"), "."];
const PRETTIER = [bin("prettier"), "--check", "--log-level", "warn", "."];
const TSC = [
  require.resolve("typescript/bin/tsc"),
  "-p",
  ".",
  "--incremental",
  "--tsBuildInfoFile",
  "node_modules/.cache/tsc/tsconfig.tsbuildinfo",
];
const unit = process.argv[2] === "--unit";
const JEST = [
  require.resolve("jest/bin/jest"),
  ...process.argv.slice(unit ? 3 : 2),
  ...(unit ? ["--selectProjects", "unit"] : []),
];

function run(args, quiet, nice = 0) {
  const child = spawn(process.execPath, args, { stdio: quiet ? ["ignore", "pipe", "pipe"] : "inherit" });
  if (nice) setPriority(child.pid, nice);
  let output = "";
  if (quiet) for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk) => (output += chunk));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code: code ?? 1, signal, output })));
}

if (unit) {
  process.exitCode = (await run(JEST, false)).code;
} else {
  // The reports of tsc and the lint are held until jest is done, so nothing interleaves. They run at
  // a lower priority: their answers are only needed at the end, while jest starts its longest files
  // first. The lint runs after tsc, not beside it: two cores are jest's.
  const checks = (async () => {
    const results = [["tsc -p .", await run(TSC, true, 19), "no type errors"]];
    results.push(["eslint .", await run(ESLINT, true, 19), "no problems"]);
    results.push(["prettier --check .", await run(PRETTIER, true, 19), "formatted"]);
    return results;
  })();
  const [results, jest] = await Promise.all([checks, run(JEST, false)]);
  let failed = 0;
  for (const [name, { code, signal, output }, clean] of results) {
    if (code === 0) process.stderr.write(`${name}: ${clean}\n`);
    else process.stderr.write(`\n${name} failed (exit ${code}${signal ? `, ${signal}` : ""}):\n${output}`);
    failed ||= code;
  }
  process.exitCode = failed || jest.code;
}
