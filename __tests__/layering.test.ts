// The import layering of src/ (docs/architecture.md), read from the real module graph: esbuild's
// metafile of every source file, so a new import that breaks a layer fails here.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { projectRoot } from "../src/project-root";

let graph: Map<string, string[]>;

function sources(dir: string): string[] {
  return readdirSync(join(projectRoot(), dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Every file `file` reaches through its imports (npm packages by name), itself excluded. */
function reached(file: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(file) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(graph.get(next) ?? []));
  }
  return seen;
}

const under = (folder: string) => [...graph.keys()].filter((f) => f.startsWith(folder));

beforeAll(() => {
  const { metafile } = buildSync({
    absWorkingDir: projectRoot(),
    entryPoints: sources("src"),
    bundle: true,
    packages: "external",
    platform: "node",
    format: "cjs",
    outdir: "layering-out",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  graph = new Map(
    Object.entries(metafile.inputs).map(([file, input]) => [
      file,
      input.imports.map((i) => (i.external ? i.path.replace(/^((@[^/]+\/)?[^/]+).*$/, "$1") : i.path)),
    ]),
  );
});

test("the graph covers src/ (every layer below has files)", () => {
  for (const folder of [
    "src/auth0/",
    "src/runtime/",
    "src/sandbox/",
    "src/compile/",
    "src/constructs/",
    "src/review/",
    "src/environment/",
    "src/flow/",
    "src/users/",
    "src/preview/",
    "src/verify/",
    "src/local-tenant/",
    "src/cli/",
  ]) {
    expect(under(folder).length).toBeGreaterThan(0);
  }
});

test("src/auth0 (Auth0's facts and rules) imports nothing", () => {
  for (const file of under("src/auth0/")) expect([file, graph.get(file)]).toEqual([file, []]);
});

test("the runtime reaches neither esbuild, cdktf, the compiler nor the constructs", () => {
  for (const file of under("src/runtime/")) {
    const bad = [...reached(file)].filter((f) =>
      /^(esbuild|cdktf|constructs)$|^src\/(compile|constructs|cli)\/|^\.gen\//.test(f),
    );
    expect([file, bad]).toEqual([file, []]);
  }
});

test("only src/compile imports esbuild", () => {
  const importers = [...graph].filter(([, imports]) => imports.includes("esbuild")).map(([file]) => file);
  expect(importers.length).toBeGreaterThan(0);
  expect(importers.filter((f) => !f.startsWith("src/compile/"))).toEqual([]);
});

test("constructs reach no CLI, preview, verify or local tenant", () => {
  for (const file of under("src/constructs/")) {
    const bad = [...reached(file)].filter((f) => /^src\/(cli|preview|verify|local-tenant|review)\//.test(f));
    expect([file, bad]).toEqual([file, []]);
  }
});

test("nothing outside src/cli imports an entry point in src/cli", () => {
  const bad = [...graph].filter(
    ([file, imports]) => !file.startsWith("src/cli/") && imports.some((i) => i.startsWith("src/cli/")),
  );
  expect(bad.map(([file]) => file)).toEqual([]);
});

test("the sandbox reaches the compiler only to bundle its worker, and no construct", () => {
  for (const file of under("src/sandbox/")) {
    const bad = [...graph.get(file)!].filter(
      (f) =>
        /^(cdktf|constructs)$|^src\/constructs\//.test(f) ||
        (f.startsWith("src/compile/") && f !== "src/compile/sandbox-bundle.ts"),
    );
    expect([file, bad]).toEqual([file, []]);
  }
});

test("the shared layers (environment, flow, users, runtime, sandbox) reach no tool that uses them", () => {
  for (const file of [
    ...under("src/environment/"),
    ...under("src/flow/"),
    ...under("src/users/"),
    ...under("src/runtime/"),
    ...under("src/sandbox/"),
  ]) {
    const bad = [...reached(file)].filter((f) => /^src\/(cli|preview|verify|local-tenant|review)\//.test(f));
    expect([file, bad]).toEqual([file, []]);
  }
});
