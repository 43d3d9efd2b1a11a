// `npm run validate`: `terraform init` and `terraform validate` of every synthesized stack against the
// real auth0 provider. Needs the Terraform registry; without network it says so and exits 3.
// Exit: 0 valid, 1 invalid, 2 terraform missing, 3 the provider could not be downloaded.
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "cdktf";
import { ClaimsStack } from "../claims-stack";
import { environments } from "../environments";
import "./stdout-closed";
import { readCommandLine, runCommand } from "./command-line";

const NETWORK = /Failed to query available provider packages|could not connect to registry|no such host|dial tcp|i\/o timeout|Failed to install provider|TLS handshake/;

function terraform(dir: string, args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  return spawnSync("terraform", args, { cwd: dir, env, encoding: "utf8", timeout: 300_000 });
}

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

function main(): number {
  if (!readCommandLine(COMMAND)) return 0;
  const version = spawnSync("terraform", ["version"], { encoding: "utf8" });
  if (version.error) {
    console.error("validate: terraform is not on PATH; install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install)");
    return 2;
  }
  const out = mkdtempSync(join(tmpdir(), "claims-validate-"));
  try {
    const app = new App({ outdir: join(out, "synth") });
    const stacks = environments.map((environment) => new ClaimsStack(app, environment));
    app.synth();
    let invalid = 0;
    for (const stack of stacks) {
      const name = stack.environment.name;
      // A copy of the stack, so validating never touches cdktf.out's .terraform or its backend.
      const dir = mkdtempSync(join(out, `${name}-`));
      copyFileSync(join(out, "synth", "stacks", name, "cdk.tf.json"), join(dir, "cdk.tf.json"));
      const init = terraform(dir, ["init", "-input=false", "-backend=false", "-no-color"]);
      if (init.status !== 0) {
        const text = `${init.stderr}\n${init.stdout}`;
        if (NETWORK.test(text)) {
          const flat = text.replace(/\s+/g, " ");
          const reason = /could not connect to [^:]+|lookup [^ ]+ [^:]*: no such host|i\/o timeout|Failed to install provider[^.]*/.exec(flat)?.[0];
          console.error(
            `validate: can't run here: terraform init must download auth0/auth0 from the Terraform registry, and it can't be reached (${reason ?? "no network"}). ` +
              "Run npm run validate where registry.terraform.io is reachable, e.g. in CI.",
          );
          return 3;
        }
        console.error(`validate: ${name}: terraform init failed:\n${text.trim()}`);
        invalid++;
        continue;
      }
      const check = terraform(dir, ["validate", "-no-color"]);
      if (check.status === 0) console.log(`${name}: valid (terraform validate against auth0/auth0 ${providerVersion(dir)})`);
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
    const selections = JSON.parse(run.stdout).provider_selections as Record<string, string>;
    return selections["registry.terraform.io/auth0/auth0"] ?? "?";
  } catch {
    return "?";
  }
}

runCommand(COMMAND.name, main);
