// Table of contents: one ClaimsStack per tenant environment declared in src/environments.ts, then the
// review artifacts beside each stack (lock file, claims contract, summary), so cdktf synth, diff and
// deploy leave the same tree as npm run synth.
import { App } from "cdktf";
import { runCommand } from "./src/command-line";
import { declareStacks, writeReview } from "./src/synthesis";

const app = new App();
const stacks = declareStacks(app);
app.synth();
// The cdktf CLI waits for this process to end before it reads cdktf.out, so the async part finishes first.
runCommand("synth", async () => {
  await writeReview(app.outdir, stacks);
});
