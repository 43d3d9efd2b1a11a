// Docs that run: every ```sh/```bash example of README.md and docs/*.md, read from the page (so the
// page can't drift from what is tested) and run as a reader runs it: with bash, through npm, in a
// throwaway copy of the project (helpers/project-copy.ts). An example that can't run here says why in
// the page, in an HTML comment just before its block:
//   <!-- example: needs a real tenant -->             the whole block is not run (REASONS below)
//   <!-- example: `npm ci` needs the npm registry --> its commands starting `npm ci` are not run
//   <!-- example: file app.mjs -->                    the next block (any language) is written to app.mjs
// Anything unmarked is run; a new example is run or fails here. Usage synopses are ```text.
//
// How each block runs. Its commands run in one bash (pipefail), in order, sharing variables; each must
// exit as its trailing comment says, `(exit N)`, else 0, and a comment `=> TEXT` means TEXT appears
// in what it printed (stdout and stderr). A command that exits 0 prints no `[ERROR]` (how cdktf's
// CLI logs one). Lines `npm run local-tenant ...` start a tenant before the block runs, one per
// command line, shared by the blocks that start the same one and stopped at the end. What the test
// changes, and only this:
// - a tenant's port: it is started with --port 0; `127.0.0.1:4000` (the default port) and
//   `127.0.0.1:PORT` in the block become the port it got;
// - `/tmp/` becomes a folder of the copy, so runs never share a path;
// - the files a page names as the reader's own exist in the copy, made from samples/: EXPORTS below;
// - the environment is the reader's: no npm_*, JEST_*, AUTH0_*, TF_VAR_* or NODE_ENV from jest.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { projectRoot } from "../src/project-root";
import { copyProject } from "./helpers/project-copy";

const root = projectRoot();
const PAGES = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const SHELL = new Set(["sh", "bash", "shell", "zsh", "console"]);

/** Why an example may stay unrun: what this machine (and any test) can't reach. */
const REASONS = new Set([
  "needs the npm registry", // npm ci, npm install: the packages come from the registry
  "needs the Terraform registry", // terraform init downloads the auth0 provider
  "needs a real tenant", // an Auth0 tenant and its credentials
  "is the test suite", // npm test: this file is part of it
]);

/** A bound on one block, or one tenant's start: a hung command fails its block instead of the run. */
const BOUND_MS = 120_000;

// ---------------------------------------------------------------------------------------------
// Reading the pages

interface Block {
  readonly page: string;
  /** The line of its opening fence, 1-based. */
  readonly line: number;
  readonly lang: string;
  readonly lines: readonly string[];
  /** The text of each `<!-- example: ... -->` just before the fence. */
  readonly markers: readonly string[];
}

function blocksOf(page: string): Block[] {
  const lines = readFileSync(join(root, page), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const markers: string[] = [];
    for (let j = i - 1; j >= 0; j--) {
      const marker = /^\s*<!-- example: (.*?) -->\s*$/.exec(lines[j]);
      if (!marker) break;
      markers.unshift(marker[1]);
    }
    const body: string[] = [];
    let k = i + 1;
    for (; k < lines.length && !new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`).test(lines[k]); k++)
      body.push(lines[k].startsWith(indent) ? lines[k].slice(indent.length) : lines[k].trimStart());
    blocks.push({ page, line: i + 1, lang, lines: body, markers });
    i = k;
  }
  return blocks;
}

/** A command of a block: its lines (continued with a trailing backslash) and what its comment expects. */
interface Command {
  readonly index: number;
  readonly text: string;
  /** The command without its trailing comment, on one line. */
  readonly code: string;
  readonly exit: number;
  readonly output?: string;
  /** Set when a marker leaves it unrun. */
  readonly skipped?: string;
  readonly server: boolean;
}

type Item = { readonly comment: string } | Command;

/** Splits a shell line at its comment: a `#` starting a word, outside quotes. */
function splitComment(line: string): [string, string | undefined] {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (quote === '"' && c === "\\") i++;
    } else if (c === "\\") i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1])))
      return [line.slice(0, i).trimEnd(), line.slice(i + 1).trim()];
  }
  return [line, undefined];
}

