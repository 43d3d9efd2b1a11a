// The environments' stacks as users get them: `npm run synth` and `cdktf synth` as real processes,
// byte-identical output (review artifacts included), no path of this machine and no credential in cdktf.out.
import "./helpers/setup";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Testing } from "cdktf";
import { Auth0Provider } from "../.gen/providers/auth0/provider";
import { ClaimsStack } from "../src/constructs/claims-stack";
import { type EnvironmentConfig, environments } from "../src/environments";
import { projectRoot } from "../src/project-root";
import { runCli, runProcess } from "./helpers/cli-bundles";

const root = projectRoot();
const FAKE_CREDENTIALS = {
  AUTH0_DOMAIN: "leak-check-domain.eu.auth0.com",
  AUTH0_CLIENT_ID: "LeakCheckClientId0123456789",
  AUTH0_CLIENT_SECRET: "LeakCheckClientSecret-Do-Not-Write-Me",
  AUTH0_API_TOKEN: "LeakCheckApiToken.eyJhbGciOi",
};
const outDirs: string[] = [];
afterAll(() => outDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function files(dir: string): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path));
    }
  };
  walk(dir);
  return found;
}

/** Runs `npm run synth -- --out DIR` as a real process; `out` may hold a previous synthesis. */
async function npmRunSynth(
  out = mkdtempSync(join(tmpdir(), "claims-synth-")),
): Promise<{ out: string; stdout: string }> {
  outDirs.push(out);
  const run = await runCli("src/cli/synth.ts", ["--out", out], {
    cwd: root,
    env: { ...process.env, ...FAKE_CREDENTIALS },
  });
  if (run.status !== 0 || run.stderr !== "") throw new Error(`npm run synth failed (${run.status}): ${run.stderr}`);
  return { out, stdout: run.stdout };
}

/** Runs the real `cdktf synth` (through cdktf.json's app) over an older synthesis; the files it wrote. */
async function cdktfSynth(): Promise<Map<string, Buffer>> {
  const out = staleOutput();
  outDirs.push(out);
  const run = await runProcess(join(root, "node_modules", ".bin", "cdktf"), ["synth", "--output", out], {
    cwd: root,
    env: { ...process.env, ...FAKE_CREDENTIALS, CHECKPOINT_DISABLE: "1", CI: "1" },
    timeout: 120_000,
  });
  if (run.status !== 0) throw new Error(`cdktf synth failed (${run.status}): ${run.stderr}${run.stdout}`);
  return files(out);
}

/** A cdktf.out left by an older synthesis: an outdated contract, and a stack whose environment is gone. */
function staleOutput(): string {
  const out = mkdtempSync(join(tmpdir(), "claims-stale-"));
  mkdirSync(join(out, "stacks", "dev"), { recursive: true });
  mkdirSync(join(out, "stacks", "retired"), { recursive: true });
  writeFileSync(join(out, "stacks", "dev", "claims-contract.md"), "# Claims contract: dev\n(outdated)\n");
  writeFileSync(join(out, "stacks", "retired", "cdk.tf.json"), "{}\n");
  return out;
}

const REVIEW = ["cdk.tf.json", "claims-contract.json", "claims-contract.md", "claims-summary.txt"];

// Three real processes serve the whole file, side by side: npm run synth into a fresh folder and
// over an older synthesis, and cdktf synth over an older synthesis.
let first: { out: string; stdout: string };
let a: Map<string, Buffer>;
let b: Map<string, Buffer>;
let cdktfOut: Map<string, Buffer>;
beforeAll(async () => {
  let second: { out: string };
  [first, second, cdktfOut] = await Promise.all([npmRunSynth(), npmRunSynth(staleOutput()), cdktfSynth()]);
  a = files(first.out);
  b = files(second.out);
}, 120_000);

