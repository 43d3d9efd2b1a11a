// The suite's two tiers (jest.config.js, docs/testing.md): jest's own reading of the configuration
// puts every test file in exactly one project, and the unit project's guard stops a file there from
// starting a process while threads and esbuild still run.
import * as childProcess from "node:child_process";
import cluster from "node:cluster";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Worker } from "node:worker_threads";
import { SearchSource } from "@jest/core";
import { buildSync, transform } from "esbuild";
import { readConfigs } from "jest-config";
import { projectRoot } from "../src/project-root";
import { takeStarts } from "./helpers/unit-tier-guard";

const root = projectRoot();

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith(".test.ts") ? [join(dir, e.name)] : [],
  );
}

describe("the projects, as jest reads jest.config.js", () => {
  let projects: {
    name: string;
    config: Awaited<ReturnType<typeof readConfigs>>["configs"][number];
    search: SearchSource;
  }[];
  beforeAll(async () => {
    const { configs } = await readConfigs({ $0: "jest", _: [] }, [root]);
    // SearchSource's test-path matching reads only the configuration (roots, testMatch, ignore patterns).
    projects = configs.map((config) => ({
      name: config.displayName?.name ?? "",
      config,
      search: new SearchSource({ config } as ConstructorParameters<typeof SearchSource>[0]),
    }));
  });

  test("are unit and integration", () => {
    expect(projects.map((p) => p.name)).toEqual(["unit", "integration"]);
  });

  test("every test file is in exactly one project, so npm test runs each once", () => {
    const files = testFiles(join(root, "__tests__"));
    expect(files.length).toBeGreaterThan(40);
    const placed = files.map(
      (file) =>
        `${relative(root, file)}: ${
          projects
            .filter((p) => p.search.isTestFilePath(file))
            .map((p) => p.name)
            .join(", ") || "none"
        }`,
    );
    expect(placed.filter((line) => !/: (unit|integration)$/.test(line))).toEqual([]);
  });

  test("each file the unit project names exists (a misspelt name would leave that file in integration)", () => {
    const unit = projects.find((p) => p.name === "unit")!.config;
    expect(unit.testMatch.length).toBeGreaterThan(10);
    expect(unit.testMatch.filter((path) => !existsSync(path))).toEqual([]);
    expect(projects.find((p) => p.name === "unit")!.search.isTestFilePath(__filename)).toBe(true);
  });

  test("only the unit project has the guard, and only integration the prerequisite check and CLI bundles", () => {
    const [unit, integration] = projects.map((p) => p.config);
    expect(unit.setupFilesAfterEnv).toEqual([join(root, "__tests__/helpers/unit-tier-guard.ts")]);
    expect(unit.globalSetup).toBeUndefined();
    expect(integration.setupFilesAfterEnv).toEqual([]);
    expect(integration.globalSetup).toBe(join(root, "__tests__/helpers/global-setup.ts"));
  });
});

describe("the unit tier's guard", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), "claims-tiers-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = "__tests__/test-tiers.test.ts";
  const refusal = (call: string) =>
    `unit tier: ${file} starts a process (${call}); move it to the integration project (jest.config.js)`;

  test("refuses every way child_process starts a process, naming the file and where to move it; none starts", () => {
    const marker = join(dir, "started");
    const script = `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "")`;
    const node = process.execPath;
    expect(() => childProcess.spawnSync(node, ["-e", script])).toThrow(
      refusal(`child_process.spawnSync(${JSON.stringify(node)})`),
    );
    expect(() => childProcess.spawn(node, ["-e", script])).toThrow(
      refusal(`child_process.spawn(${JSON.stringify(node)})`),
    );
    expect(() => childProcess.execFileSync(node, ["-e", script])).toThrow(/child_process\.execFileSync/);
    expect(() => childProcess.execFile(node, ["-e", script])).toThrow(/child_process\.execFile\(/);
    expect(() => childProcess.execSync(`node -e '${script}'`)).toThrow(/child_process\.execSync\("node -e/);
    expect(() => childProcess.exec(`node -e '${script}'`)).toThrow(/child_process\.exec\("node -e/);
    expect(() => childProcess.fork(join(dir, "child.js"))).toThrow(/child_process\.fork\(/);
    expect(takeStarts()).toHaveLength(7);
    expect(existsSync(marker)).toBe(false);
  });

  test("covers require('child_process') without the node: prefix, and cluster's worker processes", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const plain = require("child_process") as typeof childProcess;
    expect(() => plain.spawnSync("terraform", ["version"])).toThrow(refusal('child_process.spawnSync("terraform")'));
    // Were the guard missing, the fork would run this script (it exits at once), not a second jest.
    const exits = join(dir, "exits.js");
    writeFileSync(exits, "process.exit(0)\n");
    cluster.setupPrimary({ exec: exits, args: [], silent: true });
    expect(() => cluster.fork()).toThrow(refusal("cluster.fork()"));
    expect(takeStarts()).toEqual(['child_process.spawnSync("terraform")', "cluster.fork()"]);
  });

  test("a start that the code under test catches is still recorded, for the check after the file's tests", () => {
    try {
      childProcess.spawnSync("chromium", ["--headless"]);
    } catch {
      // swallowed, as a launcher might
    }
    expect(takeStarts()).toEqual(['child_process.spawnSync("chromium")']);
  });

  test("lets worker threads and esbuild (sync, and async through its own binary) run", async () => {
    const worker = new Worker("require('node:worker_threads').parentPort.postMessage(6 * 7)", { eval: true });
    expect(await new Promise((resolve) => worker.once("message", resolve))).toBe(42);
    await worker.terminate();
    expect(
      buildSync({ stdin: { contents: "export const a: number = 1", loader: "ts" }, write: false, format: "cjs" })
        .outputFiles[0].text,
    ).toContain("a = 1");
    expect((await transform("let b: number = 2", { loader: "ts" })).code).toBe("let b = 2;\n");
    expect(takeStarts()).toEqual([]);
  });
});
