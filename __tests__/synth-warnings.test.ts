// The constructs' warnings reach whoever synthesizes, whichever way: an environment that adopts an
// action made by hand (docs/lifecycle.md, "Adopt an action made by hand") gets the adoption warning
// from `npm run synth` as from `cdktf synth`, in the same words. Run in a copy of the project whose
// dev environment adopts an action, through npm and the cdktf CLI as a reader runs them.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProcess, type Run } from "./helpers/cli-bundles";
import { copyProject } from "./helpers/project-copy";

const ACTION_ID = "7f3c9f0e-5b1a-4c1e-9d7e-0123456789ab";
const WARNING =
  `WARN [dev/app_metadata_claims/action]: adopting action ${ACTION_ID}: the first apply updates it and deploys a new version (secrets can't be imported); ` +
  `list every secret the hand-made action has in "secrets" (CLAIM_NAMESPACE), or Auth0 refuses the update with "Unmanaged Action Secret"`;

let work: string;
let npmRun: Run;
let cdktfRun: Run;
beforeAll(async () => {
  work = copyProject("claims-adopt-");
  const file = join(work, "src", "environments.ts");
  const source = readFileSync(file, "utf8");
  const dev = '    name: "dev",\n';
  if (!source.includes(dev))
    throw new Error(`src/environments.ts no longer declares dev as ${JSON.stringify(dev)}: update this test`);
  writeFileSync(file, source.replace(dev, `${dev}    adopt: { actionId: "${ACTION_ID}" },\n`));
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1" };
  // A TF_CLI_CONFIG_FILE naming no file (this machine's) makes terraform, under cdktf, log an [ERROR].
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  [npmRun, cdktfRun] = await Promise.all([
    runProcess("npm", ["run", "--silent", "synth", "--", "--out", join(work, "npm.out")], { cwd: work, env }),
    runProcess(join(work, "node_modules", ".bin", "cdktf"), ["synth", "--output", join(work, "cdktf.out")], {
      cwd: work,
      env,
    }),
  ]);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("cdktf synth prints the adoption warning", () => {
  expect(cdktfRun.status).toBe(0);
  expect(cdktfRun.stdout).toContain(WARNING);
});

test("npm run synth prints it too, in the same words, on stderr; its summaries stay on stdout", () => {
  expect(npmRun).toMatchObject({ status: 0, stderr: `${WARNING}\n` });
  expect(npmRun.stdout).toMatch(/^synthesized 2 stack\(s\) into npm\.out/);
});
