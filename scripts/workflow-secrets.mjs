// Lists what each job of GitHub Actions workflows can reach (secrets, variables, OIDC and the cloud
// roles it assumes, its GITHUB_TOKEN's permissions, its environments) and whether it runs
// pull-request code, after checking every file against GitHub's workflow schema with GitHub's own
// parser (@actions/workflow-parser). Exits 1 when a file is invalid or a job breaks a rule of USAGE.
// A job that checks nothing out counts as running no pull-request code, even where it runs what a
// pull-request job built (an artifact): read such jobs yourself. See docs/gitops.md, "Who holds what".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { register } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse } from "yaml";

const USAGE = `usage: node scripts/workflow-secrets.mjs [--reviewed ENV[,ENV...]] [--json] PATH...

Checks each workflow against GitHub's workflow schema, then lists for every job (jobs of a called
workflow under the job that calls it): the events it runs on and whether it runs pull-request code,
its environments, its GITHUB_TOKEN permissions, the secrets and variables it names, OIDC and the
roles it assumes. Exit 1 when a file is invalid, a job sets no permissions of its own, a called
workflow's job asks for more than its caller grants, or a job that runs pull-request code holds a
secret, OIDC or a write permission outside a reviewed environment.

  PATH                   a workflow file, or a folder: its *.yml and *.yaml files
  --reviewed ENV,...     environments whose jobs wait for a reviewer's approval (required reviewers,
                         set in the repository's settings; this script can't see them)
  --json                 the listing as JSON: { files, jobs, problems }
  -h, --help             this text`;

/** A workflow file larger than this is not one (GitHub's largest are a few hundred KiB). */
const MAX_FILE_BYTES = 1 << 20;
/** Events whose default checkout is the pull request's merge commit. */
const PR_CHECKOUT_EVENTS = ["pull_request", "pull_request_review", "pull_request_review_comment"];
/** Events that run the base branch's workflow with its secrets: pull-request code only when checked out by ref. */
const PR_TARGET_EVENTS = ["pull_request_target", "workflow_run", "issue_comment"];
const SCOPES = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
];
const LEVEL = { none: 0, read: 1, write: 2 };

class UsageError extends Error {}

