// The provider lock file: synthesis places it byte for byte in every stack's folder, and only when
// its locked release meets the constraint the stacks declare (checked by us and by real Terraform).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { environments } from "../src/environments";
import { projectRoot } from "../src/project-root";
import { LOCK_FILE, parseLockFile, readProjectLock, satisfies } from "../src/provider-lock";
import { declareStacks, writeReview, type Review } from "../src/synthesis";

const FIXTURE = join(projectRoot(), "__tests__", "fixtures", "terraform.lock.hcl");
const work = mkdtempSync(join(tmpdir(), "claims-lock-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function synthesize(name: string, lockFile: string): { out: string; review: Promise<Review> } {
  const out = join(work, name);
  const app = new App({ outdir: out });
  const stacks = declareStacks(app);
  app.synth();
  return { out, review: writeReview(out, stacks, { lockFile }) };
}

/** `terraform init` in `dir`, refusing to touch the lock (what a pipeline runs); no backend, no prompt. */
function terraformInit(dir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
  return spawnSync("terraform", ["init", "-backend=false", "-input=false", "-no-color", "-lockfile=readonly"], {
    cwd: dir,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
}

function withVersion(version: string, constraints = "~> 1.51"): string {
  const file = join(work, `lock-${version}-${constraints.replace(/\W/g, "")}.hcl`);
  const text = readFileSync(FIXTURE, "utf8")
    .replace(/version {5}= "[^"]+"/, `version     = "${version}"`)
    .replace(/constraints = "[^"]+"/, `constraints = "${constraints}"`);
  writeFileSync(file, text);
  return file;
}

describe("a committed lock file", () => {
  let out: string;
  let review: Review;
  beforeAll(async () => {
    const run = synthesize("locked", FIXTURE);
    out = run.out;
    review = await run.review;
  });

  test("is copied byte for byte into every stack's folder", () => {
    const expected = readFileSync(FIXTURE);
    for (const env of environments)
      expect(readFileSync(join(out, "stacks", env.name, LOCK_FILE)).equals(expected)).toBe(true);
  });

  test("locks a release that meets the constraint written in every cdk.tf.json", () => {
    const locked = parseLockFile(readFileSync(FIXTURE, "utf8")).get("registry.terraform.io/auth0/auth0")!;
    for (const env of environments) {
      const constraint = JSON.parse(readFileSync(join(out, "stacks", env.name, "cdk.tf.json"), "utf8")).terraform
        .required_providers.auth0.version;
      expect(satisfies(locked.version, constraint)).toBe(true);
      expect(locked.constraints).toBe(constraint);
    }
  });

  test("is named, with its release, in every contract and summary, and nothing warns", () => {
    expect(review.provider.lock).toEqual({
      state: "locked",
      file: "__tests__/fixtures/terraform.lock.hcl",
      version: "1.51.0",
      hashes: 5,
    });
    for (const env of environments) {
      const contract = JSON.parse(readFileSync(join(out, "stacks", env.name, "claims-contract.json"), "utf8"));
      expect(contract.provider).toEqual({
        source: "auth0/auth0",
        constraint: "~> 1.51",
        locked: "1.51.0",
        lockFile: "__tests__/fixtures/terraform.lock.hcl",
      });
      expect(contract.notes.filter((n: string) => n.startsWith("WARNING"))).toEqual([]);
      expect(readFileSync(join(out, "stacks", env.name, "claims-summary.txt"), "utf8")).toContain(
        "provider   auth0/auth0 ~> 1.51, locked at 1.51.0 (__tests__/fixtures/terraform.lock.hcl, 5 hashes)",
      );
    }
  });

  test("is what terraform init -lockfile=readonly uses in the stack's folder", () => {
    const init = terraformInit(join(out, "stacks", "dev"));
    const text = `${init.stdout}${init.stderr}`;
    expect(text).toContain("Reusing previous version of auth0/auth0 from the dependency lock file");
    expect(text).not.toMatch(/does not match\s+configured version constraint/);
  });
});

describe("synthesis refuses a lock file with", () => {
  test("a locked release outside the constraint, as terraform init does", async () => {
    const lock = withVersion("1.50.0");
    expect(() => readProjectLock(lock, "~> 1.51", "the.lock")).toThrow(
      /^the\.lock: locks auth0\/auth0 1\.50\.0, which does not meet "~> 1\.51" \(cdktf\.json\); run `npm run lock`/,
    );
    const { out, review } = synthesize("outside", join(work, "absent.hcl"));
    await review;
    const dir = join(out, "stacks", "dev");
    copyFileSync(lock, join(dir, LOCK_FILE));
    const init = terraformInit(dir);
    expect(init.stdout + init.stderr).toMatch(
      /locked provider registry\.terraform\.io\/auth0\/auth0 1\.50\.0 does not match\s+configured version constraint ~> 1\.51/,
    );
  });

  test("a lock made for another constraint, which cdktf would upgrade past", () => {
    expect(() => readProjectLock(withVersion("1.51.0", "~> 1.11"), "~> 1.51", "the.lock")).toThrow(
      /locked for constraints "~> 1\.11", the stacks now ask for "~> 1\.51" \(cdktf\.json\), and cdktf would upgrade past the lock/,
    );
  });

  test("a lock file without the auth0 provider", () => {
    const file = join(work, "other.hcl");
    writeFileSync(file, 'provider "registry.terraform.io/hashicorp/null" {\n  version = "3.2.0"\n}\n');
    expect(() => readProjectLock(file, "~> 1.51", "the.lock")).toThrow(
      /^the\.lock: has no provider "registry\.terraform\.io\/auth0\/auth0" block/,
    );
  });
});

test("a constraints line that differs only in Terraform's spacing is accepted", () => {
  expect(readProjectLock(withVersion("1.52.0", ">= 1.51, < 2.0"), ">=1.51,<2.0", "the.lock")).toMatchObject({
    state: "locked",
    version: "1.52.0",
  });
});

test("with no lock file, synthesis places none and warns how to make one", async () => {
  const run = synthesize("unlocked", join(work, "absent.hcl"));
  const review = await run.review;
  expect(review.provider.lock).toMatchObject({
    state: "missing",
    warning: expect.stringContaining("run `npm run lock` where registry.terraform.io is reachable"),
  });
  expect(() => readFileSync(join(run.out, "stacks", "dev", LOCK_FILE))).toThrow(/ENOENT/);
});

test("Terraform's constraint operators: ~> moves only the rightmost given part", () => {
  const cases: [string, string, boolean][] = [
    ["1.51.0", "~> 1.51", true],
    ["1.55.0", "~> 1.51", true],
    ["1.50.9", "~> 1.51", false],
    ["2.0.0", "~> 1.51", false],
    ["1.51.7", "~> 1.51.0", true],
    ["1.52.0", "~> 1.51.0", false],
    ["1.60.0", ">= 1.49, < 2.0", true],
    ["2.0.0", ">= 1.49, < 2.0", false],
    ["1.51.0", "1.51.0", true],
    ["1.51.1", "!= 1.51.0", true],
  ];
  expect(cases.map(([v, c]) => satisfies(v, c))).toEqual(cases.map(([, , ok]) => ok));
});
