// The other version for `preview --compare BASE`: a compiled action file, or a synthesized stack
// (cdk.tf.json) from which the post-login flow is taken: each bound action's code and secrets, in order.
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { NAMESPACE_SECRET } from "../compile/claims-action";
import { quote, UsageError } from "../errors";
import { MAX_FLOW_ACTIONS } from "../auth0/facts";
import { namespaceProblem } from "../auth0/namespace-rule";
import { bundleDependencies } from "../compile/dependencies";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";

/** A stack or an action file larger than this is not one of ours. */
const MAX_BASE_BYTES = 64 * 2 ** 20;

/** One action of the base's flow, as read. */
export interface BaseStep {
  /** The action's name (auth0_action.name), used in the reason of a login it fails, as the head's flow does. */
  readonly name: string;
  readonly code: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly dependencies: readonly string[];
  /** Where the code comes from, e.g. "main.cdk.tf.json (auth0_action.app_metadata_claims, app-metadata-claims)". */
  readonly source: string;
}

export interface BaseAction {
  /** The base's post-login flow, in the order the stack binds it (one step for a code file). */
  readonly steps: readonly BaseStep[];
  /** What the report calls it, e.g. "main.cdk.tf.json (auth0_action.app_metadata_claims, app-metadata-claims)". */
  readonly source: string;
  readonly namespace: string;
}

interface TerraformAction {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly secrets?: unknown;
  readonly dependencies?: unknown;
  readonly supported_triggers?: unknown;
}

const fail = (message: string) => new UsageError(`--compare: ${message}`);

