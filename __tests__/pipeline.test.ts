// The example GitHub Actions workflows parse, run npm scripts and flags that exist (package.json, each CLI's --help),
// hold every terraform init to the committed lock, and fail the daily drift job on a plan with
// changes (its step run by bash against real Terraform); npm run validate says why it can't run
// without the Terraform registry.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { projectRoot } from "../src/project-root";
import { cli, type Entry } from "./helpers/cli-bundles";

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Step = { name?: string; run?: string; uses?: string; env?: Record<string, string> };
type Job = { if?: string; steps?: Step[]; uses?: string; needs?: string; environment?: string; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };

let main: Workflow;
let deploy: Workflow;
beforeAll(() => {
  main = parse(read("examples/github-actions/auth0-claims.yml")) as Workflow;
  deploy = parse(read("examples/github-actions/auth0-claims-deploy.yml")) as Workflow;
});
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.run).filter((r): r is string => !!r));

test("both workflows parse as YAML, on pull requests, pushes to main, a daily schedule and on demand", () => {
  expect(Object.keys(main.on)).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
  expect(deploy.on).toHaveProperty("workflow_call");
  expect(main.jobs["deploy-prod"].needs).toBe("deploy-dev");
});

/** The workflows' commands that run an npm script: [script, the arguments after --]. */
const npmRuns = () =>
  [...runs(main), ...runs(deploy)]
    .flatMap((r) => r.split("\n"))
    .map((line) => /^npm run (\S+)(?: -- (.*))?$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => [m[1], m[2] ?? ""] as const);

