// Run once before every test file (jest globalSetup): the tests need the real terraform and a
// headless Chromium on this machine; without them, say in one line what to install (docs/testing.md).
// Then bundles every CLI the tests spawn, once for the whole run (cli-bundles.ts).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { projectRoot } from "../../src/project-root";
import { buildBundles } from "./cli-bundles";

export const TERRAFORM_MINIMUM = [1, 10] as const;
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function problem(): string | undefined {
  const run = spawnSync("terraform", ["version", "-json"], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  if (run.error || run.status !== 0) {
    return `terraform is not on PATH (${run.error?.message ?? `exit ${run.status}`}); the tests run the real binary: install Terraform >= ${TERRAFORM_MINIMUM.join(".")} (see docs/testing.md)`;
  }
  let version: string;
  try {
    const reported = (JSON.parse(run.stdout) as { terraform_version?: unknown }).terraform_version;
    version = typeof reported === "string" ? reported : "";
  } catch {
    version = /Terraform v(\d+\.\d+\.\d+)/.exec(run.stdout)?.[1] ?? "";
  }
  const [major, minor] = version.split(".").map(Number);
  if (!(major > TERRAFORM_MINIMUM[0] || (major === TERRAFORM_MINIMUM[0] && minor >= TERRAFORM_MINIMUM[1]))) {
    return `terraform on PATH is version ${version || "unknown"}; the tests need Terraform >= ${TERRAFORM_MINIMUM.join(".")} (see docs/testing.md)`;
  }
  if (!existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM}; the browser test drives it: apt-get install chromium (or set CHROMIUM_PATH; see docs/testing.md)`;
  }
  return undefined;
}

export default function globalSetup(): void {
  const why = problem();
  if (why) {
    process.stderr.write(`\nprerequisite missing: ${why}\n`);
    process.exit(1);
  }
  buildBundles(projectRoot());
}
