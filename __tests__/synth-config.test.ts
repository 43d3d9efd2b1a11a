// A mistake in src/environments.ts, as `npm run synth` meets it: the real synth CLI, bundled with
// that module swapped for a copy holding one mistake (an esbuild plugin; nothing in the worktree is
// edited). Each must end with exit 2 and one line on stderr naming the environment, the field, the
// value and the fix; never "unexpected error ... (a bug: please report it)" and exit 1, and no stack.
import { build, type BuildOptions } from "esbuild";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import BUNDLE_OPTIONS from "../scripts/bundle-options.json";
import { runProcess, type Run } from "./helpers/cli-bundles";

const root = projectRoot();
// Inside node_modules: the bundle requires the project's npm packages, which stay external.
// Made in beforeAll, not at load: a run that filters every test out skips the hooks, so would leave it.
let dir: string;
beforeAll(() => {
  const parent = join(root, "node_modules", ".cache", "test-bundles");
  mkdirSync(parent, { recursive: true });
  dir = mkdtempSync(join(parent, "synth-config-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** npm run synth with src/environments.ts's `environments` replaced by `environments` (TypeScript source). */
async function synthWith(name: string, environments: string): Promise<Run> {
  const real = join(root, "src", "environments.ts");
  const swapped = join(dir, `${name}-environments.ts`);
  writeFileSync(swapped, `export * from ${JSON.stringify(real)};\nexport const environments = ${environments};\n`);
  const bundle = join(dir, `${name}-synth.cjs`);
  await build({
    ...(BUNDLE_OPTIONS as BuildOptions),
    absWorkingDir: root,
    entryPoints: [join(root, "src", "cli", "synth.ts")],
    outfile: bundle,
    plugins: [
      {
        name: "swap-environments",
        setup(b) {
          b.onResolve({ filter: /\/environments$/ }, (args) =>
            args.importer === swapped ? undefined : { path: swapped },
          );
        },
      },
    ],
  });
  return runProcess(process.execPath, [bundle, "--out", join(dir, `${name}-out`)], { cwd: root });
}

// [the mistake, the environments holding it, the line synth must end with]
const MISTAKES: [string, string, RegExp][] = [
  [
    "bad-claim-key",
    `[{ name: "dev", namespace: "https://dev.example.com/claims", tokens: ["id"], claimKeys: ["roles", "team name"] }]`,
    /^synth: dev\/app_metadata_claims: claimKeys: "team name" can't be a claim key; use 1 to 64 letters, digits, "_", "-" or "\."/,
  ],
  [
    "reserved-namespace",
    `[{ name: "dev", namespace: "https://tenant.auth0.com/claims", tokens: ["id"] }]`,
    /^synth: dev\/app_metadata_claims: namespace: "https:\/\/tenant\.auth0\.com\/claims" can't be a claim namespace \(auth0\.com, webtask\.io and webtask\.run are reserved by Auth0\); use an http\(s\) URL you control/,
  ],
  [
    "hand-bound-in-append",
    `[{ name: "prod", namespace: "https://prod.example.com/claims", tokens: ["id"], binding: { mode: "append", before: [{ id: "act_1", displayName: "Legacy" }] } }]`,
    /^synth: prod\/.*"Legacy" is bound by hand; "append" leaves actions bound by hand where they are: drop it from the list, or use mode "exclusive"/,
  ],
];

describe.each(MISTAKES)("%s", (name, environments, line) => {
  let run: Run;
  beforeAll(async () => {
    run = await synthWith(name, environments);
  }, 120_000);

  test("exit 2, nothing on stdout", () => {
    expect({ status: run.status, stdout: run.stdout }).toEqual({ status: 2, stdout: "" });
  });

  test("one line naming the environment, the field, the value and the fix", () => {
    expect(run.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(line)]);
  });
});
