// `npm run lock`: (re)writes the project's provider lock file with `terraform providers lock`, for
// the platforms pipelines and people use, from the constraint the synthesized stacks declare.
// Needs the Terraform registry; without it, one line and exit 3. Commit the file it writes.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { LockError, NetworkError } from "../errors";
import { projectRoot } from "../project-root";
import { LOCK_FILE, readProjectLock } from "../provider-lock";
import "./stdout-closed";
import { readCommandLine } from "../command-line";
import { runCommand } from "./run-command";
import { registryUnreachable, requireTerraform, terraform } from "./terraform";

/** Linux and macOS on Intel and ARM, and Windows: where pipelines and people run terraform. */
export const PLATFORMS = ["linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64", "windows_amd64"] as const;

const COMMAND = {
  name: "lock",
  usage: [
    "usage: npm run lock [-- --out FILE]",
    `Writes the auth0/auth0 lock file with terraform providers lock for ${PLATFORMS.join(", ")}.`,
    "Needs registry.terraform.io. Exit: 0 written, 1 terraform failed, 2 terraform missing, 3 registry not reachable.",
    `  --out FILE   where to write it (default: ${LOCK_FILE} in the project folder; commit it)`,
    "  -h, --help   this text",
  ].join("\n"),
  options: { out: { type: "string" } },
} as const;

async function main(): Promise<number> {
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  const target = values.out ? resolve(values.out) : join(projectRoot(), LOCK_FILE);
  requireTerraform();

  const work = mkdtempSync(join(tmpdir(), "claims-lock-"));
  try {
    // Loaded only now, so --help and a bad flag answer without loading cdktf.
    const [stack] = (await import("../synthesis")).synthesizeStacks(join(work, "synth"));
    // A folder with the stack's JSON only: locking needs required_providers, never a backend or state.
    const dir = join(work, "lock");
    mkdirSync(dir);
    copyFileSync(join(work, "synth", "stacks", stack.environment.name, "cdk.tf.json"), join(dir, "cdk.tf.json"));
    const stackJson = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
      terraform: { required_providers: { auth0: { version: string } } };
    };
    const constraint = stackJson.terraform.required_providers.auth0.version;

    const run = terraform(dir, ["providers", "lock", ...PLATFORMS.map((p) => `-platform=${p}`)], 600_000);
    if (run.status !== 0) {
      const reason = registryUnreachable(run);
      if (reason)
        throw new NetworkError(
          "ERR_REGISTRY_UNREACHABLE",
          `can't reach the Terraform registry (${reason}); run npm run lock where registry.terraform.io is reachable, then commit ${LOCK_FILE}`,
        );
      throw new LockError("ERR_TERRAFORM_FAILED", "terraform providers lock failed; its output follows", {
        detail: `${run.stderr}${run.stdout}`.trim(),
      });
    }
    // Checked like synthesis checks it, then moved into place whole: a half-written lock breaks every init.
    const made = join(dir, LOCK_FILE);
    const status = readProjectLock(made, constraint, LOCK_FILE);
    const partial = `${target}.${process.pid}.tmp`;
    copyFileSync(made, partial);
    renameSync(partial, target);
    if (status.state === "locked") {
      console.log(
        `wrote ${target === join(projectRoot(), LOCK_FILE) ? LOCK_FILE : target}: auth0/auth0 ${status.version} for "${constraint}", ${status.hashes} hashes (${PLATFORMS.join(", ")}); commit it`,
      );
    }
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

runCommand(COMMAND.name, main);
