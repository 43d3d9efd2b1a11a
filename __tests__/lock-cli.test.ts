// `npm run lock` as a user runs it: --help, and one clear line with exit 3 when the Terraform
// registry can't be reached (forced here with a proxy that refuses, so the test means the same online).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../src/project-root";
import { cli } from "./helpers/cli-bundles";

const root = projectRoot();
const work = mkdtempSync(join(tmpdir(), "claims-lock-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lock(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [...cli("src/cli/lock.ts"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}

test("--help prints the usage, the platforms and the exit codes, and exits 0", () => {
  const run = lock(["--help"]);
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^usage: npm run lock/);
  expect(run.stdout).toContain("linux_amd64, linux_arm64, darwin_amd64, darwin_arm64, windows_amd64");
  expect(run.stdout).toContain("3 registry not reachable");
});

test("an unreachable registry: one line saying where to run it, exit 3, no file written", () => {
  const out = join(work, "lock.hcl");
  const refused = "http://127.0.0.1:1";
  const run = lock(["--out", out], {
    HTTPS_PROXY: refused,
    HTTP_PROXY: refused,
    https_proxy: refused,
    http_proxy: refused,
    NO_PROXY: "",
    no_proxy: "",
  });
  expect(run.status).toBe(3);
  expect(run.stdout).toBe("");
  expect(run.stderr).toMatch(
    /^lock: can't reach the Terraform registry \([^)\n]+\); run npm run lock where registry\.terraform\.io is reachable, then commit \.terraform\.lock\.hcl\n$/,
  );
  expect(existsSync(out)).toBe(false);
});
