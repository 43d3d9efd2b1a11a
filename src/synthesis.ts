// What every synthesis does, whichever way it runs (cdktf synth/diff/deploy through main.ts, or
// npm run synth): declare one stack per environment, then, once cdktf has written them, refresh the
// review artifacts beside each stack: the provider lock file, the claims contract and the summary.
import { readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { App } from "cdktf";
import { ClaimsStack } from "./constructs/claims-stack";
import { buildContract, contractJson, contractMarkdown, type ProviderPin } from "./review/contract";
import { environments } from "./environments";
import { LockError } from "./errors";
import { UserFile } from "./users/user-file";
import { projectRoot } from "./project-root";
import { LOCK_FILE, placeLock, readProjectLock } from "./provider-lock";
import type { ExportedUser } from "./runtime/types";
import { summarizeStack } from "./review/summary";
import { Sandbox } from "./sandbox/host";

/** The users previewed in every contract, relative to the project's root. */
export const SAMPLES = "samples/users.ndjson";
/** The files written beside each stack's cdk.tf.json, besides the lock file. */
export const REVIEW_FILES = ["claims-contract.json", "claims-contract.md", "claims-summary.txt"] as const;

/** Removes the folders under `outdir`/stacks of stacks not in `stacks`, as the cdktf CLI does after a synth. */
export function removeRetiredStacks(outdir: string, stacks: readonly ClaimsStack[]): void {
  const names = new Set(stacks.map((s) => s.environment.name));
  for (const entry of readdirSync(join(outdir, "stacks"), { withFileTypes: true })) {
    if (entry.isDirectory() && !names.has(entry.name))
      rmSync(join(outdir, "stacks", entry.name), { recursive: true, force: true });
  }
}

/**
 * The sandbox worker the review's sample logins run in, started when the stacks are declared so that
 * it boots while cdktf synthesizes them (on another core), and closed by writeReview.
 */
let reviewSandbox: Sandbox | undefined;

export function declareStacks(app: App): ClaimsStack[] {
  reviewSandbox ??= new Sandbox();
  reviewSandbox.warm();
  return environments.map((environment) => new ClaimsStack(app, environment));
}

/** Declares every environment's stack in a new App and writes them under `outdir` (stacks/<env>/cdk.tf.json). */
export function synthesizeStacks(outdir: string): ClaimsStack[] {
  const app = new App({ outdir });
  const stacks = declareStacks(app);
  app.synth();
  return stacks;
}

export interface ReviewOptions {
  /** The project's root, where samples/ and the lock file are. @default projectRoot() */
  readonly root?: string;
  /** The lock file to place. @default <root>/.terraform.lock.hcl */
  readonly lockFile?: string;
}

export interface Review {
  readonly provider: ProviderPin;
  /** One summary per stack, as written to claims-summary.txt. */
  readonly summaries: readonly string[];
}

/**
 * Run after app.synth() into `outdir`: places the lock file and writes each stack's contract and
 * summary. Same inputs, same bytes. Folders of stacks that no longer exist are left to the caller:
 * the cdktf CLI removes them itself after the app ends (and fails if they are already gone).
 */
export async function writeReview(
  outdir: string,
  stacks: readonly ClaimsStack[],
  options: ReviewOptions = {},
): Promise<Review> {
  const root = options.root ?? projectRoot();
  const stacksDir = join(outdir, "stacks");
  const constraint = providerConstraint(stacks);
  const lockPath = options.lockFile ?? join(root, LOCK_FILE);
  const shownAs = relative(root, lockPath).split("\\").join("/") || LOCK_FILE;
  const provider: ProviderPin = { constraint, lock: readProjectLock(lockPath, constraint, shownAs) };

  const samples: ExportedUser[] = [];
  for await (const batch of (await UserFile.open(join(root, SAMPLES))).users())
    for (const { user } of batch) samples.push(user);

  const summaries: string[] = [];
  // One sandbox worker for every stack's sample logins: a worker's start costs more than their logins.
  const sandbox = reviewSandbox ?? new Sandbox();
  reviewSandbox = undefined;
  try {
    for (const stack of stacks)
      summaries.push(await writeStackReview(stack, stacksDir, lockPath, samples, provider, sandbox));
  } finally {
    await sandbox.close();
  }
  return { provider, summaries };
}

/** One stack's lock file, contract and summary; the summary. */
async function writeStackReview(
  stack: ClaimsStack,
  stacksDir: string,
  lockPath: string,
  samples: readonly ExportedUser[],
  provider: ProviderPin,
  sandbox: Sandbox,
): Promise<string> {
  const dir = join(stacksDir, stack.environment.name);
  if (provider.lock.state === "locked") placeLock(lockPath, dir);
  const contract = await buildContract(stack, samples, SAMPLES, provider, sandbox);
  // `cdktf synth --hcl` writes cdk.tf instead: the review files stay the same.
  const file = `stacks/${stack.environment.name}/${(stack.node.root as App).hclOutput ? "cdk.tf" : "cdk.tf.json"}`;
  const summary = summarizeStack(stack, file, provider);
  writeFileSync(join(dir, "claims-contract.json"), contractJson(contract));
  writeFileSync(join(dir, "claims-contract.md"), contractMarkdown(contract));
  writeFileSync(join(dir, "claims-summary.txt"), summary);
  return summary;
}

/** The auth0 provider constraint the stacks declare (from cdktf.json): one for all. */
function providerConstraint(stacks: readonly ClaimsStack[]): string {
  const found = new Set(
    stacks.map(
      (stack) =>
        (stack.toTerraform() as { terraform?: { required_providers?: { auth0?: { version?: string } } } }).terraform
          ?.required_providers?.auth0?.version ?? "",
    ),
  );
  const [constraint, ...others] = [...found];
  if (others.length > 0 || !constraint) {
    throw new LockError(
      "ERR_PROVIDER_CONSTRAINT",
      `the stacks require auth0/auth0 as ${[...found].map((c) => JSON.stringify(c)).join(" and ")}; one constraint for all (cdktf.json terraformProviders) lets one lock file serve every stack`,
    );
  }
  return constraint;
}
