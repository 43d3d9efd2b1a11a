// The example GitHub Actions workflows parse, and run the commands the README's pipeline recipe names;
// npm run validate says why it can't run without the Terraform registry.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { projectRoot } from "../src/project-root";

const root = projectRoot();
const read = (path: string) => readFileSync(join(root, path), "utf8");

type Step = { run?: string; uses?: string; env?: Record<string, string> };
type Workflow = { on: Record<string, unknown>; jobs: Record<string, { steps?: Step[]; uses?: string; needs?: string; environment?: string }> };

const main = parse(read("examples/github-actions/auth0-claims.yml")) as Workflow;
const deploy = parse(read("examples/github-actions/auth0-claims-deploy.yml")) as Workflow;
const runs = (w: Workflow) => Object.values(w.jobs).flatMap((job) => (job.steps ?? []).map((s) => s.run).filter((r): r is string => !!r));

/** The commands in the README's pipeline recipe: lines of its ```sh blocks that start with npm or npx. */
function readmePipelineCommands(): string[] {
  const readme = read("README.md");
  const section = readme.slice(readme.indexOf("## A pipeline recipe"), readme.indexOf("\n## ", readme.indexOf("## A pipeline recipe") + 5));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).map((l) => l.trim()).filter((l) => /^(npm|npx) /.test(l));
}

test("both workflows parse as YAML, on pull requests and pushes to main", () => {
  expect(Object.keys(main.on)).toEqual(["pull_request", "push"]);
  expect(deploy.on).toHaveProperty("workflow_call");
  expect(main.jobs["deploy-prod"].needs).toBe("deploy-dev");
});

test("the README's pipeline recipe names exactly the commands the workflows run", () => {
  const commands = readmePipelineCommands();
  expect(commands).toEqual([
    "npm ci",
    "npm test",
    "npm run synth",
    "npm run validate",
    "npx cdktf diff <env>",
    "npx cdktf deploy <env> --auto-approve",
    "npm run verify -- --env <env> --grant password",
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
