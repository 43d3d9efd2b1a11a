// `npm run bench`: measures, in one run on this machine, what the README reports. Each variant is
// run in turn, round after round, so background noise hits all of them alike; medians are shown.
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { MAX_ACTION_CODE_BYTES } from "../auth0/facts";
import { environments } from "../environments";
import { compileClaimsAction, DEFAULT_CLAIM_KEYS, NAMESPACE_SECRET } from "../compile/claims-action";
import { projectRoot } from "../project-root";
import { type BenchFigures, BENCH_KIND, type BenchWorkerData } from "../sandbox/bench-worker";
import { SANDBOX_HEAP_MB, startSandboxWorker } from "../sandbox/host";
import { UsageError } from "../errors";
import { readCommandLine } from "../command-line";
import { runCommand } from "./run-command";

const root = projectRoot();
const COMMAND = {
  name: "bench",
  usage: [
    "usage: npm run bench [-- --only action|handler|preview|synth] [--rounds N] [--users N]",
    "Measures, in one run on this machine, the figures the docs report (each variant in turn, medians).",
    "  --only PART   one part: action, handler, preview or synth (default: all)",
    "  --rounds N    rounds per variant (default 3; preview: 4 variants x 3 rounds of 1M users take about 2 minutes)",
    "  --users N     users in the generated export for preview and compare (default 1000000)",
    "  -h, --help    this text",
  ].join("\n"),
  options: {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    users: { type: "string", default: "1000000" },
  },
} as const;

type Values = NonNullable<ReturnType<typeof readCommandLine<typeof COMMAND.options>>>;
/** The flags, read by main before any section runs: every section reads them. */
let values: Values;
let rounds: number;

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
  const run = spawnSync(command, args, {
    cwd: root,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", ...env },
    encoding: "utf8",
  });
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
    [
      "cdktf synth, stock template app (npx ts-node main.ts)",
      viaCli("npx ts-node main.ts"),
      "the cdktf TypeScript template's default",
    ],
    ["cdktf synth, tsx (npx tsx main.ts)", viaCli("npx tsx main.ts"), ""],
    [
      "cdktf synth, this project's app (node scripts/run-ts.mjs main.ts)",
      viaCli("node scripts/run-ts.mjs main.ts"),
      "cdktf.json",
    ],
    [
      "cdktf synth, prebuilt bundle (CLI floor)",
      viaCli("node node_modules/.cache/run-ts/main.cjs"),
      "no TypeScript step at all",
    ],
    [
      "npm run synth (no cdktf CLI)",
      () => timeCommand(process.execPath, ["scripts/run-ts.mjs", "src/cli/synth.ts", "--out", join(out, "npm")]),
      "",
    ],
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
  return environments.map((environment) => {
    const { compiled } = compileClaimsAction(environment);
    return {
      what: `compiled action size (${environment.name})`,
      value: `${compiled.bytes} bytes`,
      note: `limit ${MAX_ACTION_CODE_BYTES}; sha256 ${compiled.sha256.slice(0, 12)}`,
    };
  });
}

/** A gzipped user export in Auth0's NDJSON shape: mostly ordinary users, some without metadata, some malformed, some large. Returns its raw size. */
async function writeExport(path: string, count: number): Promise<number> {
  const file = createWriteStream(path);
  const out = createGzip({ level: 1 });
  const done = pipeline(out, file);
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const kind = i % 10;
    const app_metadata =
      kind < 7
        ? {
            roles: ["viewer", i % 3 === 0 ? "editor" : "support"],
            permissions: ["read:reports", `read:team:${i % 50}`, "write:comments"],
            plan: "pro",
          }
        : kind === 7
          ? undefined
          : kind === 8
            ? { roles: null, permissions: "read:reports" }
            : { roles: ["admin"], permissions: Array.from({ length: 60 }, (_, j) => `read:resource:${j}`) };
    const line =
      JSON.stringify({
        user_id: `auth0|${String(i).padStart(8, "0")}`,
        email: `user${i}@example.com`,
        email_verified: i % 5 !== 0,
        name: `User ${i}`,
        created_at: "2024-01-01T00:00:00.000Z",
        identities: [
          { provider: "auth0", connection: "Username-Password-Authentication", user_id: String(i), isSocial: false },
        ],
        app_metadata,
        user_metadata: { theme: i % 2 ? "dark" : "light" },
      }) + "\n";
    bytes += line.length;
    if (!out.write(line)) await once(out, "drain");
  }
  out.end();
  await done;
  return bytes;
}

interface PreviewRun {
  readonly wall: number;
  readonly rate: number;
  readonly rss: number;
}

/** One `npm run preview` over the export (stdout discarded); the wall time and what --stats says. */
function previewRun(args: string[]): PreviewRun {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["scripts/run-ts.mjs", "src/cli/preview.ts", ...args, "--stats"], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e6;
  const match = /\((\d+) users\/s\) on \d+ worker\(s\), peak RSS ([\d.]+) MiB/.exec(run.stderr);
  if (run.status !== 0 || !match)
    throw new Error(`bench: preview ${args.join(" ")} failed (exit ${run.status}): ${run.stderr}`);
  return { wall, rate: Number(match[1]), rss: Number(match[2]) };
}

