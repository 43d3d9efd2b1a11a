// scripts/workflow-secrets.mjs, run as a process on the example workflows and on altered copies:
// both pass GitHub's workflow schema (GitHub's own parser, offline); no job that runs pull-request
// code holds a secret, OIDC or a write permission unless its environment needs a reviewer's
// approval; the user export and the deploy client reach only the jobs meant to hold them.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { projectRoot } from "../src/project-root";

const root = projectRoot();
const EXAMPLES = join(root, "examples", "github-actions");
const REVIEWED = "dev-review,prod-review";

type JobEntry = {
  label: string;
  workflow: string;
  job: string;
  calledBy: string | null;
  events: string[];
  runsPullRequestCode: boolean;
  environments: string[];
  permissions: string[] | null;
  idToken: boolean | null;
  secrets: string[];
  inheritsSecrets: boolean;
  vars: string[];
  roles: string[];
};
type Listing = { files: { file: string; valid: boolean; errors: string[] }[]; jobs: JobEntry[]; problems: string[] };

const audit = (args: string[]) =>
  spawnSync(process.execPath, [join(root, "scripts", "workflow-secrets.mjs"), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
const listing = (args: string[]) => {
  const run = audit([...args, "--json"]);
  if (run.stderr) throw new Error(`workflow-secrets failed (${run.status}): ${run.stderr}`);
  return { status: run.status, ...(JSON.parse(run.stdout) as Listing) };
};

let work: string;
beforeAll(() => (work = mkdtempSync(join(tmpdir(), "claims-workflows-"))));
afterAll(() => work && rmSync(work, { recursive: true, force: true }));

/** A copy of the examples in a fresh folder, `edit` applied to auth0-claims.yml's YAML document. */
function alteredCopy(
  name: string,
  edit: (doc: ReturnType<typeof parseDocument>) => void,
  deployEdit?: (doc: ReturnType<typeof parseDocument>) => void,
): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const [file, change] of [
    ["auth0-claims.yml", edit],
    ["auth0-claims-deploy.yml", deployEdit],
  ] as const) {
    const doc = parseDocument(readFileSync(join(EXAMPLES, file), "utf8"));
    change?.(doc);
    writeFileSync(join(dir, file), doc.toString());
  }
  return dir;
}

