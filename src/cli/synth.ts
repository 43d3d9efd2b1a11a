// `npm run synth [-- --out DIR]`: synthesizes every environment without the cdktf CLI, exactly as
// main.ts does under `cdktf synth` (same stacks, contracts, summaries, lock file: same bytes), and
// prints the summaries.
import { readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import "./stdout-closed";
import { readCommandLine } from "../command-line";
import { escapeControl } from "../errors";
import { runCommand } from "./run-command";
import { projectRoot } from "../project-root";

const COMMAND = {
  name: "synth",
  usage: [
    "usage: npm run synth [-- --out DIR]",
    "Synthesizes every environment (same tree as cdktf synth): stacks, lock file, claims contracts and summaries; prints the summaries.",
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
  // Loaded only now, so --help and a bad flag answer without loading cdktf.
  const { removeRetiredStacks, synthesizeStacks, writeReview } = await import("../synthesis");
  const stacks = synthesizeStacks(out);
  // What the cdktf CLI does after its app ends: no folder of a removed environment lingers.
  removeRetiredStacks(out, stacks);
  const review = await writeReview(out, stacks);
  for (const line of annotations(out)) console.error(line);

  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const shown =
    isAbsolute(out) && !relative(process.cwd(), out).startsWith("..") ? relative(process.cwd(), out) || "." : out;
  console.log(
    `synthesized ${stacks.length} stack(s) into ${shown} in ${Math.round(ms)} ms, each with its claims contract and summary (stacks/<env>/claims-contract.md, .json, claims-summary.txt)\n`,
  );
  console.log(review.summaries.join("\n"));
  return 0;
}

/** cdktf's names of the annotation levels (AnnotationMetadataEntryType). */
const LEVELS: Record<string, string> = { "@cdktf/info": "INFO", "@cdktf/warn": "WARN", "@cdktf/error": "ERROR" };

/**
 * The constructs' warnings and notes (e.g. adopting an action: docs/lifecycle.md), from the manifest
 * the synthesis wrote, in the cdktf CLI's words: it prints the same lines after `cdktf synth`.
 */
function annotations(out: string): string[] {
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
    stacks: Record<string, { annotations?: { constructPath: string; level: string; message: unknown }[] }>;
  };
  return Object.values(manifest.stacks).flatMap((stack) =>
    (stack.annotations ?? []).map((a) =>
      escapeControl(`${LEVELS[a.level] ?? a.level} [${a.constructPath}]: ${String(a.message)}`),
    ),
  );
}

runCommand(COMMAND.name, main);
