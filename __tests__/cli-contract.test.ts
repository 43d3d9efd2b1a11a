// Every CLI behaves the same way: --help prints the whole usage on stdout, exit 0, no side effect;
// an unknown flag exits 2 with the usage. Each CLI is spawned once per case, all side by side.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";

const root = projectRoot();
const CLIS = ["synth", "preview", "verify", "local-tenant", "validate", "bench"] as const;
type Cli = (typeof CLIS)[number];

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const dir = mkdtempSync(join(tmpdir(), "claims-cli-"));
/** A terraform first on PATH that leaves a mark when anything runs it. */
const marker = join(dir, "terraform-ran");
const fakeBin = join(dir, "bin");
const synthOut = join(dir, "synth-out");

function run(cli: Cli, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, ["scripts/run-ts.mjs", `src/cli/${cli}.ts`, ...args], {
    cwd: root,
    env: { ...process.env, PATH: `${fakeBin}:${process.env.PATH}` },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on("exit", (status) => resolve({ status, stdout, stderr })));
}

/** Flags the docs show for `npm run <cli>` (README.md and docs/*.md), continuation lines included. */
function documentedFlags(cli: Cli): string[] {
  const files = [join(root, "README.md"), ...(existsSync(join(root, "docs")) ? readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => join(root, "docs", f)) : [])];
  const flags = new Set<string>();
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n");
    lines.forEach((line, i) => {
      const at = line.search(new RegExp(`npm run ${cli}(?![\\w-])`));
      if (at < 0) return;
      let text = line.slice(at).split("`")[0];
      for (let j = i; lines[j].trimEnd().endsWith("\\") && j + 1 < lines.length; j++) text += " " + lines[j + 1];
      for (const [flag] of text.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)) flags.add(flag);
    });
  }
  return [...flags];
}

const help = new Map<Cli, Run>();
const unknown = new Map<Cli, Run>();

beforeAll(async () => {
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, "terraform"), `#!/bin/sh\necho "$@" >> "${marker}"\nexit 0\n`);
  chmodSync(join(fakeBin, "terraform"), 0o755);
  await Promise.all(
    CLIS.flatMap((cli) => [
      run(cli, cli === "synth" ? ["--help", "--out", synthOut] : ["--help"]).then((r) => help.set(cli, r)),
      run(cli, ["--no-such-flag"]).then((r) => unknown.set(cli, r)),
    ]),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(CLIS)("%s", (cli) => {
  test("--help exits 0 with the usage on stdout and nothing on stderr", () => {
    const r = help.get(cli)!;
    expect(r.stdout).toMatch(new RegExp(`^usage: npm run ${cli}\\b`));
    expect(r.stdout).toMatch(/^ {2}-h, --help +this text$/m);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  test("--help lists every flag the docs show and every flag of its own synopsis", () => {
    const text = help.get(cli)!.stdout;
    const listed = new Set([...text.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
    const synopsis = text.split("\n").filter((l) => !l.startsWith("  ") || l.startsWith("   ")).join(" ");
    const wanted = new Set([...documentedFlags(cli), ...[...synopsis.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0])]);
    expect([...wanted].filter((flag) => !listed.has(flag))).toEqual([]);
  });

  test("an unknown flag exits 2, naming it, with the usage on stderr", () => {
    const r = unknown.get(cli)!;
    expect(r.stderr).toMatch(/--no-such-flag/);
    expect(r.stderr).toMatch(new RegExp(`^usage: npm run ${cli}\\b`, "m"));
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});

test("no CLI ran terraform for --help or an unknown flag (validate would run terraform init)", () => {
  expect(existsSync(marker) ? readFileSync(marker, "utf8") : "").toBe("");
});

test("synth --help writes no stacks", () => {
  expect(existsSync(synthOut)).toBe(false);
});
