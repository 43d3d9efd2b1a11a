// The example GitHub Actions workflows parse, run npm scripts and flags that exist (package.json, each CLI's --help),
// hold every terraform init to the committed lock, pin every action to a commit, test once per pull
// request, and fail the daily drift job on a plan with changes (its step run by bash against real
// Terraform); npm run validate says why it can't run without the Terraform registry. Who holds
// which secret: workflow-secrets.test.ts.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { projectRoot } from "../src/project-root";
import { cli, type Entry } from "./helpers/cli-bundles";

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Step = {
  name?: string;
  run?: string;
  uses?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
};
type Job = {
  if?: string;
  steps?: Step[];
  uses?: string;
  needs?: string;
  environment?: string;
  env?: Record<string, string>;
  strategy?: unknown;
};
type Workflow = { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };

let main: Workflow;
let deploy: Workflow;
beforeAll(() => {
  main = parse(read("examples/github-actions/auth0-claims.yml")) as Workflow;
  deploy = parse(read("examples/github-actions/auth0-claims-deploy.yml")) as Workflow;
});
const runs = (w: Workflow) =>
  Object.values(w.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.run).filter((r): r is string => !!r));

test("both workflows parse as YAML, on pull requests, pushes to main, a daily schedule and on demand", () => {
  expect(Object.keys(main.on)).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
  expect(deploy.on).toHaveProperty("workflow_call");
  expect(main.jobs["deploy-prod"].needs).toBe("deploy-dev");
});