/**
 * Preview and compare (--json) over a generated gzipped export, on one worker and on every core.
 * Compare's base is the first environment's action with one claim key fewer, so most users gain a claim.
 */
async function previewRows(): Promise<Row[]> {
  const count = Number(values.users);
  const dir = mkdtempSync(join(tmpdir(), "claims-bench-export-"));
  try {
    const path = join(dir, "users.ndjson.gz");
    const bytes = await writeExport(path, count);
    const base = join(dir, "base.js");
    const environment = environments[0];
    writeFileSync(
      base,
      compileClaimsAction({ ...environment, claimKeys: (environment.claimKeys ?? DEFAULT_CLAIM_KEYS).slice(0, 1) })
        .compiled.code,
    );
    const cores = availableParallelism();
    const variants: [string, string[]][] = [
      ["preview --json, 1 worker", ["--users", path, "--json", "--workers", "1"]],
      [`preview --json, ${cores} workers`, ["--users", path, "--json", "--workers", String(cores)]],
      ["compare --json, 1 worker", ["--users", path, "--json", "--compare", base, "--workers", "1"]],
      [`compare --json, ${cores} workers`, ["--users", path, "--json", "--compare", base, "--workers", String(cores)]],
    ];
    const samples = variants.map(() => [] as PreviewRun[]);
    for (let r = 0; r < rounds; r++) variants.forEach(([, args], i) => samples[i].push(previewRun(args)));
    const size = `${count.toLocaleString("en-US")} users (gzipped NDJSON, ${(bytes / 2 ** 20).toFixed(0)} MiB raw)`;
    return variants.map(([what, _args], i) => {
      const walls = samples[i].map((s) => s.wall);
      const one = i % 2 === 1 ? median(samples[i - 1].map((s) => s.wall)) : undefined;
      const speedUp = one === undefined ? "" : `; ${(one / median(walls)).toFixed(2)}x the 1-worker wall`;
      return {
        what: `${what}, ${size}`,
        value: `${(median(walls) / 1000).toFixed(2)} s wall`,
        note:
          `${Math.round(median(samples[i].map((s) => s.rate))).toLocaleString("en-US")} users/s, peak RSS ${Math.max(...samples[i].map((s) => s.rss)).toFixed(0)} MiB; ` +
          `min ${(Math.min(...walls) / 1000).toFixed(2)} s of ${rounds}${speedUp}`,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function handlerRows(): Promise<Row[]> {
  const { compiled } = compileClaimsAction(environments[0]);
  const data: BenchWorkerData = {
    kind: BENCH_KIND,
    action: { code: compiled.code, secrets: { [NAMESPACE_SECRET]: "https://example.com/claims" } },
    user: {
      user_id: "auth0|1",
      app_metadata: { roles: ["admin", "editor"], permissions: ["read:reports", "write:reports", "read:team"] },
      user_metadata: {},
    },
  };
  // In a sandbox worker, where every tool runs actions (docs/sandbox.md).
  const worker = startSandboxWorker(data, SANDBOX_HEAP_MB);
  const figures = await new Promise<BenchFigures>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  await worker.terminate();
  return [
    {
      what: `handler per login (${environments[0].name}: 2 claims on 2 tokens)`,
      value: `${median(figures.handler.slice(50)).toFixed(2)} µs median`,
      note: "onExecutePostLogin alone, warm, in the sandbox; target <= 5 µs",
    },
    {
      what: "full local login per user (event, handler, Auth0 rules)",
      value: `${median(figures.login.slice(10)).toFixed(2)} µs median`,
      note: "a flow of the one action (FlowRuntime.loginNow), in the sandbox, as preview runs it",
    },
  ];
}

const sections: [string, () => Row[] | Promise<Row[]>][] = [
  ["action", actionRows],
  ["handler", handlerRows],
  ["preview", previewRows],
  ["synth", synthRows],
];

async function main(): Promise<number> {
  const read = readCommandLine(COMMAND);
  if (!read) return 0;
  values = read;
  rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new UsageError("ERR_USAGE", `--rounds: ${values.rounds} is not a positive integer; e.g. --rounds 3`);
  const users = Number(values.users);
  if (!Number.isInteger(users) || users < 1)
    throw new UsageError("ERR_USAGE", `--users: ${values.users} is not a positive integer; e.g. --users 100000`);
  const parts = sections.map(([name]) => name);
  if (values.only !== undefined && !parts.includes(values.only))
    throw new UsageError("ERR_USAGE", `--only: ${values.only} is not a part; use one of ${parts.join(", ")}`);
  const rows: Row[] = [];
  for (const [name, section] of sections) {
    if (values.only && values.only !== name) continue;
    rows.push(...(await section()));
  }
  print(rows);
  return 0;
}

function print(rows: Row[]): void {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${rounds} round(s); load average at the end ${load} (1, 5, 15 min)\n`,
  );
  console.log("| measure | value | note |\n| --- | --- | --- |");
  for (const row of rows) console.log(`| ${row.what} | ${row.value} | ${row.note ?? ""} |`);
}

runCommand(COMMAND.name, main);