/** `text` with control characters written as escapes (as escapeControl() in src/errors.ts, which a script can't import). */
function escapeControl(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
/** A value quoted for a message. */
const quote = (value) => escapeControl(JSON.stringify(String(value)));

function readOptions(argv) {
  if (argv.includes("--help") || argv.includes("-h")) return undefined;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { reviewed: { type: "string", multiple: true }, json: { type: "boolean" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${escapeControl(err.message)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0)
    throw new UsageError(`no PATH given: name the workflow files or their folder, e.g. .github/workflows\n${USAGE}`);
  const reviewed = (values.reviewed ?? []).flatMap((list) => list.split(",")).map((name) => name.trim());
  const bad = reviewed.find((name) => !/^[\w.-]+$/.test(name));
  if (bad !== undefined)
    throw new UsageError(
      `--reviewed: ${quote(bad)} is not an environment name; give names like dev-review, separated by commas`,
    );
  return { paths: positionals, reviewed: new Set(reviewed), json: !!values.json };
}

/** The workflow files a PATH names: the file, or a folder's *.yml and *.yaml files. */
function workflowFiles(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new UsageError(`PATH ${quote(path)} does not exist; name a workflow file or a folder of them`);
  }
  if (!stat.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(path, name));
  if (files.length === 0)
    throw new UsageError(`PATH ${quote(path)} holds no .yml or .yaml file; name a folder of workflows`);
  return files;
}

function readWorkflow(path) {
  const size = statSync(path).size;
  if (size > MAX_FILE_BYTES)
    throw new UsageError(
      `${quote(path)} has ${size} bytes, over the ${MAX_FILE_BYTES} a workflow may have here; is it a workflow?`,
    );
  return readFileSync(path, "utf8");
}

/** GitHub's parser, loaded once: it imports its schema as JSON without the attribute Node requires, so a load hook adds it. */
let workflowParser;
async function loadParser() {
  if (!workflowParser) {
    const hook =
      "export async function load(url, context, next) { return next(url, url.endsWith('.json') ? { ...context, importAttributes: { type: 'json' } } : context); }";
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
    workflowParser = await import("@actions/workflow-parser");
  }
  return workflowParser;
}

/** The file a local `uses: ./.github/workflows/NAME.yml` calls: the one given with that name (the examples live elsewhere). */
function calledFile(ref, texts) {
  const name = basename(ref);
  for (const path of texts.keys()) if (basename(path) === name) return path;
  return undefined;
}

/** The parser's errors for one file, its local reusable workflows checked too (inputs, secrets). */
async function schemaErrors(path, texts) {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await loadParser();
  const parsed = parseWorkflow({ name: path, content: texts.get(path) }, new NoOperationTraceWriter());
  const fileProvider = {
    async getFileContent(ref) {
      const found = calledFile(ref.path ?? "", texts);
      if (!found) throw new Error(`not given: ${ref.path}`);
      return { name: found, content: texts.get(found) };
    },
  };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider, {
    fetchReusableWorkflowDepth: 1,
  });
  // One line each, naming the file (the YAML parser's messages go on with a picture of the line).
  return (template.errors ?? []).map((error) => {
    const line = String(error.Message).split("\n")[0].trim();
    return line.startsWith(path) ? line : `${path}: ${line}`;
  });
}

// --- expressions -------------------------------------------------------------------------------

/** `text` split at `separator` where it stands outside parentheses and quotes. */
function splitTop(text, separator) {
  const parts = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth--;
    else if (!quoted && depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i += separator.length - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** `text` without parentheses around the whole of it. */
function unwrap(text) {
  let t = text.trim();
  while (t.startsWith("(") && t.endsWith(")") && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim();
  return t;
}
function balanced(text) {
  let depth = 0;
  for (const c of text.replace(/'[^']*'/g, "")) {
    depth += c === "(" ? 1 : c === ")" ? -1 : 0;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** The event a term `github.event_name == '...'` names, else undefined. */
const eventNamed = (term) =>
  (/^github\.event_name\s*==\s*'([\w-]+)'$/.exec(term) ?? /^'([\w-]+)'\s*==\s*github\.event_name$/.exec(term))?.[1];

/**
 * The events a job's `if` lets it run on, among `events`: each `&&` term that is an `||` of
 * `github.event_name == '...'` narrows them; any other term is taken as possibly true.
 */
function jobEvents(condition, events) {
  if (typeof condition !== "string") return events;
  const expression = condition.trim().replace(/^\$\{\{([\s\S]*)\}\}$/, "$1");
  let allowed = events;
  for (const term of splitTop(unwrap(expression), "&&")) {
    const names = splitTop(unwrap(term), "||").map((option) => eventNamed(unwrap(option)));
    if (names.every((n) => n !== undefined)) allowed = allowed.filter((event) => names.includes(event));
  }
  return allowed;
}

/** Every `${{ ... }}` of every string under `value`; a key `if` is an expression as it stands. */
function expressions(value, key = "") {
  if (typeof value === "string")
    return key === "if" ? [value] : [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => m[1]);
  if (Array.isArray(value)) return value.flatMap((item) => expressions(item));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => expressions(v, k));
  return [];
}

/** The names of `context` (secrets, vars) the expressions read; "*" where they read it whole or by a computed name. */
function namesRead(exprs, context) {
  const names = new Set();
  for (const text of exprs) {
    const expr = text.replace(/'(?:[^']|'')*'/g, "''"); // a string literal names nothing
    for (const m of expr.matchAll(new RegExp(`\\b${context}\\b(\\s*\\.\\s*([A-Za-z_][A-Za-z0-9_-]*))?`, "g"))) {
      if (m.index > 0 && expr[m.index - 1] === ".") continue; // e.g. github.event.secrets
      names.add(m[2] ?? "*");
    }
  }
  names.delete("GITHUB_TOKEN"); // the job's token: its permissions say what it can do
  return [...names].sort();
}

/** The values `${{ matrix.K }}` / `${{ inputs.K }}` can take in `template`; an expression it can't resolve stays as written. */
function expand(template, contexts) {
  if (typeof template !== "string") return template === undefined ? [] : [String(template)];
  let results = [""];
  let last = 0;
  for (const m of template.matchAll(/\$\{\{\s*([\s\S]*?)\s*\}\}/g)) {
    const literal = template.slice(last, m.index);
    const ref = /^(matrix|inputs)\.([\w-]+)$/.exec(m[1]);
    const values = ref && contexts[ref[1]]?.[ref[2]]?.length ? contexts[ref[1]][ref[2]] : [m[0]];
    results = results.flatMap((prefix) => values.map((v) => prefix + literal + v));
    last = m.index + m[0].length;
  }
  return [...new Set(results.map((prefix) => prefix + template.slice(last)))];
}

/** Each matrix key's values: the lists of `strategy.matrix`, and what its `include` entries add. */
function matrixValues(strategy) {
  const matrix = strategy?.matrix;
  if (!matrix || typeof matrix !== "object") return {};
  const values = {};
  const add = (key, value) => (values[key] ??= []).includes(String(value)) || values[key].push(String(value));
  for (const [key, list] of Object.entries(matrix))
    if (key !== "include" && key !== "exclude" && Array.isArray(list)) for (const v of list) add(key, v);
  for (const entry of Array.isArray(matrix.include) ? matrix.include : [])
    for (const [key, v] of Object.entries(entry ?? {})) add(key, v);
  return values;
}

// --- permissions -------------------------------------------------------------------------------

/** `permissions` as { scope: level } for every scope; undefined when not set. */
function permissionsOf(value) {
  if (value === undefined || value === null) return undefined;
  if (value === "read-all") return Object.fromEntries(SCOPES.map((s) => [s, s === "id-token" ? "none" : "read"]));
  if (value === "write-all") return Object.fromEntries(SCOPES.map((s) => [s, "write"]));
  const given = typeof value === "object" ? value : {};
  return Object.fromEntries(SCOPES.map((s) => [s, given[s] ?? "none"]));
}
const lower = (a, b) => Object.fromEntries(SCOPES.map((s) => [s, LEVEL[a[s]] <= LEVEL[b[s]] ? a[s] : b[s]]));
const granted = (perms) => SCOPES.filter((s) => perms[s] !== "none").map((s) => `${s}: ${perms[s]}`);

// --- jobs --------------------------------------------------------------------------------------

const workflowEvents = (on) =>
  typeof on === "string" ? [on] : Array.isArray(on) ? on.map(String) : Object.keys(on ?? {});
const isCheckout = (step) => typeof step?.uses === "string" && /^actions\/checkout@/.test(step.uses);

/** Whether a job's steps run pull-request code on any of `events`. */
function runsPullRequestCode(steps, events) {
  const merge = events.some((e) => PR_CHECKOUT_EVENTS.includes(e));
  const target = events.some((e) => PR_TARGET_EVENTS.includes(e));
  return steps.some((step) => {
    if (typeof step?.uses === "string" && step.uses.startsWith("./")) return merge || target;
    if (!isCheckout(step)) return false;
    const ref = String(step.with?.ref ?? "");
    const pullRef = /head|refs\/pull|merge|github\.sha/.test(ref);
    return (merge && (ref === "" || pullRef || !/base/.test(ref))) || (target && pullRef);
  });
}

/**
 * Entries for one workflow's jobs, and (under each job that calls a local reusable workflow) that
 * workflow's jobs. `caller` is the calling job's entry, with the contexts its `with:` resolves in.
 */
function listJobs(path, workflow, texts, events, caller, out, problems, seen = new Set()) {
  const name = basename(path);
  const workflowPermissions = permissionsOf(workflow.permissions);
  const workflowEnv = workflow.env ?? {};
  for (const [id, job] of Object.entries(workflow.jobs ?? {})) {
    const label = caller ? `${caller.label} › ${name} › ${id}` : `${name} › ${id}`;
    const own = permissionsOf(job.permissions);
    if (!own)
      problems.push(
        `${label}: sets no permissions of its own, so it gets ${caller ? "its caller's" : workflowPermissions ? "the workflow's" : "the repository's default (possibly write-all)"}; give it a permissions block with only what it needs`,
      );
    let permissions = own ?? workflowPermissions ?? (caller ? caller.permissions : undefined);
    if (caller && permissions && caller.permissions) {
      const over = SCOPES.filter((s) => LEVEL[permissions[s]] > LEVEL[caller.permissions[s]]);
      if (over.length)
        problems.push(
          `${label}: asks for ${over.map((s) => `${s}: ${permissions[s]}`).join(", ")}, more than its caller grants (GitHub fails the run); grant it in the calling job or ask for less`,
        );
      permissions = lower(permissions, caller.permissions);
    }
    const jobEventList = jobEvents(job.if, events);
    const contexts = { matrix: matrixValues(job.strategy), inputs: caller?.inputs ?? {} };
    const environmentName =
      typeof job.environment === "object" && job.environment ? job.environment.name : job.environment;
    const environments = expand(environmentName, contexts);
    const steps = Array.isArray(job.steps) ? job.steps : [];
    // Everything the job names: its own keys, its steps, and for a call, the `with:` and `secrets:` it hands on.
    const exprs = [...expressions(workflowEnv), ...expressions(job)];
    const entry = {
      label,
      workflow: name,
      job: id,
      calledBy: caller?.label ?? null,
      events: jobEventList,
      runsPullRequestCode: runsPullRequestCode(steps, jobEventList),
      environments,
      permissions: permissions ? granted(permissions) : null,
      idToken: permissions ? permissions["id-token"] === "write" : null,
      secrets: namesRead(exprs, "secrets"),
      inheritsSecrets: job.secrets === "inherit",
      vars: namesRead(exprs, "vars"),
      roles: steps
        .map((s) => s?.with?.["role-to-assume"])
        .filter((r) => r !== undefined)
        .map(String),
      calls: typeof job.uses === "string" ? job.uses : null,
    };
    out.push(entry);
    if (typeof job.uses !== "string") continue;
    if (!job.uses.startsWith("./")) {
      problems.push(
        `${label}: calls ${quote(job.uses)}, a workflow in another repository: its jobs are not listed; read it before you trust it with ${entry.inheritsSecrets ? "every secret (secrets: inherit)" : "what this job passes"}`,
      );
      continue;
    }
    const called = calledFile(job.uses, texts);
    if (!called) {
      problems.push(`${label}: calls ${quote(job.uses)}, which is not among the files given; pass it too`);
      continue;
    }
    if (seen.has(called)) continue;
    const callerContexts = { ...contexts };
    const inputs = Object.fromEntries(
      Object.entries(job.with ?? {}).map(([k, v]) => [
        k,
        expand(typeof v === "string" ? v : String(v), callerContexts),
      ]),
    );
    const calledWorkflow = parse(texts.get(called));
    listJobs(
      called,
      calledWorkflow,
      texts,
      jobEventList,
      { label, permissions, inputs },
      out,
      problems,
      new Set([...seen, called]),
    );
  }
}

/** What a job holds that pull-request code must not reach unless a reviewer approved the run. */
function holdings(entry) {
  const held = [];
  if (entry.secrets.length) held.push(`secrets ${entry.secrets.join(", ")}`);
  if (entry.inheritsSecrets) held.push("every secret (secrets: inherit)");
  if (entry.permissions === null) held.push("the repository's default token permissions");
  else {
    if (entry.idToken) held.push("OIDC (id-token: write)");
    const writes = entry.permissions.filter((p) => p.endsWith(": write") && !p.startsWith("id-token"));
    if (writes.length) held.push(`a token with ${writes.join(", ")}`);
  }
  return held;
}

async function main(argv) {
  const options = readOptions(argv);
  if (!options) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const texts = new Map();
  for (const path of options.paths.flatMap(workflowFiles)) texts.set(path, readWorkflow(path));

  const parserDir = dirname(fileURLToPath(import.meta.resolve("@actions/workflow-parser")));
  const { version } = JSON.parse(readFileSync(join(parserDir, "..", "package.json"), "utf8"));
  const files = [];
  const problems = [];
  const parsed = new Map();
  for (const path of texts.keys()) {
    const errors = await schemaErrors(path, texts);
    files.push({ file: path, valid: errors.length === 0, errors });
    problems.push(...errors);
    if (errors.length === 0) parsed.set(path, parse(texts.get(path)));
  }

  const jobs = [];
  const calledOnly = (workflow) => workflowEvents(workflow.on).every((e) => e === "workflow_call");
  for (const [path, workflow] of parsed) {
    // A workflow that is only ever called is listed under each job that calls it.
    const callers = [...parsed.values()].some((other) =>
      Object.values(other.jobs ?? {}).some(
        (job) => typeof job.uses === "string" && calledFile(job.uses, texts) === path,
      ),
    );
    if (calledOnly(workflow) && callers) continue;
    listJobs(path, workflow, texts, workflowEvents(workflow.on), undefined, jobs, problems);
  }
  for (const entry of jobs) {
    if (!entry.runsPullRequestCode) continue;
    const held = holdings(entry);
    const gated = entry.environments.length > 0 && entry.environments.every((env) => options.reviewed.has(env));
    if (held.length && !gated) {
      problems.push(
        `${entry.label}: runs pull-request code and holds ${held.join("; ")}${entry.environments.length ? ` in ${entry.environments.join(", ")}, not named by --reviewed` : ""}; move them to a job that does not check out the pull request, or behind an environment with required reviewers`,
      );
    }
  }

  if (options.json) process.stdout.write(JSON.stringify({ files, jobs, problems }, null, 2) + "\n");
  else process.stdout.write(render(files, jobs, problems, version, options.reviewed));
  return problems.length ? 1 : 0;
}

function render(files, jobs, problems, version, reviewed) {
  const lines = files.map(
    (f) =>
      `${f.file}: ${f.valid ? `valid (GitHub's workflow schema, @actions/workflow-parser ${version})` : "INVALID"}`,
  );
  const list = (items) => (items.length ? items.join(", ") : "-");
  for (const entry of jobs) {
    lines.push("", entry.label);
    lines.push(`  on            ${list(entry.events)}${entry.runsPullRequestCode ? " (runs pull-request code)" : ""}`);
    lines.push(
      `  environment   ${list(entry.environments.map((env) => (reviewed.has(env) ? `${env} (reviewed)` : env)))}`,
    );
    lines.push(`  permissions   ${entry.permissions === null ? "the repository's default" : list(entry.permissions)}`);
    const inherited = entry.inheritsSecrets ? ["every repository and organization secret (secrets: inherit)"] : [];
    lines.push(`  secrets       ${list([...entry.secrets, ...inherited])}`);
    lines.push(`  variables     ${list(entry.vars)}`);
    lines.push(`  OIDC roles    ${entry.idToken ? list(entry.roles) : "- (no id-token: write)"}`);
    if (entry.calls) lines.push(`  calls         ${entry.calls}`);
  }
  lines.push("", problems.length ? `${problems.length} problem${problems.length === 1 ? "" : "s"}:` : "no problems");
  for (const problem of problems) lines.push(`  ${problem}`);
  // Job names, paths and the parser's messages quote the files: nothing in them may drive the terminal.
  return lines.map(escapeControl).join("\n") + "\n";
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`workflow-secrets: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(
        `workflow-secrets: unexpected error: ${escapeControl(err?.message ?? err)}${process.env.CLAIMS_DEBUG === "1" ? `\n${err?.stack}` : ""}\n`,
      );
      process.exitCode = 1;
    }
  },
);