describe("the example workflows", () => {
  let result: ReturnType<typeof listing>;
  let text: ReturnType<typeof audit>;
  const job = (label: string) => result.jobs.find((j) => j.label === label)!;
  beforeAll(() => {
    result = listing([EXAMPLES, "--reviewed", REVIEWED]);
    text = audit([EXAMPLES, "--reviewed", REVIEWED]);
  });

  test("pass GitHub's workflow schema, the called workflow's inputs included, with no problem (exit 0)", () => {
    expect(result.files.map((f) => [f.file.replace(`${root}/`, ""), f.valid, f.errors])).toEqual([
      ["examples/github-actions/auth0-claims-deploy.yml", true, []],
      ["examples/github-actions/auth0-claims.yml", true, []],
    ]);
    expect(result.problems).toEqual([]);
    expect(result.status).toBe(0);
    expect(text.status).toBe(0);
    const parser = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies[
      "@actions/workflow-parser"
    ];
    expect(text.stdout).toContain(
      `examples/github-actions/auth0-claims.yml: valid (GitHub's workflow schema, @actions/workflow-parser ${parser})\n`,
    );
    expect(text.stdout.trimEnd().split("\n").pop()).toBe("no problems");
  });

  test("list every job, those of the called deploy workflow under each job that calls it", () => {
    expect(result.jobs.map((j) => j.label)).toEqual([
      "auth0-claims.yml › test",
      "auth0-claims.yml › comment",
      "auth0-claims.yml › review",
      "auth0-claims.yml › review-comment",
      "auth0-claims.yml › drift",
      "auth0-claims.yml › deploy-dev",
      "auth0-claims.yml › deploy-dev › auth0-claims-deploy.yml › deploy",
      "auth0-claims.yml › deploy-prod",
      "auth0-claims.yml › deploy-prod › auth0-claims-deploy.yml › deploy",
    ]);
    expect(job("auth0-claims.yml › deploy-prod › auth0-claims-deploy.yml › deploy").environments).toEqual(["prod"]);
  });

  test("pull-request code runs in test, holding nothing but a read-only token, and in review, only behind the reviewed environments", () => {
    const prCode = result.jobs.filter((j) => j.runsPullRequestCode);
    expect(prCode.map((j) => j.job)).toEqual(["test", "review"]);
    expect(job("auth0-claims.yml › test")).toEqual(
      expect.objectContaining({
        environments: [],
        permissions: ["contents: read"],
        idToken: false,
        secrets: [],
        inheritsSecrets: false,
        vars: [],
      }),
    );
    const review = job("auth0-claims.yml › review");
    expect(review.environments).toEqual(["dev-review", "prod-review"]);
    expect(review.permissions).toEqual(["contents: read", "id-token: write"]);
  });

  test("jobs that post on the pull request hold a write token but run none of its code", () => {
    for (const label of ["auth0-claims.yml › comment", "auth0-claims.yml › review-comment"]) {
      expect(job(label)).toEqual(
        expect.objectContaining({
          runsPullRequestCode: false,
          permissions: ["pull-requests: write"],
          secrets: [],
          idToken: false,
        }),
      );
    }
  });

  test("the user export (its role and its location) reaches only the review job", () => {
    const reaching = result.jobs.filter(
      (j) => j.secrets.includes("AWS_EXPORT_ROLE_ARN") || j.vars.includes("USERS_EXPORT_S3"),
    );
    expect(reaching.map((j) => [j.job, j.environments])).toEqual([["review", ["dev-review", "prod-review"]]]);
  });

  test("only deploy holds the deploy client and the read-write state role; plan and drift hold the read-only ones", () => {
    const deployCredentials = (j: JobEntry) =>
      j.secrets.filter((s) => s === "AUTH0_CLIENT_SECRET" || s === "AUTH0_CLIENT_ID" || s === "AWS_ROLE_ARN");
    expect(
      result.jobs
        .filter((j) => deployCredentials(j).length)
        .map((j) => [j.label, j.environments, deployCredentials(j)]),
    ).toEqual([
      [
        "auth0-claims.yml › deploy-dev › auth0-claims-deploy.yml › deploy",
        ["dev"],
        ["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AWS_ROLE_ARN"],
      ],
      [
        "auth0-claims.yml › deploy-prod › auth0-claims-deploy.yml › deploy",
        ["prod"],
        ["AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "AWS_ROLE_ARN"],
      ],
    ]);
    for (const label of ["auth0-claims.yml › review", "auth0-claims.yml › drift"]) {
      expect(job(label).secrets).toEqual(
        expect.arrayContaining(["AUTH0_PLAN_CLIENT_ID", "AUTH0_PLAN_CLIENT_SECRET", "AWS_PLAN_ROLE_ARN"]),
      );
      expect(job(label).roles[0]).toBe("${{ secrets.AWS_PLAN_ROLE_ARN }}");
    }
    expect(job("auth0-claims.yml › drift").environments).toEqual(["dev-drift", "prod-drift"]);
  });

  test("every job has least-privilege permissions of its own", () => {
    expect(Object.fromEntries(result.jobs.map((j) => [j.label, j.permissions]))).toEqual({
      "auth0-claims.yml › test": ["contents: read"],
      "auth0-claims.yml › comment": ["pull-requests: write"],
      "auth0-claims.yml › review": ["contents: read", "id-token: write"],
      "auth0-claims.yml › review-comment": ["pull-requests: write"],
      "auth0-claims.yml › drift": ["contents: read", "id-token: write"],
      "auth0-claims.yml › deploy-dev": ["contents: read", "id-token: write"],
      "auth0-claims.yml › deploy-dev › auth0-claims-deploy.yml › deploy": ["contents: read", "id-token: write"],
      "auth0-claims.yml › deploy-prod": ["contents: read", "id-token: write"],
      "auth0-claims.yml › deploy-prod › auth0-claims-deploy.yml › deploy": ["contents: read", "id-token: write"],
    });
  });

  test("without --reviewed, the review job is reported: the approval is all that lets it hold the read-only client and the export", () => {
    const unreviewed = listing([EXAMPLES]);
    expect(unreviewed.status).toBe(1);
    expect(unreviewed.problems).toEqual([
      expect.stringMatching(
        /^auth0-claims\.yml › review: runs pull-request code and holds secrets AUTH0_DOMAIN, AUTH0_PLAN_CLIENT_ID, AUTH0_PLAN_CLIENT_SECRET, AWS_EXPORT_ROLE_ARN, AWS_PLAN_ROLE_ARN; OIDC \(id-token: write\) in dev-review, prod-review, not named by --reviewed; /,
      ),
    ]);
  });
});

describe("altered copies", () => {
  test("a schema error is refused with the parser's line and column (exit 1)", () => {
    const dir = alteredCopy("schema", (doc) => {
      doc.setIn(["jobs", "test", "permissions", "contents"], "reed");
      doc.setIn(["jobs", "deploy-dev", "with"], doc.createNode({ environmnt: "dev" }));
    });
    const run = listing([dir, "--reviewed", REVIEWED]);
    expect(run.status).toBe(1);
    const file = run.files.find((f) => f.file.endsWith("/auth0-claims.yml"))!;
    expect(file.valid).toBe(false);
    expect(file.errors).toEqual([
      expect.stringMatching(/auth0-claims\.yml \(Line: \d+, Col: \d+\): Unexpected value 'reed'$/),
    ]);
    // Once that is fixed, the call is checked against the called workflow's inputs.
    const calls = listing([
      alteredCopy("inputs", (doc) => doc.setIn(["jobs", "deploy-dev", "with"], doc.createNode({ environmnt: "dev" }))),
      "--reviewed",
      REVIEWED,
    ]);
    expect(calls.status).toBe(1);
    expect(calls.files.find((f) => f.file.endsWith("/auth0-claims.yml"))!.errors).toEqual([
      expect.stringMatching(
        /\(Line: \d+, Col: \d+\): Input environment is required, but not provided while calling\.$/,
      ),
      expect.stringMatching(
        /\(Line: \d+, Col: \d+\): Invalid input, environmnt is not defined in the referenced workflow\.$/,
      ),
    ]);
  });

  test("the deploy secret given to the job that runs pull-request code is reported (exit 1)", () => {
    const dir = alteredCopy("leak", (doc) =>
      doc.setIn(["jobs", "test", "env", "AUTH0_CLIENT_SECRET"], "${{ secrets.AUTH0_CLIENT_SECRET }}"),
    );
    const run = listing([dir, "--reviewed", REVIEWED]);
    expect(run.status).toBe(1);
    expect(run.problems).toEqual([
      expect.stringMatching(
        /^auth0-claims\.yml › test: runs pull-request code and holds secrets AUTH0_CLIENT_SECRET; move them /,
      ),
    ]);
  });

  test("OIDC or a write token in that job is reported, and so is a job without permissions of its own", () => {
    const dir = alteredCopy("token", (doc) => {
      doc.setIn(["jobs", "test", "permissions"], doc.createNode({ contents: "write", "id-token": "write" }));
      doc.deleteIn(["jobs", "drift", "permissions"]);
    });
    const run = listing([dir, "--reviewed", REVIEWED]);
    expect(run.status).toBe(1);
    expect(run.problems).toEqual([
      "auth0-claims.yml › drift: sets no permissions of its own, so it gets the workflow's; give it a permissions block with only what it needs",
      expect.stringMatching(
        /^auth0-claims\.yml › test: runs pull-request code and holds OIDC \(id-token: write\); a token with contents: write; /,
      ),
    ]);
  });

  test("a called workflow's job that asks for more than its caller grants is reported", () => {
    const dir = alteredCopy(
      "escalate",
      () => {},
      (doc) => doc.setIn(["jobs", "deploy", "permissions", "contents"], "write"),
    );
    const run = listing([dir, "--reviewed", REVIEWED]);
    expect(run.problems).toEqual([
      "auth0-claims.yml › deploy-dev › auth0-claims-deploy.yml › deploy: asks for contents: write, more than its caller grants (GitHub fails the run); grant it in the calling job or ask for less",
      "auth0-claims.yml › deploy-prod › auth0-claims-deploy.yml › deploy: asks for contents: write, more than its caller grants (GitHub fails the run); grant it in the calling job or ask for less",
    ]);
  });

  test("the review job outside the approval gate (no environment) is reported", () => {
    const dir = alteredCopy("ungated", (doc) => doc.deleteIn(["jobs", "review", "environment"]));
    const run = listing([dir, "--reviewed", REVIEWED]);
    expect(run.status).toBe(1);
    expect(run.problems).toEqual([
      expect.stringMatching(
        /^auth0-claims\.yml › review: runs pull-request code and holds secrets AUTH0_DOMAIN, .*AWS_EXPORT_ROLE_ARN.*; move them /,
      ),
    ]);
  });
});

describe("bad input", () => {
  test("no PATH, a missing PATH or a bad --reviewed exits 2 with one line naming it and the fix", () => {
    expect(audit([]).status).toBe(2);
    expect(audit([]).stderr.split("\n")[0]).toBe(
      "workflow-secrets: no PATH given: name the workflow files or their folder, e.g. .github/workflows",
    );
    const missing = audit(["nowhere\u001b[2J"]);
    expect([missing.status, missing.stderr]).toEqual([
      2,
      'workflow-secrets: PATH "nowhere\\u001b[2J" does not exist; name a workflow file or a folder of them\n',
    ]);
    const reviewed = audit([EXAMPLES, "--reviewed", "dev review"]);
    expect([reviewed.status, reviewed.stderr]).toEqual([
      2,
      'workflow-secrets: --reviewed: "dev review" is not an environment name; give names like dev-review, separated by commas\n',
    ]);
    expect(audit([EXAMPLES]).stdout).toContain("\n  environment   dev-review, prod-review\n");
  });
});