interface Plan {
  readonly items: readonly Item[];
  /** A reason the whole block is not run. */
  readonly skipped?: string;
  /** A file the block is written to. */
  readonly file?: string;
  /** Markers that mean nothing, or match no command. */
  readonly invalid: readonly string[];
}

function planOf(block: Block): Plan {
  const invalid: string[] = [];
  let skipped: string | undefined;
  let file: string | undefined;
  const partial: { prefix: string; reason: string; used: boolean }[] = [];
  for (const marker of block.markers) {
    const parts = /^(?:`([^`]+)` )?(.*)$/.exec(marker)!;
    if (/^file \S+$/.test(marker)) file = marker.slice(5);
    else if (!REASONS.has(parts[2])) invalid.push(marker);
    else if (parts[1]) partial.push({ prefix: parts[1], reason: parts[2], used: false });
    else skipped = parts[2];
  }
  const items: Item[] = [];
  const lines = block.lines;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "" || lines[i].trimStart().startsWith("#")) {
      items.push({ comment: lines[i] });
      continue;
    }
    const start = i;
    while (/\\\s*$/.test(lines[i]) && i + 1 < lines.length) i++;
    const text = lines.slice(start, i + 1).join("\n");
    const [lastCode, comment] = splitComment(lines[i]);
    const code = [...lines.slice(start, i).map((l) => l.replace(/\\\s*$/, "")), lastCode]
      .join(" ")
      .replace(/\s+/g, " ")
      .trim();
    const skip = partial.find((p) => code.startsWith(p.prefix));
    if (skip) skip.used = true;
    items.push({
      index: items.length,
      text,
      code,
      exit: Number(/\(exit (\d+)\)/.exec(comment ?? "")?.[1] ?? 0),
      output: /=>\s*(.+?)\s*$/.exec(comment ?? "")?.[1],
      skipped: skip?.reason,
      server: /^npm run local-tenant\b/.test(code),
    });
  }
  for (const p of partial) if (!p.used) invalid.push(`\`${p.prefix}\` ${p.reason} (no command of the block starts so)`);
  return { items, skipped, file, invalid };
}

const isCommand = (item: Item): item is Command => "code" in item;

const BLOCKS = PAGES.flatMap(blocksOf);
const SHELL_BLOCKS = BLOCKS.filter((b) => SHELL.has(b.lang)).map((block) => ({ block, plan: planOf(block) }));
const FILE_BLOCKS = BLOCKS.map((block) => ({ block, plan: planOf(block) })).filter((b) => b.plan.file !== undefined);
const RUN = SHELL_BLOCKS.filter((b) => !b.plan.skipped);
const where = (block: Block) => `${block.page}:${block.line}`;

// ---------------------------------------------------------------------------------------------
// Running them

let work: string;
const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: "false" };
for (const key of Object.keys(env))
  if (
    /^(npm_(?!config_update_notifier)|JEST_|AUTH0_|TF_VAR_)/i.test(key) ||
    ["NODE_ENV", "INIT_CWD", "CLAIMS_TEST_BUNDLES"].includes(key)
  )
    delete env[key];
// This machine's TF_CLI_CONFIG_FILE names no file, which makes terraform (and cdktf, through it) log
// an [ERROR] a reader would not see: scripts/generate-bindings.mjs drops it the same way.
if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;

