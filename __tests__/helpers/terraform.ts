// Runs the real terraform binary on a provider-less configuration in a fresh temporary folder.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TerraformRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
  // A TF_CLI_CONFIG_FILE naming a missing file only adds a warning to every command.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return env;
}

/**
 * Writes `config` as main.tf.json (or, given `{ hcl }`, its text as main.tf), runs `terraform init`,
 * then each of `commands` in order; returns the last run.
 */
export function terraform(config: unknown, ...commands: string[][]): TerraformRun {
  const dir = mkdtempSync(join(tmpdir(), "claims-tf-"));
  try {
    const hcl = (config as { hcl?: unknown })?.hcl;
    if (typeof hcl === "string") writeFileSync(join(dir, "main.tf"), hcl);
    else writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
    let last: TerraformRun = { status: 0, stdout: "", stderr: "" };
    for (const args of [["init", "-input=false", "-backend=false"], ...commands]) {
      const run = spawnSync("terraform", [...args], { cwd: dir, env: terraformEnv(), encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
      last = { status: run.status, stdout: run.stdout, stderr: run.stderr };
      if (run.status !== 0) return last;
    }
    return last;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
