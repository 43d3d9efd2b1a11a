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

export interface TerraformDir {
  /** Runs terraform with `args` in the folder. */
  run(args: string[]): TerraformRun;
  remove(): void;
}

/** Writes `config` as main.tf.json (or, given `{ hcl }`, its text as main.tf) into a fresh temporary folder. */
function folderWith(config: unknown): TerraformDir {
  const dir = mkdtempSync(join(tmpdir(), "claims-tf-"));
  const hcl = (config as { hcl?: unknown })?.hcl;
  if (typeof hcl === "string") writeFileSync(join(dir, "main.tf"), hcl);
  else writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
  return {
    run(args) {
      const done = spawnSync("terraform", [...args], {
        cwd: dir,
        env: terraformEnv(),
        encoding: "utf8",
        timeout: 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { status: done.status, stdout: done.stdout, stderr: done.stderr };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const INIT = ["init", "-input=false", "-backend=false"];

/** A folder holding `config`, initialized once (throws if init fails), for many commands. */
export function terraformDir(config: unknown): TerraformDir {
  const tf = folderWith(config);
  const init = tf.run(INIT);
  if (init.status !== 0) {
    tf.remove();
    throw new Error(`terraform init failed (${init.status}): ${init.stderr}`);
  }
  return tf;
}

/** `terraform init`, then each of `commands` in order, in a folder of its own; returns the last run (or the first that failed). */
export function terraform(config: unknown, ...commands: string[][]): TerraformRun {
  const tf = folderWith(config);
  try {
    let last: TerraformRun = { status: 0, stdout: "", stderr: "" };
    for (const args of [INIT, ...commands]) {
      last = tf.run(args);
      if (last.status !== 0) return last;
    }
    return last;
  } finally {
    tf.remove();
  }
}