/** The files the pages name as the reader's own: an export with a blocked user in it, and an action made by hand. */
function writeExports(dir: string): void {
  const samples = readFileSync(join(root, "samples", "users.ndjson"), "utf8")
    .trim()
    .split("\n");
  const blocked = JSON.stringify({
    user_id: "auth0|mallory",
    email: "mallory@example.com",
    name: "Mallory Blocked",
    app_metadata: { blocked: true, roles: ["admin"] },
  });
  const ndjson = [...samples, blocked].join("\n") + "\n";
  writeFileSync(join(dir, "export.ndjson"), ndjson);
  writeFileSync(join(dir, "export.ndjson.gz"), gzipSync(ndjson));
  writeFileSync(join(dir, "export.json.gz"), gzipSync(JSON.stringify([...samples, blocked].map((l) => JSON.parse(l)))));
  writeFileSync(
    join(dir, "dashboard-action.js"),
    [
      "// The claims action as made by hand in the dashboard: roles only, on the ID token.",
      "exports.onExecutePostLogin = async (event, api) => {",
      "  const roles = event.user.app_metadata && event.user.app_metadata.roles;",
      '  if (Array.isArray(roles)) api.idToken.setCustomClaim("https://dev.example.com/claims/roles", roles);',
      "};",
      "",
    ].join("\n"),
  );
}

interface Tenant {
  readonly port: string;
  readonly output: string;
  readonly child: ChildProcess;
}

const tenants = new Map<string, Promise<Tenant>>();
const children: ChildProcess[] = [];

