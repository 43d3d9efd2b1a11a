// `npm run validate`: `terraform init` and `terraform validate` of every synthesized stack against the
// real auth0 provider, the locked release when the lock file is committed. Needs the Terraform
// registry; without network it says so and exits 3.
// Exit: 0 valid, 1 invalid, 2 terraform missing, 3 the provider could not be downloaded.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../project-root";
import { LOCK_FILE } from "../provider-lock";
import { NetworkError } from "../errors";
import "./stdout-closed";
import { readCommandLine } from "../command-line";
import { runCommand } from "./run-command";
import { registryUnreachable, requireTerraform, terraform } from "./terraform";

const COMMAND = {
  name: "validate",
  usage: [
    "usage: npm run validate",
    "terraform init + terraform validate of every synthesized stack against the real auth0 provider (needs the Terraform registry).",
    "Exit: 0 valid, 1 invalid, 2 terraform missing, 3 the provider could not be downloaded.",
    "  -h, --help   this text",
  ].join("\n"),
  options: {},
} as const;

async function main(): Promise<number> {
  if (!readCommandLine(COMMAND)) return 0;
  requireTerraform();
  const out = mkdtempSync(join(tmpdir(), "claims-validate-"));
  try {
    // Loaded only now, so --help and a bad flag answer without loading cdktf.
    const stacks = (await import("../synthesis")).synthesizeStacks(join(out, "synth"));
    const lock = join(projectRoot(), LOCK_FILE);
    let invalid = 0;
    for (const stack of stacks) {
      const name = stack.environment.name;
      // A copy of the stack, so validating never touches cdktf.out's .terraform or its backend.
      const dir = mkdtempSync(join(out, `${name}-`));
      copyFileSync(join(out, "synth", "stacks", name, "cdk.tf.json"), join(dir, "cdk.tf.json"));
      // With the committed lock, validate against exactly the locked release and refuse to change the lock.
      const locked = existsSync(lock);
      if (locked) copyFileSync(lock, join(dir, LOCK_FILE));
      const init = terraform(dir, [
        "init",
        "-input=false",
        "-backend=false",
        "-no-color",
        ...(locked ? ["-lockfile=readonly"] : []),
      ]);
      if (init.status !== 0) {
        const text = `${init.stderr}\n${init.stdout}`;
        const reason = registryUnreachable(init);
        if (reason) {
          throw new NetworkError(
            "ERR_REGISTRY_UNREACHABLE",
            `can't run here: terraform init must download auth0/auth0 from the Terraform registry, and it can't be reached (${reason}). ` +
              "Run npm run validate where registry.terraform.io is reachable, e.g. in CI.",
          );
        }
        console.error(`validate: ${name}: terraform init failed:\n${text.trim()}`);
        invalid++;
        continue;
      }
      const check = terraform(dir, ["validate", "-no-color"]);
      if (check.status === 0)
        console.log(`${name}: valid (terraform validate against auth0/auth0 ${providerVersion(dir)})`);
      else {
        invalid++;
        console.error(`${name}: INVALID\n${(check.stderr || check.stdout).trim()}`);
      }
    }
    return invalid === 0 ? 0 : 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function providerVersion(dir: string): string {
  const run = terraform(dir, ["version", "-json"]);
  try {
    const selections = (JSON.parse(run.stdout) as { provider_selections: Record<string, string> }).provider_selections;
    return selections["registry.terraform.io/auth0/auth0"] ?? "?";
  } catch {
    return "?";
  }
}

runCommand(COMMAND.name, main);
