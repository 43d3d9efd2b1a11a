// `npm test`: the type-check of everything (tsc, incremental: its build info is kept in
// node_modules/.cache) and the jest suite run side by side; fails if either fails.
// Arguments go to jest, e.g. `npm test -- __tests__/stacks.test.ts`.
// `npm run test:unit` (--unit): jest's unit project alone, no type-check (docs/testing.md). Its
// --selectProjects goes last: jest reads every word after it as a project name, a file too.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { setPriority } from "node:os";

const require = createRequire(import.meta.url);
const TSC = [require.resolve("typescript/bin/tsc"), "-p", ".", "--incremental", "--tsBuildInfoFile", "node_modules/.cache/tsc/tsconfig.tsbuildinfo"];
const unit = process.argv[2] === "--unit";
const JEST = [require.resolve("jest/bin/jest"), ...process.argv.slice(unit ? 3 : 2), ...(unit ? ["--selectProjects", "unit"] : [])];

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
  // tsc's report is held until jest is done, so the two never interleave. tsc runs at a lower
  // priority: its answer is only needed at the end, while jest starts its longest files first.
  const [tsc, jest] = await Promise.all([run(TSC, true, 10), run(JEST, false)]);
  if (tsc.code !== 0) process.stderr.write(`\ntsc -p . failed (exit ${tsc.code}${tsc.signal ? `, ${tsc.signal}` : ""}):\n${tsc.output}`);
  else process.stderr.write("tsc -p .: no type errors\n");
  process.exitCode = tsc.code !== 0 ? tsc.code : jest.code;
}