/** The tenant a command line starts, with --port 0; one per command line, started once. */
function tenant(code: string): Promise<Tenant> {
  const line = /--port\s+\S+/.test(code)
    ? code.replace(/--port\s+\S+/, "--port 0")
    : / -- /.test(`${code} `)
      ? `${code} --port 0`
      : `${code} -- --port 0`;
  let started = tenants.get(line);
  if (!started) {
    started = new Promise<Tenant>((resolve, reject) => {
      const child = spawn("bash", ["-c", line], { cwd: work, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      let output = "";
      const timer = setTimeout(
        () => reject(new Error(`${line}: no banner within ${BOUND_MS} ms:\n${output}`)),
        BOUND_MS,
      );
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const port = /listening on https?:\/\/127\.0\.0\.1:(\d+)\//.exec(output)?.[1];
        if (port && output.includes("Ctrl-C stops it.")) {
          clearTimeout(timer);
          resolve({ port, output, child });
        }
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${line} exited with ${code}:\n${output}`));
      });
    });
    tenants.set(line, started);
  }
  return started;
}

/** Ends a process group this file started (bash, npm, the tenant under it). */
function endGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    try {
      process.kill(-child.pid!, "SIGTERM");
    } catch {
      resolve();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
      resolve();
    }, 5_000).unref();
  });
}

interface CommandRun {
  readonly command: string;
  readonly exit: number | string;
  readonly output: string;
}

interface BlockRun {
  readonly commands: CommandRun[];
  readonly servers: { readonly command: string; readonly output: string; readonly port: string }[];
  /** The substitution of the block's port, for its expected outputs. */
  readonly port?: string;
}

const RS = "\x1e";

async function runBlock(block: Block, plan: Plan): Promise<BlockRun> {
  const servers = plan.items.filter(isCommand).filter((c) => c.server && !c.skipped);
  const started = await Promise.all(servers.map((s) => tenant(s.code)));
  const port = started.length === 1 ? started[0].port : undefined;
  const place = (text: string) => {
    let out = text.split("/tmp/").join(`${work}/tmp/`);
    if (port) out = out.replace(/127\.0\.0\.1:(4000|PORT)\b/g, `127.0.0.1:${port}`);
    return out;
  };
  const script = ["set -o pipefail"];
  const run = plan.items.filter(isCommand).filter((c) => !c.server && !c.skipped);
  if (run.length > 0 && started.length > 1)
    throw new Error(`${where(block)}: commands after two tenants: which port is 4000?`);
  for (const item of plan.items) {
    if (!isCommand(item)) script.push(item.comment);
    else if (item.server || item.skipped) script.push(":");
    else script.push(`{\n${place(item.text)}\n} 2>&1`, `printf '\\n${RS}%d %d\\n' ${item.index} $?`);
  }
  const result = await new Promise<{ stdout: string; exit: number | string }>((resolve) => {
    const child = spawn("bash", ["-c", script.join("\n")], {
      cwd: work,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stdout += c.toString()));
    const timer = setTimeout(() => void endGroup(child), BOUND_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, exit: code ?? `killed (${signal}) after ${BOUND_MS} ms` });
    });
  });
  const outputs = new Map<number, { exit: number; output: string }>();
  let rest = result.stdout;
  for (const match of result.stdout.matchAll(new RegExp(`\\n${RS}(\\d+) (\\d+)\\n`, "g"))) {
    const [before] = rest.split(match[0], 1);
    outputs.set(Number(match[1]), { exit: Number(match[2]), output: before });
    rest = rest.slice(before.length + match[0].length);
  }
  return {
    commands: run.map((c) => ({
      command: c.text,
      exit: outputs.get(c.index)?.exit ?? `never finished (the block: ${result.exit})`,
      output: outputs.get(c.index)?.output ?? rest,
    })),
    servers: servers.map((s, i) => ({ command: s.text, output: started[i].output, port: started[i].port })),
    port,
  };
}

const runs = new Map<Block, Promise<BlockRun>>();

beforeAll(async () => {
  work = copyProject("claims-docs-");
  mkdirSync(join(work, "tmp"));
  writeExports(work);
  for (const { block, plan } of FILE_BLOCKS) writeFileSync(join(work, plan.file!), block.lines.join("\n"));
  // Two pages at a time, each page's blocks in order (a later block may use what an earlier one made).
  const pages = [...new Set(RUN.map((r) => r.block.page))];
  const next = async (): Promise<void> => {
    const page = pages.shift();
    if (page === undefined) return;
    for (const { block, plan } of RUN.filter((r) => r.block.page === page)) {
      const run = runBlock(block, plan);
      run.catch(() => undefined);
      runs.set(block, run);
      await run.catch(() => undefined);
    }
    return next();
  };
  await Promise.all([next(), next()]);
}, 600_000);

afterAll(async () => {
  await Promise.all(children.map(endGroup));
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// What each page promises

test("every marker is one this file knows, and a command marker names a command of its block", () => {
  expect(BLOCKS.flatMap((b) => planOf(b).invalid.map((m) => `${where(b)}: ${m}`))).toEqual([]);
});

test("every ```sh and ```bash fence of the pages is read as an example", () => {
  const fences = PAGES.flatMap((page) => readFileSync(join(root, page), "utf8").match(/^\s*```(sh|bash)\s*$/gm) ?? []);
  expect(SHELL_BLOCKS.length).toBe(fences.length);
  expect(RUN.length).toBeGreaterThan(0);
});

for (const { block, plan } of SHELL_BLOCKS) {
  if (plan.skipped) {
    test.skip(`${where(block)}: not run, ${plan.skipped}`, () => undefined);
    continue;
  }
  test(`${where(block)}: ${
    plan.items
      .filter(isCommand)
      .find((c) => !c.skipped)
      ?.code.slice(0, 60) ?? "(no command)"
  }`, async () => {
    const run = await runs.get(block)!;
    const port = (text: string, got = run.port) =>
      got ? text.replace(/127\.0\.0\.1:(4000|PORT)\b/g, `127.0.0.1:${got}`) : text;
    const wrong: object[] = [];
    const servers = plan.items.filter(isCommand).filter((c) => c.server && !c.skipped);
    servers.forEach((server, i) => {
      const said = server.output === undefined ? undefined : port(server.output, run.servers[i].port);
      if (said !== undefined && !run.servers[i].output.includes(said))
        wrong.push({ ...run.servers[i], expected: `prints ${said}` });
    });
    plan.items
      .filter(isCommand)
      .filter((c) => !c.server && !c.skipped)
      .forEach((command, i) => {
        const got = run.commands[i];
        const said = command.output === undefined ? undefined : port(command.output);
        if (got.exit !== command.exit) wrong.push({ ...got, expected: `exit ${command.exit}` });
        else if (said !== undefined && !got.output.includes(said)) wrong.push({ ...got, expected: `prints ${said}` });
        else if (command.exit === 0 && got.output.includes("[ERROR]")) wrong.push({ ...got, expected: "no [ERROR]" });
      });
    expect(wrong).toEqual([]);
  });
}
