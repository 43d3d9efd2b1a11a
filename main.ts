// Table of contents: one ClaimsStack per tenant environment declared in src/environments.ts, then the
// review artifacts beside each stack (lock file, claims contract, summary), so cdktf synth, diff and
// deploy leave the same tree as npm run synth.
import { App } from "cdktf";
import { runCommand } from "./src/cli/run-command";
import { declareStacks, writeReview } from "./src/synthesis";

// Inside runCommand, so a mistake in src/environments.ts ends cdktf synth with one line and exit 2,
// as npm run synth does. The cdktf CLI waits for this process to end before it reads cdktf.out.
runCommand("synth", async () => {
  const app = new App();
  const stacks = declareStacks(app);
  app.synth();
  await writeReview(app.outdir, stacks);
});