/** The workflows' commands that run an npm script: [script, the arguments after --]. */
const npmRuns = () =>
  [...runs(main), ...runs(deploy)]
    .flatMap((r) => r.split("\n"))
    .map((line) => /^npm run (?:--silent )?(\S+)(?: -- (.*))?$/.exec(line.trim()))
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
      const help = spawnSync(process.execPath, [...cli(entry as Entry), "--help"], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
      });
      if (help.status !== 0) throw new Error(`npm run ${script} -- --help failed (${help.status}): ${help.stderr}`);
      helps.set(script, help.stdout);
    }
  });

  test("they run npm ci, npm test, npm run synth, validate and verify, and npx cdktf synth, diff and deploy", () => {
    const all = [...runs(main), ...runs(deploy)];
    for (const command of [
      "npm ci",
      "npm test",
      "npm run synth",
      "npm run validate",
      "npm run verify -- ",
      "npx cdktf synth",
      "npx cdktf diff ",
      "npx cdktf deploy ",
    ]) {
      expect(all.filter((r) => r.startsWith(command))).not.toEqual([]);
    }
  });

  test("every npm run and npm test names a script of package.json that runs one of the CLIs", () => {
    const named = [
      ...npmRuns().map(([script]) => script),
      ...(runs(main).some((r) => r === "npm test") ? ["test"] : []),
    ];
    expect(named.filter((script) => !(script in scripts))).toEqual([]);
    for (const [script] of npmRuns())
      expect(scripts[script]).toMatch(/^node scripts\/run-ts\.mjs src\/cli\/[\w-]+\.ts$/);
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

/** The artifact a job uploads (upload-artifact's `name` and `path` lines) or downloads (its `name`). */
const artifacts = (job: Job, action: "upload-artifact" | "download-artifact") =>
  (job.steps ?? [])
    .filter((s) => s.uses?.startsWith(`actions/${action}@`))
    .map((s) => ({
      name: String(s.with?.name),
      path: (typeof s.with?.path === "string" ? s.with.path : "").split("\n").filter(Boolean),
    }));

test("pull requests get each environment's claims contract as a comment, posted by a job that runs none of their code; merges deploy then verify", () => {
  const uploaded = artifacts(main.jobs.test, "upload-artifact");
  expect(uploaded).toHaveLength(1);
  expect(uploaded[0].path).toContain("cdktf.out/stacks/*/claims-contract.md");
  expect(main.jobs.comment.needs).toBe("test");
  expect(artifacts(main.jobs.comment, "download-artifact").map((a) => a.name)).toEqual([uploaded[0].name]);
  expect(
    (main.jobs.comment.steps ?? []).filter((s) =>
      s.run?.includes('gh pr comment "$PR" --body-file "cdktf.out/stacks/$env/claims-contract.md"'),
    ),
  ).toHaveLength(1);
  expect((main.jobs.comment.steps ?? []).some((s) => s.uses?.startsWith("actions/checkout@"))).toBe(false);
  const steps = runs(deploy);
  expect(steps.findIndex((r) => r.startsWith("npx cdktf deploy"))).toBeLessThan(
    steps.findIndex((r) => r.startsWith("npm run verify")),
  );
});

test("pull requests also get the comparison with the base branch's synthesized stack: over the sample users without secrets, over the export after approval", () => {
  const testJob = main.jobs.test;
  const checkout = testJob.steps!.find((s) => s.uses?.startsWith("actions/checkout@"))!;
  // HEAD is the merge commit; its first parent, the base branch, is there only with a depth of 2.
  expect(checkout.with?.["fetch-depth"]).toBe(2);
  const steps = runs({ on: {}, jobs: { test: testJob } });
  const synthBase = steps.findIndex(
    (r) =>
      /git worktree add \.\.\/base HEAD\^1/.test(r) && /npm run synth -- --out "\$GITHUB_WORKSPACE\/base\.out"/.test(r),
  );
  const compare = steps.findIndex((r) =>
    /npm run --silent preview -- --env "\$env" --compare "\$base" --users samples\/users\.ndjson --markdown > "compare-\$env\.md"/.test(
      r,
    ),
  );
  expect(synthBase).toBeGreaterThan(-1);
  expect(compare).toBeGreaterThan(synthBase);
  expect(artifacts(testJob, "upload-artifact")[0].path).toEqual(
    expect.arrayContaining(["compare-*.md", "base.out/stacks/*/cdk.tf.json"]),
  );
  expect(
    (main.jobs.comment.steps ?? []).some((s) => s.run?.includes('gh pr comment "$PR" --body-file "compare-$env.md"')),
  ).toBe(true);

  const review = runs({ on: {}, jobs: { review: main.jobs.review } });
  expect(
    review.some((r) =>
      r.includes(
        'npm run --silent preview -- "${args[@]}" --users users-export.ndjson.gz --markdown --summary-json compare-export.json > compare-export.md',
      ),
    ),
  ).toBe(true);
  expect(main.jobs["review-comment"].needs).toBe("review");
  expect(
    (main.jobs["review-comment"].steps ?? []).some((s) =>
      s.run?.includes('gh pr comment "$PR" --body-file compare-export.md'),
    ),
  ).toBe(true);
});

describe("hardening", () => {
  const texts = () =>
    ["examples/github-actions/auth0-claims.yml", "examples/github-actions/auth0-claims-deploy.yml"].map(
      (path) => [path, read(path)] as const,
    );
  const allJobs = () => [...Object.entries(main.jobs), ...Object.entries(deploy.jobs)];
  /** Jobs whose steps name a secret or that may ask for an OIDC token. */
  const credentialed = () =>
    allJobs().filter(
      ([, job]) => /\$\{\{\s*secrets\./.test(JSON.stringify(job)) || /"id-token":"write"/.test(JSON.stringify(job)),
    );

  test("every action from another repository is pinned to a full commit SHA, with its release tag in a comment", () => {
    const uses = texts().flatMap(([path, text]) =>
      text
        .split("\n")
        .filter((line) => /^\s*(- )?uses: /.test(line))
        .map((line) => ({ path, line: line.trim().replace(/^- /, "") })),
    );
    const remote = uses.filter((u) => !u.line.startsWith("uses: ./"));
    expect(remote.length).toBeGreaterThanOrEqual(10);
    expect(
      remote.filter((u) => !/^uses: [\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(u.line)),
    ).toEqual([]);
    // One commit per action and tag: a bump changes every use at once.
    const tagOf = new Map<string, string>();
    for (const { line } of remote) {
      const [, action, sha, tag] = /^uses: (\S+)@(\S+) # (\S+)$/.exec(line)!;
      for (const [key, value] of [
        [`${action}@${sha}`, tag],
        [`${action}#${tag}`, sha],
      ]) {
        expect(tagOf.get(key) ?? value).toBe(value);
        tagOf.set(key, value);
      }
    }
  });

  test("npm test runs once per pull request, in one job without a matrix, a secret or OIDC", () => {
    const testing = allJobs().filter(([, job]) => (job.steps ?? []).some((s) => s.run === "npm test"));
    expect(testing.map(([id]) => id)).toEqual(["test"]);
    const [, job] = testing[0];
    expect(job.if).toBe("github.event_name == 'pull_request'");
    expect(job.strategy).toBeUndefined();
    expect(JSON.stringify(job)).not.toMatch(/secrets\./);
    expect(job).toHaveProperty("permissions", { contents: "read" });
  });

  test("the workflow grants nothing by default; every job asks for its own permissions", () => {
    expect(main.permissions).toEqual({});
    for (const [id, job] of allJobs())
      expect([id, job]).toEqual([id, expect.objectContaining({ permissions: expect.any(Object) })]);
  });

  test("no checkout leaves the job's token in .git/config, and no job that holds credentials restores an npm cache", () => {
    const checkouts = allJobs().flatMap(([, job]) =>
      (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/checkout@")),
    );
    expect(checkouts).toHaveLength(4); // test, review, drift, deploy
    for (const step of checkouts) expect(step.with?.["persist-credentials"]).toBe(false);
    const setups = credentialed().flatMap(([, job]) =>
      (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/setup-node@")),
    );
    expect(setups).toHaveLength(3); // review, drift, deploy
    for (const step of setups) expect(step.with).toEqual(expect.objectContaining({ "package-manager-cache": false }));
    for (const step of setups) expect(step.with).not.toHaveProperty("cache");
  });
});

test("credentials come from secrets, never written in the workflow; plan and drift get the read-only client's", () => {
  /**
   * The secrets a variable may be set from: its own name; the domain for verify's; the read-only
   * client's for the provider's and for verify --deployed's Management API reads.
   */
  const allowed = (name: string) =>
    name === "AUTH0_VERIFY_DOMAIN"
      ? ["AUTH0_DOMAIN"]
      : /^AUTH0_CLIENT_(ID|SECRET)$/.test(name)
        ? [name, name.replace("AUTH0_", "AUTH0_PLAN_")]
        : /^AUTH0_VERIFY_MGMT_CLIENT_(ID|SECRET)$/.test(name)
          ? [name, name.replace("AUTH0_VERIFY_MGMT_", "AUTH0_PLAN_")]
          : [name];
  for (const text of [
    read("examples/github-actions/auth0-claims.yml"),
    read("examples/github-actions/auth0-claims-deploy.yml"),
  ]) {
    for (const [, name, value] of text.matchAll(/^\s+(AUTH0_\w+): (.+)$/gm)) {
      expect(allowed(name)).toContain(/^\$\{\{ secrets\.(AUTH0_\w+) \}\}$/.exec(value)?.[1]);
    }
  }
  for (const id of ["review", "drift"])
    expect(main.jobs[id].env).toEqual(
      expect.objectContaining({
        AUTH0_CLIENT_ID: "${{ secrets.AUTH0_PLAN_CLIENT_ID }}",
        AUTH0_CLIENT_SECRET: "${{ secrets.AUTH0_PLAN_CLIENT_SECRET }}",
      }),
    );
  expect(deploy.jobs.deploy.env).toEqual(
    expect.objectContaining({
      AUTH0_CLIENT_ID: "${{ secrets.AUTH0_CLIENT_ID }}",
      AUTH0_CLIENT_SECRET: "${{ secrets.AUTH0_CLIENT_SECRET }}",
    }),
  );
  // The drift job checks what the tenant runs with the read-only client, never the deploy client.
  const deployed = main.jobs.drift.steps?.find((s) => s.run?.startsWith("npm run verify -- --deployed"));
  expect(deployed?.env).toEqual(
    expect.objectContaining({
      AUTH0_VERIFY_MGMT_CLIENT_ID: "${{ secrets.AUTH0_PLAN_CLIENT_ID }}",
      AUTH0_VERIFY_MGMT_CLIENT_SECRET: "${{ secrets.AUTH0_PLAN_CLIENT_SECRET }}",
    }),
  );
});

test("every job that runs terraform requires the committed lock file and inits with -lockfile=readonly", () => {
  const jobs = [...Object.values(main.jobs), ...Object.values(deploy.jobs)].filter((job) =>
    job.steps?.some((s) => s.uses?.startsWith("hashicorp/setup-terraform@")),
  );
  expect(jobs).toHaveLength(4); // test (validate), review (diff), drift (plan), deploy
  for (const job of jobs) {
    expect(job.env?.TF_CLI_ARGS_init).toBe("-lockfile=readonly");
    expect(job.steps!.find((s) => s.name === "Require the committed provider lock file")?.run).toMatch(
      /^test -f \.terraform\.lock\.hcl \|\| /,
    );
  }
});

describe("the drift job", () => {
  let drift: Job;
  let planStep: Step;
  let work: string;
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));
  const tf = (args: string[]) =>
    spawnSync("terraform", args, {
      cwd: work,
      env: { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
  /** The job's own variables that need no secret (TF_CLI_ARGS_plan, TF_IN_AUTOMATION, ...), as the runner sets them. */
  const jobEnv = () =>
    Object.fromEntries(Object.entries(drift.env ?? {}).filter(([, value]) => !String(value).includes("${{")));
  const runPlanStep = (env: NodeJS.ProcessEnv = jobEnv()) =>
    spawnSync("bash", ["-e", "-c", planStep.run!.replace(/\$\{\{ matrix\.environment \}\}/g, "dev")], {
      cwd: work,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
  let withChanges: ReturnType<typeof runPlanStep>;
  let inSync: ReturnType<typeof runPlanStep>;
  let whileLocked: ReturnType<typeof runPlanStep>;
  let whileLockedWithLock: ReturnType<typeof runPlanStep>;
  beforeAll(async () => {
    drift = main.jobs.drift;
    planStep = drift.steps!.find((s) => s.name === "Plan, failing on drift")!;
    work = mkdtempSync(join(tmpdir(), "claims-drift-"));
    // A stack Terraform can plan offline (terraform_data needs no provider download), where the tenant would be.
    const stackDir = join(work, "cdktf.out", "stacks", "dev");
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(
      join(stackDir, "main.tf.json"),
      JSON.stringify({ resource: { terraform_data: { action: { input: "code v2" } } } }),
    );
    if (tf(["-chdir=cdktf.out/stacks/dev", "init", "-input=false"]).status !== 0)
      throw new Error("terraform init failed");
    withChanges = runPlanStep();
    if (tf(["-chdir=cdktf.out/stacks/dev", "apply", "-input=false", "-auto-approve"]).status !== 0)
      throw new Error("terraform apply failed");
    inSync = runPlanStep();
    // Another run holding the state's lock (terraform console holds it while it waits for input): the
    // drift plan must not need the lock, which a read-only state role can't write.
    const holder = spawn("terraform", ["-chdir=cdktf.out/stacks/dev", "console"], {
      cwd: work,
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      stdio: ["pipe", "ignore", "ignore"],
    });
    try {
      const lockFile = join(work, "cdktf.out", "stacks", "dev", ".terraform.tfstate.lock.info");
      for (let waited = 0; !existsSync(lockFile); waited += 100) {
        if (waited > 60_000 || holder.exitCode !== null)
          throw new Error("terraform console did not take the state lock");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      whileLocked = runPlanStep();
      whileLockedWithLock = runPlanStep({ ...jobEnv(), TF_CLI_ARGS_plan: "" });
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => (holder.exitCode !== null ? resolve(null) : holder.once("exit", resolve)));
    }
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

  test("plans without taking the state lock (TF_CLI_ARGS_plan), so it runs with a read-only state role, even while another run holds the lock", () => {
    expect(drift.env?.TF_CLI_ARGS_plan).toBe("-lock=false");
    expect(main.jobs.review.env?.TF_CLI_ARGS_plan).toBe("-lock=false");
    expect(whileLockedWithLock.status).toBe(1);
    expect(whileLockedWithLock.stderr).toContain("Error acquiring the state lock");
    expect(whileLocked.status).toBe(0);
  });

  test("then verifies with a real login, which sees what a plan can't (secrets)", () => {
    expect(drift.steps!.some((s) => s.run?.startsWith("npm run verify -- --env ${{ matrix.environment }}"))).toBe(true);
  });
});

describe("npm run validate", () => {
  const runValidate = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [...cli("src/cli/validate.ts")], {
      cwd: root,
      env,
      encoding: "utf8",
      timeout: 600_000,
    });

  test("validates every stack against the real provider, or says it can't reach the registry (exit 3)", () => {
    const run = runValidate(process.env);
    if (run.status === 0) {
      expect(run.stdout).toMatch(/^dev: valid \(terraform validate against auth0\/auth0 1\.\d+\.\d+\)$/m);
      expect(run.stdout).toMatch(/^prod: valid/m);
    } else {
      expect(run.status).toBe(3);
      expect(run.stderr.trim()).toMatch(
        /^validate: can't run here: terraform init must download auth0\/auth0 from the Terraform registry, and it can't be reached \(.+\)\. Run npm run validate where registry\.terraform\.io is reachable/,
      );
    }
  });

  test("without terraform on PATH it says what to install (exit 2)", () => {
    const run = runValidate({ ...process.env, PATH: dirname(process.execPath) });
    expect(run.status).toBe(2);
    expect(run.stderr.trim()).toBe(
      "validate: terraform is not on PATH; install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install)",
    );
  });
});
