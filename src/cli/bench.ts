// `npm run bench`: measures, in one run on this machine, what the README reports. Each variant is
// run in turn, round after round, so background noise hits all of them alike; medians are shown.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { ClaimsStack } from "../claims-stack";
import { environments } from "../environments";
import { projectRoot } from "../project-root";

const root = projectRoot();
const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, only: { type: "string" } } });
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: --rounds ${values.rounds} is not a positive integer; e.g. --rounds 3`);
  process.exit(2);
}

interface Row {
  readonly what: string;
  readonly value: string;
  readonly note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv = {}): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(command, args, { cwd: root, env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...env }, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`bench: ${command} ${args.join(" ")} failed:\n${run.stderr || run.stdout}`);
  return ms;
}

function synthRows(): Row[] {
  const out = mkdtempSync(join(tmpdir(), "claims-bench-"));
  const cdktf = join(root, "node_modules", ".bin", "cdktf");
  const viaCli = (app: string) => () => timeCommand(cdktf, ["synth", "--app", app, "--output", join(out, "cli")]);
  // Bundle once so the "prebuilt" variant measures the CLI with no TypeScript work at all.
  timeCommand(process.execPath, ["scripts/run-ts.mjs", "main.ts"], { CDKTF_OUTDIR: join(out, "warmup") });
  const variants: [string, () => number, string][] = [
    ["cdktf synth, stock template app (npx ts-node main.ts)", viaCli("npx ts-node main.ts"), "the cdktf TypeScript template's default"],
    ["cdktf synth, tsx (npx tsx main.ts)", viaCli("npx tsx main.ts"), ""],
    ["cdktf synth, this project's app (node scripts/run-ts.mjs main.ts)", viaCli("node scripts/run-ts.mjs main.ts"), "cdktf.json"],
    ["cdktf synth, prebuilt bundle (CLI floor)", viaCli("node node_modules/.cache/run-ts/main.cjs"), "no TypeScript step at all"],
    ["npm run synth (no cdktf CLI)", () => timeCommand(process.execPath, ["scripts/run-ts.mjs", "src/cli/synth.ts", "--out", join(out, "npm")]), ""],
  ];
  const samples = variants.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) variants.forEach(([, run], i) => samples[i].push(run()));
  rmSync(out, { recursive: true, force: true });
  return variants.map(([what], i) => ({
    what,
    value: `${(median(samples[i]) / 1000).toFixed(2)} s`,
    note: `${variants[i][2] ? variants[i][2] + "; " : ""}min ${(Math.min(...samples[i]) / 1000).toFixed(2)} s of ${rounds}`,
  }));
}

function actionRows(): Row[] {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "claims-bench-app-")) });
  return environments.map((environment) => {
    const { compiled } = new ClaimsStack(app, environment).claims;
    return { what: `compiled action size (${environment.name})`, value: `${compiled.bytes} bytes`, note: `limit 100000; sha256 ${compiled.sha256.slice(0, 12)}` };
  });
}

const sections: [string, () => Row[]][] = [
  ["action", actionRows],
  ["synth", synthRows],
];
const rows: Row[] = [];
for (const [name, section] of sections) {
  if (values.only && values.only !== name) continue;
  rows.push(...section());
}
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${rounds} round(s)\n`);
console.log("| measure | value | note |\n| --- | --- | --- |");
for (const row of rows) console.log(`| ${row.what} | ${row.value} | ${row.note ?? ""} |`);
