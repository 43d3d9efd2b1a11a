// `npm run synth [-- --out DIR]`: synthesizes every environment without the cdktf CLI (same stacks,
// same bytes as `cdktf synth`), writes each environment's claims contract beside its stack, and
// prints a short summary per stack.
import { writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import "./stdout-closed";
import { readCommandLine, runCommand } from "./command-line";
import { App } from "cdktf";
import { ClaimsStack } from "../claims-stack";
import { buildContract, contractJson, contractMarkdown } from "../contract";
import { environments } from "../environments";
import { UserFile } from "../preview/read-users";
import { projectRoot } from "../project-root";
import type { ExportedUser } from "../runtime/post-login-runtime";
import { summarizeStack } from "../summary";

/** The users previewed in every contract. */
const SAMPLES = "samples/users.ndjson";

const COMMAND = {
  name: "synth",
  usage: [
    "usage: npm run synth [-- --out DIR]",
    "Synthesizes every environment (same stacks as cdktf synth), writes each claims contract, prints a summary.",
    "  --out DIR    where to write the stacks (default: cdktf.out in the project folder)",
    "  -h, --help   this text",
  ].join("\n"),
  options: { out: { type: "string" } },
} as const;

async function main(): Promise<number> {
  const started = process.hrtime.bigint();
  const values = readCommandLine(COMMAND);
  if (!values) return 0;
  const out = values.out ?? join(projectRoot(), "cdktf.out");
  const app = new App({ outdir: out });
  const stacks = environments.map((environment) => new ClaimsStack(app, environment));
  app.synth();

  const samples: ExportedUser[] = [];
  for await (const batch of (await UserFile.open(join(projectRoot(), SAMPLES))).users()) for (const { user } of batch) samples.push(user);
  for (const stack of stacks) {
    const contract = await buildContract(stack, samples, SAMPLES);
    const dir = join(out, "stacks", stack.environment.name);
    writeFileSync(join(dir, "claims-contract.json"), contractJson(contract));
    writeFileSync(join(dir, "claims-contract.md"), contractMarkdown(contract));
  }

  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const shown = isAbsolute(out) && !relative(process.cwd(), out).startsWith("..") ? relative(process.cwd(), out) || "." : out;
  console.log(`synthesized ${stacks.length} stack(s) into ${shown} in ${Math.round(ms)} ms, with a claims contract each (stacks/<env>/claims-contract.md, .json)\n`);
  console.log(stacks.map((stack) => summarizeStack(stack, out)).join("\n\n"));
  return 0;
}

runCommand(COMMAND.name, main);
