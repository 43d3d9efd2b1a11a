// Runs the terraform binary for the CLIs that need it (validate, lock), with a time bound, and tells
// a registry that can't be reached from every other failure.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { UsageError } from "../errors";

const NETWORK =
  /Failed to query available provider packages|could not connect to registry|no such host|dial tcp|i\/o timeout|Failed to install provider|TLS handshake|proxyconnect|connection refused/;

export function terraform(dir: string, args: string[], timeoutMs = 300_000): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
  // A TF_CLI_CONFIG_FILE naming a missing file makes every terraform command print a warning.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", timeout: timeoutMs });
}

/** Throws UsageError ERR_TERRAFORM_MISSING, with how to install it, when terraform is not on PATH. */
export function requireTerraform(): void {
  if (spawnSync("terraform", ["version"], { encoding: "utf8", timeout: 30_000 }).error) {
    throw new UsageError(
      "ERR_TERRAFORM_MISSING",
      "terraform is not on PATH; install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install)",
    );
  }
}

/** If a failed run's output says the registry could not be reached, the short reason; else undefined. */
export function registryUnreachable(run: SpawnSyncReturns<string>): string | undefined {
  if (run.error && (run.error as NodeJS.ErrnoException).code === "ETIMEDOUT") return "no answer in time";
  const text = `${run.stderr}\n${run.stdout}`;
  if (!NETWORK.test(text)) return undefined;
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/\x1b\[[0-9;]*m/g, "").replace(/[\s│╷╵]+/g, " ");
  return (
    /could not connect to [^:]+|lookup [^ ]+ [^:]*: no such host|proxyconnect [^:]+|connection refused|i\/o timeout|Failed to install provider[^.]*/.exec(
      flat,
    )?.[0] ?? "no network"
  );
}
