// `npm run synth [-- --out DIR]`: synthesizes every environment without the cdktf CLI, then prints
// a short summary per stack. Same stacks, same bytes as `cdktf synth`.
import { isAbsolute, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { App } from "cdktf";
import { ClaimsStack } from "../claims-stack";
import { environments } from "../environments";
import { projectRoot } from "../project-root";
import { summarizeStack } from "../summary";

const started = process.hrtime.bigint();
let out: string;
try {
  const { values } = parseArgs({ options: { out: { type: "string" } } });
  out = values.out ?? join(projectRoot(), "cdktf.out");
} catch (err) {
  console.error(`synth: ${(err as Error).message}; usage: npm run synth [-- --out DIR]`);
  process.exit(2);
}
const app = new App({ outdir: out });
const stacks = environments.map((environment) => new ClaimsStack(app, environment));
app.synth();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const shown = isAbsolute(out) && !relative(process.cwd(), out).startsWith("..") ? relative(process.cwd(), out) || "." : out;
console.log(`synthesized ${stacks.length} stack(s) into ${shown} in ${Math.round(ms)} ms\n`);
console.log(stacks.map((stack) => summarizeStack(stack, out)).join("\n\n"));
