// `npm run synth`: synthesizes every environment without the cdktf CLI, then prints a summary per stack.
import { join } from "node:path";
import { App } from "cdktf";
import { ClaimsStack } from "../claims-stack";
import { environments } from "../environments";
import { projectRoot } from "../project-root";
import { summarizeStack } from "../summary";

const started = process.hrtime.bigint();
const outdir = join(projectRoot(), "cdktf.out");
const app = new App({ outdir });
const stacks = environments.map((environment) => new ClaimsStack(app, environment));
app.synth();
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(`synthesized ${stacks.length} stack(s) into cdktf.out in ${Math.round(ms)} ms\n`);
console.log(stacks.map((stack) => summarizeStack(stack, outdir)).join("\n\n"));
