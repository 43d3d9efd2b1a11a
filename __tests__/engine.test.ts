// Engine parity: the project synthesized with cdktf 0.21 (the default) and with CDK Terrain (cdktn,
// installed as a devDependency and loaded under the name "cdktf", as an npm alias would) gives the
// same stacks, except the engine's version stamp. See docs/engine.md.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { environments } from "../src/environments";
import { projectRoot } from "../src/project-root";
import { REVIEW_FILES } from "../src/synthesis";
import { cli } from "./helpers/cli-bundles";

const root = projectRoot();
const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), "claims-engine-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm run synth in a child process, with `cdktf` resolved to `engine`'s package. */
function synth(engine: "cdktf" | "cdktn"): string {
  const out = join(work, engine);
  const preload = engine === "cdktn" ? ["-r", "./__tests__/helpers/engine-cdktn.cjs"] : [];
  const run = spawnSync(process.execPath, [...preload, ...cli("src/cli/synth.ts"), "--out", out], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`synth with ${engine} failed (${run.status}): ${run.stderr}`);
  return out;
}

const stack = (out: string, env: string) => JSON.parse(readFileSync(join(out, "stacks", env, "cdk.tf.json"), "utf8"));
const withoutStamp = (json: { "//": { metadata: Record<string, unknown> } }) => ({
  ...json,
  "//": { ...json["//"], metadata: { ...json["//"].metadata, version: "<engine>" } },
});

let cdktf: string;
let cdktn: string;
beforeAll(() => {
  cdktf = synth("cdktf");
  cdktn = synth("cdktn");
});

test("each engine stamps its own version, so the comparison is between two engines", () => {
  for (const env of environments) {
    expect(stack(cdktf, env.name)["//"].metadata.version).toBe(packageVersion("cdktf"));
    expect(stack(cdktn, env.name)["//"].metadata.version).toBe(packageVersion("cdktn"));
  }
});

test.each(environments.map((e) => e.name))("%s: the same stack JSON except the version stamp", (env) => {
  expect(withoutStamp(stack(cdktn, env))).toEqual(withoutStamp(stack(cdktf, env)));
});

test.each(environments.map((e) => e.name))("%s: the same contracts and summary, byte for byte", (env) => {
  for (const file of REVIEW_FILES)
    expect(readFileSync(join(cdktn, "stacks", env, file)).equals(readFileSync(join(cdktf, "stacks", env, file)))).toBe(
      true,
    );
});