function readText(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw fail(`${quote(file)}: can't read it (${(err as NodeJS.ErrnoException).code}); give a compiled action file or a cdk.tf.json from npm run synth`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw fail(`${quote(file)} is not a regular file; give a compiled action file or a cdk.tf.json`);
    if (stat.size > MAX_BASE_BYTES) throw fail(`${quote(file)} is ${stat.size} bytes, over ${MAX_BASE_BYTES}; give a compiled action file or a cdk.tf.json`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Terraform's template escapes undone: `$${` is a literal `${`, `%%{` a literal `%{`. An unescaped
 * `${`/`%{` would be evaluated by Terraform, which this reader can't do, so it is refused.
 */
export function unescapeTerraformString(text: string, where: string): string {
  return text.replace(/\$\$\{|%%\{|\$\{|%\{/g, (match) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    throw fail(`${where} holds a Terraform template sequence ${match}...}; only literal code can be compared (synthesize it with npm run synth)`);
  });
}

function isPostLogin(action: TerraformAction): boolean {
  const triggers = Array.isArray(action.supported_triggers) ? action.supported_triggers : [action.supported_triggers];
  return triggers.some((t) => (t as { id?: unknown } | undefined)?.id === "post-login");
}

/** The stack's variable defaults, for secrets written as `${var.NAME}`. */
function variableDefault(stack: Record<string, unknown>, name: string): unknown {
  const variables = (stack.variable ?? {}) as Record<string, { default?: unknown }>;
  return variables[name]?.default;
}

/** `${auth0_action.NAME.id}` -> NAME; anything else (an action bound by hand, by its id) -> undefined. */
function actionReference(value: unknown): string | undefined {
  return typeof value === "string" ? /^\$\{auth0_action\.([A-Za-z_][\w-]*)\.id\}$/.exec(value)?.[1] : undefined;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** How many entries of the stack's exclusive post-login binding are actions bound by hand (by id). */
function boundByHand(resources: Resources): number {
  const binding = Object.values(resources.auth0_trigger_actions ?? {}).find((b) => b.trigger === "post-login");
  const list = Array.isArray(binding?.actions) ? (binding.actions as { id?: unknown }[]) : [];
  return list.filter((entry) => actionReference(entry?.id) === undefined).length;
}

const isPostLoginBinding = (binding: Record<string, unknown> | null | undefined) => binding?.trigger === "post-login";

/** How many actions the stack binds to post-login, managed or by hand: its exclusive binding's list, or its append bindings. */
function boundCount(resources: Resources): number {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).find(isPostLoginBinding);
  if (exclusive) return Array.isArray(exclusive.actions) ? exclusive.actions.length : 0;
  return Object.values(resources.auth0_trigger_action ?? {}).filter(isPostLoginBinding).length;
}

/**
 * The managed actions the stack binds to post-login, in the order they run: an exclusive binding's
 * list (actions bound by hand are not in the stack and can't run here, as in the head's preview), or
 * the append bindings in the order their depends_on chain creates them. Undefined when nothing is bound.
 */
export function boundOrder(file: string, resources: Resources): string[] | undefined {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).filter(isPostLoginBinding);
  if (exclusive.length > 1) throw fail(`${quote(file)} binds post-login with ${exclusive.length} auth0_trigger_actions; a trigger has one flow: give one stack's cdk.tf.json`);
  if (exclusive.length === 1) {
    const list = Array.isArray(exclusive[0].actions) ? (exclusive[0].actions as { id?: unknown }[]) : [];
    return list.map((entry) => actionReference(entry?.id)).filter((id): id is string => id !== undefined);
  }
  const append = Object.entries(resources.auth0_trigger_action ?? {}).filter(([, binding]) => isPostLoginBinding(binding) && actionReference(binding.action_id) !== undefined);
  if (append.length === 0) return undefined;
  // Each append binding depends on the one before it: the longer its chain, the later it is bound;
  // bindings as far down their chains keep the stack's order. A topological sort (Kahn's) gives each
  // binding its chain's length in one pass over the bindings and their depends_on.
  const index = new Map(append.map(([name], i) => [`auth0_trigger_action.${name}`, i]));
  const before = append.map(([, binding]) => {
    const names = Array.isArray(binding.depends_on) ? binding.depends_on : [];
    return [...new Set(names.map((name) => index.get(String(name))).filter((i): i is number => i !== undefined))];
  });
  const after: number[][] = append.map(() => []);
  before.forEach((list, i) => list.forEach((j) => after[j].push(i)));
  const waiting = before.map((list) => list.length);
  const depth = append.map(() => 0);
  const done = waiting.flatMap((n, i) => (n === 0 ? [i] : []));
  for (let k = 0; k < done.length; k++) {
    for (const j of after[done[k]]) {
      depth[j] = Math.max(depth[j], depth[done[k]] + 1);
      if (--waiting[j] === 0) done.push(j);
    }
  }
  if (done.length < append.length) {
    const names = dependencyCycle(before, waiting).map((i) => `auth0_trigger_action.${append[i][0]}`);
    throw fail(`${quote(file)}: the post-login bindings depend on each other in a cycle (${names.join(" -> ")}, each depending on the next); Terraform refuses it: give a stack from npm run synth`);
  }
  // Grouped by depth, in the stack's order within each: a counting sort, linear too.
  const byDepth: number[][] = [];
  depth.forEach((d, i) => (byDepth[d] ??= []).push(i));
  return byDepth.flat().map((i) => actionReference(append[i][1].action_id) as string);
}

/**
 * A cycle among the bindings the sort left (`waiting` on one another), as indexes, the first repeated
 * at the end. Each binding left waits on another one left, so walking from any of them comes back.
 */
function dependencyCycle(before: number[][], waiting: number[]): number[] {
  const seen = new Map<number, number>();
  const path: number[] = [];
  let i = waiting.findIndex((n) => n > 0);
  while (!seen.has(i)) {
    seen.set(i, path.length);
    path.push(i);
    i = before[i].find((j) => waiting[j] > 0) as number;
  }
  return [...path.slice(seen.get(i)), i];
}

/** One action of the stack: its literal code, its secrets (variables resolved from their defaults) and dependencies. */
function stackStep(file: string, stack: Record<string, unknown>, id: string, action: TerraformAction, baseNamespace: string | undefined): BaseStep {
  const where = `${file}: auth0_action.${id}`;
  if (typeof action.code !== "string") throw fail(`${quote(where)} has no literal code; compare needs the compiled code in the stack`);
  const code = unescapeTerraformString(action.code, where);
  const secrets: Record<string, string> = {};
  for (const secret of Array.isArray(action.secrets) ? (action.secrets as { name?: unknown; value?: unknown }[]) : []) {
    if (typeof secret?.name !== "string") continue;
    if (secret.name === NAMESPACE_SECRET && baseNamespace !== undefined) {
      secrets[secret.name] = baseNamespace;
      continue;
    }
    const value = typeof secret.value === "string" ? secret.value : "";
    const variable = /^\$\{var\.([A-Za-z_][\w-]*)\}$/.exec(value)?.[1];
    if (variable === undefined) {
      secrets[secret.name] = unescapeTerraformString(value, `${where} secret ${secret.name}`);
      continue;
    }
    const fallback = variableDefault(stack, variable);
    if (typeof fallback !== "string") {
      const fix = secret.name === NAMESPACE_SECRET ? "pass --base-namespace URL (the namespace the base is deployed with)" : "compare can't resolve it";
      throw fail(`${quote(where)}: secret ${secret.name} comes from var.${variable}, which has no default in the stack; ${fix}`);
    }
    secrets[secret.name] = fallback;
  }
  const dependencies = Array.isArray(action.dependencies) ? (action.dependencies as { name?: unknown }[]).map((d) => d?.name).filter((n): n is string => typeof n === "string") : [];
  const name = typeof action.name === "string" ? action.name : id;
  return { name, code, secrets, dependencies, source: `${file} (auth0_action.${id}${typeof action.name === "string" ? `, ${action.name}` : ""})` };
}

/** The stack's post-login flow: the bound actions in order, or its only post-login action when nothing is bound. */
function fromStack(file: string, stack: Record<string, unknown>, baseNamespace: string | undefined): Omit<BaseAction, "namespace"> & { namespace?: string } {
  const resources = (stack.resource ?? {}) as Resources;
  const actions = new Map(Object.entries((resources.auth0_action ?? {}) as Record<string, TerraformAction>).filter(([, action]) => isPostLogin(action)));
  if (actions.size === 0) {
    throw fail(`${quote(file)} holds no post-login auth0_action; give the cdk.tf.json of a stack from npm run synth (cdktf.out/stacks/<env>/cdk.tf.json) or a compiled action file`);
  }
  const bound = boundCount(resources);
  // Checked before the flow is ordered: Auth0 refuses such a flow, so nothing larger needs ordering.
  if (bound > MAX_FLOW_ACTIONS) throw fail(`${quote(file)} binds ${bound} actions to post-login; Auth0 runs at most ${MAX_FLOW_ACTIONS} in a flow: give the cdk.tf.json of a stack Auth0 can deploy`);
  let order = boundOrder(file, resources);
  if (order === undefined && actions.size > 1) {
    throw fail(`${quote(file)} holds ${actions.size} post-login actions (${[...actions.keys()].map((id) => `auth0_action.${id}`).join(", ")}) and binds none of them; compare runs the bound flow: give a stack that binds them, or one action's compiled code as a file`);
  }
  order ??= [...actions.keys()];
  const steps = order.filter((id) => actions.has(id)).map((id) => stackStep(file, stack, id, actions.get(id) as TerraformAction, baseNamespace));
  if (steps.length === 0) throw fail(`${quote(file)} binds none of its post-login actions to post-login; give the cdk.tf.json of a stack whose flow runs them`);
  const byHand = boundByHand(resources);
  // Said in the report: those actions run in the tenant but not here, in the base as in the head.
  const notRun = byHand === 0 ? "" : `; ${byHand} action(s) bound by hand (by id) not run`;
  const source = steps.length === 1 && byHand === 0 ? steps[0].source : `${file} (flow ${steps.map((s) => s.source.slice(file.length + 2, -1)).join(" -> ")}${notRun})`;
  const namespace = steps.find((s) => s.secrets[NAMESPACE_SECRET] !== undefined)?.secrets[NAMESPACE_SECRET];
  return { steps, source, namespace };
}

/**
 * Reads BASE: a cdk.tf.json (by its content: a JSON object with `resource`) or a compiled action.
 * A code file runs with `baseNamespace`, else with `headNamespace`; a stack with the namespace it is
 * deployed with (its variable's default) unless `baseNamespace` overrides it. UsageError otherwise.
 */
export function readBaseAction(file: string, baseNamespace: string | undefined, headNamespace: string): BaseAction {
  if (baseNamespace !== undefined) {
    const problem = namespaceProblem(baseNamespace);
    if (problem) throw new UsageError(`--base-namespace: ${quote(baseNamespace)} can't be a claim namespace (${problem}); use an http(s) URL you control`);
  }
  const text = readText(file);
  let parsed: unknown;
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: compiled code that starts with a block.
    }
  }
  if (parsed !== undefined || /\.json$/i.test(file)) {
    if (typeof parsed !== "object" || parsed === null || !("resource" in parsed)) {
      throw fail(`${quote(file)} is not a synthesized stack (no "resource"); give cdktf.out/stacks/<env>/cdk.tf.json or a compiled action file`);
    }
    const base = fromStack(file, parsed as Record<string, unknown>, baseNamespace);
    const namespace = base.namespace ?? baseNamespace ?? headNamespace;
    const problem = namespaceProblem(namespace);
    if (problem) throw fail(`${quote(file)}: namespace ${quote(namespace)} can't be a claim namespace (${problem}); pass --base-namespace URL`);
    return { ...base, namespace };
  }
  const namespace = baseNamespace ?? headNamespace;
  return { steps: [{ name: file, code: text, secrets: { [NAMESPACE_SECRET]: namespace }, dependencies: [], source: file }], source: file, namespace };
}

/** The base as a flow the runtime loads, with the head's runtime settings (time limit, audience). */
export function baseFlow(base: BaseAction, runtime: Partial<PostLoginRuntimeOptions>): CompiledFlow {
  const { timeoutMs, ...perAction } = runtime;
  return {
    steps: base.steps.map((step) => ({
      name: step.name,
      source: step.source,
      code: step.code,
      options: {
        ...perAction,
        code: step.code,
        secrets: { ...step.secrets },
        dependencies: [...step.dependencies],
        modules: bundleDependencies(step.code, step.dependencies, step.name),
        filename: step.source,
      },
    })),
    timeoutMs,
  };
}
