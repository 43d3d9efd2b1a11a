// Every CLI behaves the same way: --help prints the whole usage on stdout, exit 0, no side effect, and
// lists exactly the flags its option spec accepts; an unknown flag exits 2 with the usage. Each CLI
// runs as a real process (its prebuilt bundle), twice, all side by side; one run goes through npm run.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import { cli, type Run, runProcess } from "./helpers/cli-bundles";

const root = projectRoot();
const CLIS = ["synth", "preview", "verify", "local-tenant", "validate", "bench", "lock"] as const;
type Cli = (typeof CLIS)[number];

interface Flag {
  readonly name: string;
  readonly type: "string" | "boolean";
  readonly short?: string;
}

const dir = mkdtempSync(join(tmpdir(), "claims-cli-"));
/** A terraform first on PATH that leaves a mark when anything runs it. */
const marker = join(dir, "terraform-ran");
const fakeBin = join(dir, "bin");
const synthOut = join(dir, "synth-out");
const observed = (name: Cli) => join(dir, `${name}.options.ndjson`);

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runProcess(command, args, {
    cwd: root,
    env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, ...env },
  });
}
const runCli = (name: Cli, args: string[], node: string[] = [], env: Record<string, string> = {}) =>
  run(process.execPath, [...node, ...cli(`src/cli/${name}.ts`), ...args], env);

/** The long flags --help lists, one per line ("  -x, --flag ARG   what it does"). */
const listedFlags = (help: string) => [...help.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]);

const help = new Map<Cli, Run>();
const unknown = new Map<Cli, Run>();
/** The option spec each CLI handed to parseArgs (observed by helpers/observe-options.cjs). */
const specs = new Map<Cli, Flag[]>();
let viaNpm: Run;

beforeAll(async () => {
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, "terraform"), `#!/bin/sh\necho "$@" >> "${marker}"\nexit 0\n`);
  chmodSync(join(fakeBin, "terraform"), 0o755);
  const observe = ["-r", join(root, "__tests__/helpers/observe-options.cjs")];
  await Promise.all([
    ...CLIS.flatMap((name) => [
      runCli(name, name === "synth" ? ["--help", "--out", synthOut] : ["--help"]).then((r) => help.set(name, r)),
      runCli(name, ["--no-such-flag"], observe, { CLAIMS_OBSERVE_OPTIONS: observed(name) }).then((r) => {
        unknown.set(name, r);
        const lines = existsSync(observed(name)) ? readFileSync(observed(name), "utf8").trim().split("\n") : [];
        if (lines.length === 1) specs.set(name, JSON.parse(lines[0]) as Flag[]);
      }),
    ]),
    // The path users take: npm runs scripts/run-ts.mjs, which bundles the CLI on the spot.
    run("npm", ["run", "--silent", "validate", "--", "--help"]).then((r) => (viaNpm = r)),
  ]);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(CLIS)("%s", (name) => {
  test("--help exits 0 with the usage on stdout and nothing on stderr", () => {
    const r = help.get(name)!;
    expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${name}\\b`));
    expect(r.stdout).toMatch(/^ {2}-h, --help +this text$/m);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("--help lists exactly the flags its option spec accepts, and every flag of its synopsis", () => {
    const text = help.get(name)!.stdout;
    const spec = specs.get(name);
    expect(spec).toBeDefined();
    const accepted = spec!.map((flag) => `--${flag.name}`);
    expect(
      listedFlags(text)
        .filter((flag) => flag !== "--help")
        .sort(),
    ).toEqual([...accepted].sort());
    const synopsis = text
      .split("\n")
      .filter((l) => !l.startsWith("  ") || l.startsWith("   "))
      .join(" ");
    const inSynopsis = [...synopsis.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
    expect(inSynopsis.filter((flag) => !accepted.includes(flag))).toEqual([]);
  });

  test("an unknown flag exits 2, naming it, with the usage on stderr", () => {
    const r = unknown.get(name)!;
    expect(r.stderr).toMatch(/--no-such-flag/);
    expect(r.stderr).toMatch(new RegExp(`^usage: npm run ${name}\\b`, "m"));
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});

test("npm run reaches the CLI through scripts/run-ts.mjs: validate --help exits 0 with its usage", () => {
  expect(viaNpm.stdout).toMatch(/^usage: npm run validate\n/);
  expect(viaNpm.status).toBe(0);
});

test("no CLI ran terraform for --help or an unknown flag (validate would run terraform init)", () => {
  expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
});

test("synth --help writes no stacks", () => {
  expect(existsSync(synthOut)).toBe(false);
});