describe("the workflows' commands exist", () => {
  const scripts = (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts;
  /** --help of each script the workflows pass flags to, from its CLI's bundle. */
  const helps = new Map<string, string>();
  beforeAll(() => {
    for (const [script, args] of npmRuns()) {
      const entry = /^node scripts\/run-ts\.mjs (src\/cli\/[\w-]+\.ts)$/.exec(scripts[script] ?? "")?.[1];
      if (!args || !entry || helps.has(script)) continue;
      const help = spawnSync(process.execPath, [...cli(entry as Entry), "--help"], { cwd: root, encoding: "utf8", timeout: 60_000 });
      if (help.status !== 0) throw new Error(`npm run ${script} -- --help failed (${help.status}): ${help.stderr}`);
      helps.set(script, help.stdout);
    }
  });

  test("they run npm ci, npm test, npm run synth, validate and verify, and npx cdktf synth, diff and deploy", () => {
    const all = [...runs(main), ...runs(deploy)];
    for (const command of ["npm ci", "npm test", "npm run synth", "npm run validate", "npm run verify -- ", "npx cdktf synth", "npx cdktf diff ", "npx cdktf deploy "]) {
      expect(all.filter((r) => r.startsWith(command))).not.toEqual([]);
    }
  });

  test("every npm run and npm test names a script of package.json that runs one of the CLIs", () => {
    const named = [...npmRuns().map(([script]) => script), ...(runs(main).some((r) => r === "npm test") ? ["test"] : [])];
    expect(named.filter((script) => !(script in scripts))).toEqual([]);
    for (const [script] of npmRuns()) expect(scripts[script]).toMatch(/^node scripts\/run-ts\.mjs src\/cli\/[\w-]+\.ts$/);
  });

  test("every flag a workflow passes to an npm script is one its CLI's --help lists", () => {
    const passed = npmRuns().filter(([, args]) => args);
    expect(passed.length).toBeGreaterThan(0);
    for (const [script, args] of passed) {
      const listed = new Set([...helps.get(script)!.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((m) => m[1]));
      const flags = [...args.matchAll(/(?<![\w-])--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
      expect(flags.filter((flag) => !listed.has(flag))).toEqual([]);
    }
  });

  test("npx cdktf is the project's own cdktf CLI (a devDependency), not a download", () => {
    expect(JSON.parse(read("package.json")).devDependencies).toHaveProperty("cdktf-cli");
    expect(existsSync(join(root, "node_modules", ".bin", "cdktf"))).toBe(true);
  });
});

test("pull requests get the claims contract as a comment; merges deploy then verify", () => {
  expect(runs(main).some((r) => /gh pr comment .* --body-file cdktf\.out\/stacks\/\$\{\{ matrix\.environment \}\}\/claims-contract\.md/.test(r))).toBe(true);
  const steps = runs(deploy);
  expect(steps.findIndex((r) => r.startsWith("npx cdktf deploy"))).toBeLessThan(steps.findIndex((r) => r.startsWith("npm run verify")));
});

test("pull requests also get the comparison with the base branch's synthesized stack, over the sample users", () => {
  const steps = runs(main);
  const synthBase = steps.findIndex((r) => /git worktree add \.\.\/base FETCH_HEAD/.test(r) && /npm run synth -- --out/.test(r));
  const compare = steps.findIndex((r) => /npm run --silent preview -- "\$\{args\[@\]\}" --users samples\/users\.ndjson --markdown > compare\.md/.test(r));
  expect(synthBase).toBeGreaterThan(-1);
  expect(compare).toBeGreaterThan(synthBase);
  expect(steps[compare]).toContain("--compare \"$base\"");
  expect(steps.some((r) => /gh pr comment .* --body-file compare\.md/.test(r))).toBe(true);
});

test("credentials come from secrets, never written in the workflow", () => {
  for (const text of [read("examples/github-actions/auth0-claims.yml"), read("examples/github-actions/auth0-claims-deploy.yml")]) {
    for (const [, name, value] of text.matchAll(/^\s+(AUTH0_\w+): (.+)$/gm)) expect(value).toBe(`\${{ secrets.${name.replace(/^AUTH0_VERIFY_DOMAIN$/, "AUTH0_DOMAIN")} }}`);
  }
});

test("every job that runs terraform requires the committed lock file and inits with -lockfile=readonly", () => {
  const jobs = [...Object.values(main.jobs), ...Object.values(deploy.jobs)].filter((job) => job.steps);
  expect(jobs).toHaveLength(3);
  for (const job of jobs) {
    expect(job.env?.TF_CLI_ARGS_init).toBe("-lockfile=readonly");
    expect(job.steps!.find((s) => s.name === "Require the committed provider lock file")?.run).toMatch(/^test -f \.terraform\.lock\.hcl \|\| /);
  }
});

describe("the drift job", () => {
  let drift: Job;
  let planStep: Step;
  let work: string;
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));
  const tf = (args: string[]) => spawnSync("terraform", args, { cwd: work, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 60_000 });
  const runPlanStep = () => spawnSync("bash", ["-e", "-c", planStep.run!.replace(/\$\{\{ matrix\.environment \}\}/g, "dev")], { cwd: work, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 60_000 });
  let withChanges: ReturnType<typeof runPlanStep>;
  let inSync: ReturnType<typeof runPlanStep>;
  beforeAll(() => {
    drift = main.jobs.drift;
    planStep = drift.steps!.find((s) => s.name === "Plan, failing on drift")!;
    work = mkdtempSync(join(tmpdir(), "claims-drift-"));
    // A stack Terraform can plan offline (terraform_data needs no provider download), where the tenant would be.
    const stackDir = join(work, "cdktf.out", "stacks", "dev");
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(stackDir, "main.tf.json"), JSON.stringify({ resource: { terraform_data: { action: { input: "code v2" } } } }));
    if (tf(["-chdir=cdktf.out/stacks/dev", "init", "-input=false"]).status !== 0) throw new Error("terraform init failed");
    withChanges = runPlanStep();
    if (tf(["-chdir=cdktf.out/stacks/dev", "apply", "-input=false", "-auto-approve"]).status !== 0) throw new Error("terraform apply failed");
    inSync = runPlanStep();
  });

  test("runs on the schedule and on demand only, for every environment, after cdktf synth", () => {
    expect(drift.if).toBe("github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'");
    const steps = drift.steps!.map((s) => s.run ?? s.uses ?? "");
    expect(steps.indexOf("npx cdktf synth")).toBeLessThan(steps.indexOf(planStep.run!));
  });

  test("a plan with changes fails the job (exit 2) with an annotation naming the environment", () => {
    expect(withChanges.status).toBe(2);
    expect(withChanges.stdout).toContain("::error title=Drift in dev::the tenant differs from main");
  });

  test("a plan without changes passes (exit 0), quietly", () => {
    expect(inSync.status).toBe(0);
    expect(inSync.stdout).not.toContain("::error");
  });

  test("then verifies with a real login, which sees what a plan can't (secrets)", () => {
    expect(drift.steps!.some((s) => s.run?.startsWith("npm run verify -- --env ${{ matrix.environment }}"))).toBe(true);
  });
});

describe("npm run validate", () => {
  const runValidate = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [...cli("src/cli/validate.ts")], { cwd: root, env, encoding: "utf8", timeout: 600_000 });

  test("validates every stack against the real provider, or says it can't reach the registry (exit 3)", () => {
    const run = runValidate(process.env);
    if (run.status === 0) {
      expect(run.stdout).toMatch(/^dev: valid \(terraform validate against auth0\/auth0 1\.\d+\.\d+\)$/m);
      expect(run.stdout).toMatch(/^prod: valid/m);
    } else {
      expect(run.status).toBe(3);
      expect(run.stderr.trim()).toMatch(/^validate: can't run here: terraform init must download auth0\/auth0 from the Terraform registry, and it can't be reached \(.+\)\. Run npm run validate where registry\.terraform\.io is reachable/);
    }
  });

  test("without terraform on PATH it says what to install (exit 2)", () => {
    const run = runValidate({ ...process.env, PATH: dirname(process.execPath) });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe("validate: terraform is not on PATH; install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install)");
  });
});
