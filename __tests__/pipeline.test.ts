// The example GitHub Actions workflows parse, run the commands docs/gitops.md's pipeline recipe names,
// hold every terraform init to the committed lock, and fail the daily drift job on a plan with
// changes (its step run by bash against real Terraform); npm run validate says why it can't run
// without the Terraform registry.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { projectRoot } from "../src/project-root";

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Step = { name?: string; run?: string; uses?: string; env?: Record<string, string> };
type Job = { if?: string; steps?: Step[]; uses?: string; needs?: string; environment?: string; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, Job> };

const main = parse(read("examples/github-actions/auth0-claims.yml")) as Workflow;
const deploy = parse(read("examples/github-actions/auth0-claims-deploy.yml")) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.run).filter((r): r is string => !!r));

/** The commands in docs/gitops.md's pipeline recipe: lines of its ```sh blocks that start with npm or npx. */
function recipeCommands(): string[] {
  const doc = read("docs/gitops.md");
  const section = doc.slice(doc.indexOf("## A pipeline recipe"), doc.indexOf("\n## ", doc.indexOf("## A pipeline recipe") + 5));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).map((l) => l.trim()).filter((l) => /^(npm|npx) /.test(l));
}

test("both workflows parse as YAML, on pull requests, pushes to main, a daily schedule and on demand", () => {
  expect(Object.keys(main.on)).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
  expect(deploy.on).toHaveProperty("workflow_call");
  expect(main.jobs["deploy-prod"].needs).toBe("deploy-dev");
});

test("docs/gitops.md's pipeline recipe names exactly the commands the workflows run", () => {
  const commands = recipeCommands();
  expect(commands).toEqual([
    "npm ci",
    "npm test",
    "npm run synth",
    "npm run validate",
    "npx cdktf diff <env>",
    "npx cdktf deploy <env> --auto-approve",
    "npm run verify -- --env <env> --grant password",
    "npx cdktf synth",
  ]);
  const inWorkflows = [...runs(main), ...runs(deploy)].map((r) => r.replace(/\$\{\{ (matrix\.environment|inputs\.environment) \}\}/g, "<env>"));
  for (const command of commands) expect(inWorkflows.some((r) => r.startsWith(command))).toBe(true);
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
  const drift = main.jobs.drift;
  const planStep = drift.steps!.find((s) => s.name === "Plan, failing on drift")!;
  const work = mkdtempSync(join(tmpdir(), "claims-drift-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const tf = (args: string[]) => spawnSync("terraform", args, { cwd: work, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 60_000 });
  const runPlanStep = () => spawnSync("bash", ["-e", "-c", planStep.run!.replace(/\$\{\{ matrix\.environment \}\}/g, "dev")], { cwd: work, env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 60_000 });
  let withChanges: ReturnType<typeof runPlanStep>;
  let inSync: ReturnType<typeof runPlanStep>;
  beforeAll(() => {
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
    spawnSync(process.execPath, ["scripts/run-ts.mjs", "src/cli/validate.ts"], { cwd: root, env, encoding: "utf8", timeout: 600_000 });

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