describe("npm run synth", () => {
  test("writes a stack, a claims contract (markdown, JSON) and a summary per environment, and the manifest", () => {
    expect([...a.keys()].sort()).toEqual(
      ["manifest.json", ...environments.flatMap((e) => REVIEW.map((f) => `stacks/${e.name}/${f}`))].sort(),
    );
  });

  test("two runs are byte-identical, contracts included", () => {
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, bytes] of a) expect(b.get(name)?.equals(bytes)).toBe(true);
  });

  test("over an older synthesis, refreshes the contracts and removes the stacks of environments that are gone", () => {
    expect(b.get("stacks/dev/claims-contract.md")?.toString()).not.toContain("(outdated)");
    expect([...b.keys()].some((name) => name.startsWith("stacks/retired/"))).toBe(false);
  });

  test("no absolute path of the checkout, the output folder or the home folder is written", () => {
    for (const [, bytes] of a) {
      const text = bytes.toString("utf8");
      for (const path of [root, first.out, homedir(), tmpdir()]) expect(text).not.toContain(path);
    }
  });

  test("credentials in the environment never reach cdktf.out", () => {
    for (const [, bytes] of a) {
      const text = bytes.toString("utf8");
      for (const secret of Object.values(FAKE_CREDENTIALS)) expect(text).not.toContain(secret);
    }
  });

  test("the provider block is empty, so Terraform reads credentials from AUTH0_* at apply time", () => {
    for (const env of environments) {
      const stack = JSON.parse(a.get(`stacks/${env.name}/cdk.tf.json`)!.toString());
      expect(stack.provider.auth0).toEqual([{}]);
      expect(stack.terraform.required_providers.auth0).toEqual({ source: "auth0/auth0", version: "~> 1.51" });
      expect(stack.terraform.backend.local.path).toBe(`../../../terraform.${env.name}.tfstate`);
    }
  });

  test("prints each stack's summary, as written to claims-summary.txt", () => {
    expect(first.stdout).toContain("synthesized 2 stack(s)");
    for (const env of environments)
      expect(first.stdout).toContain(a.get(`stacks/${env.name}/claims-summary.txt`)!.toString());
    expect(first.stdout).toMatch(/^dev {2}stacks\/dev\/cdk\.tf\.json {2}\(backend: local\)$/m);
    expect(first.stdout).toContain(
      "resources  auth0_action.app_metadata_claims, auth0_trigger_action.app_metadata_claims",
    );
    expect(first.stdout).toMatch(
      /namespace {2}https:\/\/dev\.example\.com\/claims \(default; override with TF_VAR_claim_namespace/,
    );
    expect(first.stdout).toMatch(
      /https:\/\/dev\.example\.com\/claims\/roles +<- app_metadata\.roles +-> ID token \(and \/userinfo\), access token/,
    );
    expect(first.stdout).toMatch(/namespace {2}from variable claim_namespace, no default: set TF_VAR_claim_namespace/);
    expect(first.stdout).toMatch(
      /<claim_namespace>\/permissions +<- app_metadata\.permissions +-> ID token \(and \/userinfo\)$/m,
    );
    expect(first.stdout).toContain("binding    append: auth0_trigger_action adds it at the end of post-login");
  });

  test("until a lock file is committed, every summary warns and says how to make one", () => {
    for (const env of environments) {
      expect(a.get(`stacks/${env.name}/claims-summary.txt`)!.toString()).toContain(
        "provider   auth0/auth0 ~> 1.51, WARNING: no provider lock file (.terraform.lock.hcl)",
      );
      expect(a.get(`stacks/${env.name}/claims-summary.txt`)!.toString()).toContain(
        "run `npm run lock` where registry.terraform.io is reachable and commit .terraform.lock.hcl",
      );
    }
  });
});

describe("cdktf synth, through cdktf.json's app, over an older synthesis", () => {
  let viaCli: Map<string, Buffer>;
  let viaNpm: Map<string, Buffer>;
  beforeAll(() => {
    const stacksOnly = (all: Map<string, Buffer>) => new Map([...all].filter(([name]) => name.startsWith("stacks/")));
    viaCli = stacksOnly(cdktfOut);
    viaNpm = stacksOnly(a);
  });

  test("writes byte for byte the stacks/ tree npm run synth writes: stacks, contracts, summaries", () => {
    expect([...viaCli.keys()].sort()).toEqual([...viaNpm.keys()].sort());
    for (const [name, bytes] of viaNpm) expect(viaCli.get(name)?.equals(bytes)).toBe(true);
  });

  test("replaces the outdated contract and drops the stack of a retired environment", () => {
    expect(viaCli.get("stacks/dev/claims-contract.md")?.toString()).not.toContain("(outdated)");
    expect([...viaCli.keys()].some((name) => name.startsWith("stacks/retired/"))).toBe(false);
  });
});

describe("backends and environment config", () => {
  const synthesized = (env: EnvironmentConfig) => Testing.synth(new ClaimsStack(Testing.app(), env));
  const stackJson = (env: EnvironmentConfig) => JSON.parse(synthesized(env));

  test("s3 backend with encryption and native locking", () => {
    const json = stackJson({
      name: "stage",
      namespace: "https://x.example",
      backend: { type: "s3", bucket: "tf-state", key: "auth0/stage.tfstate", region: "eu-west-1" },
    });
    expect(json.terraform.backend.s3).toEqual({
      bucket: "tf-state",
      key: "auth0/stage.tfstate",
      region: "eu-west-1",
      encrypt: true,
      use_lockfile: true,
    });
  });

  test("HCP Terraform backend with a named workspace", () => {
    const json = stackJson({
      name: "stage",
      namespace: "https://x.example",
      backend: { type: "cloud", organization: "acme", workspace: "auth0-stage" },
    });
    expect(json.terraform.cloud).toEqual({ organization: "acme", workspaces: { name: "auth0-stage" } });
  });

  test("the provider is declared with no argument at all", () => {
    const text = synthesized({ name: "stage" });
    expect(text).toHaveProvider(Auth0Provider);
    expect(JSON.parse(text).provider.auth0).toEqual([{}]);
  });

  test("a bad environment name is refused with the fix", () => {
    expect(() => stackJson({ name: "Prod EU" })).toThrow(
      /^environments: name "Prod EU" can't be a stack name; use lower case letters, digits and "-"/,
    );
  });
});
