// A synthesized stack (cdk.tf.json) read back as the flow it deploys (src/flow/model.ts): its
// auth0_action resources and its bindings in the order Terraform creates them. Shared by compare's
// BASE (src/preview/base-action.ts) and `verify --deployed`, which check a stack against what runs.
// Linear in the stack's size, whatever its depends_on; every error is one line naming the file, made
// by the caller's `fail`.
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { MAX_FLOW_ACTIONS, POST_LOGIN } from "../auth0/facts";
import { type CodeOfExit, quote, type ToolError, UsageError } from "../errors";
import type { ActionAsDeployed, FlowAsDeployed, FlowEntry, FlowSecret, FlowTrigger } from "../flow/model";

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** An auth0_action as cdk.tf.json holds it. */
interface TerraformAction {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly runtime?: unknown;
  readonly secrets?: unknown;
  readonly dependencies?: unknown;
  readonly supported_triggers?: unknown;
}

/** Makes the error a reader throws, from its code and a one-line message. */
export type Fail = (code: CodeOfExit<2>, message: string) => ToolError;

/** A Fail whose errors are UsageErrors naming `flag`, e.g. "--stack: ...". */
export function failFor(flag: string): Fail {
  return (code, message) => new UsageError(code, `${flag}: ${message}`);
}

/** A stack file larger than this is not one of ours (the stacks this project writes are a few hundred kB). */
export const MAX_STACK_BYTES = 64 * 2 ** 20;

/** The text of `file`, a regular file of at most `maxBytes`. */
export function readTextFile(file: string, maxBytes: number, fail: Fail, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw fail(
      "ERR_INPUT_UNREADABLE",
      `${quote(file)}: can't read it (${(err as NodeJS.ErrnoException).code}); give ${what}`,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw fail("ERR_INPUT_UNREADABLE", `${quote(file)} is not a regular file; give ${what}`);
    if (stat.size > maxBytes)
      throw fail("ERR_INPUT_TOO_LARGE", `${quote(file)} is ${stat.size} bytes, over ${maxBytes}; give ${what}`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Terraform's template escapes undone: `$${` is a literal `${`, `%%{` a literal `%{`. An unescaped
 * `${`/`%{` would be evaluated by Terraform, which this reader can't do, so it is refused.
 */
function unescapeTerraformString(text: string, where: string, fail: Fail): string {
  return text.replace(/\$\$\{|%%\{|\$\{|%\{/g, (match) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    throw fail(
      "ERR_INPUT_INVALID",
      `${where} holds a Terraform template sequence ${match}...}; only literal code can be read (synthesize it with npm run synth)`,
    );
  });
}

/** Whether the action supports `trigger` (auth0_action.supported_triggers). */
export function supportsTrigger(action: TerraformAction, trigger: string = POST_LOGIN.id): boolean {
  const triggers = Array.isArray(action.supported_triggers) ? action.supported_triggers : [action.supported_triggers];
  return triggers.some((t) => (t as { id?: unknown } | undefined)?.id === trigger);
}

/** `${auth0_action.NAME.id}` -> NAME; anything else (an action bound by hand, by its id) -> undefined. */
export function actionReference(value: unknown): string | undefined {
  return typeof value === "string" ? /^\$\{auth0_action\.([A-Za-z_][\w-]*)\.id\}$/.exec(value)?.[1] : undefined;
}

const bindsTrigger = (trigger: string) => (binding: Record<string, unknown> | null | undefined) =>
  binding?.trigger === trigger;

/** The stack's exclusive binding of `trigger` (auth0_trigger_actions), if it has one; two is an error. */
function exclusiveBinding(
  file: string,
  resources: Resources,
  fail: Fail,
  trigger: string = POST_LOGIN.id,
): Record<string, unknown> | undefined {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).filter(bindsTrigger(trigger));
  if (exclusive.length > 1)
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)} binds ${trigger} with ${exclusive.length} auth0_trigger_actions; a trigger has one flow: give one stack's cdk.tf.json`,
    );
  return exclusive[0];
}

/** The stack's append bindings to `trigger` (auth0_trigger_action), by resource name. */
export function appendBindings(
  resources: Resources,
  trigger: string = POST_LOGIN.id,
): [string, Record<string, unknown>][] {
  return Object.entries(resources.auth0_trigger_action ?? {}).filter(([, binding]) => bindsTrigger(trigger)(binding));
}

/** How many actions the stack binds to `trigger`, managed or by hand: its exclusive binding's list, or its append bindings. */
function boundCount(resources: Resources, trigger: string = POST_LOGIN.id): number {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).find(bindsTrigger(trigger));
  if (exclusive) return Array.isArray(exclusive.actions) ? exclusive.actions.length : 0;
  return appendBindings(resources, trigger).length;
}

/** Refuses a stack that binds more actions to `trigger` than Auth0 runs in a flow, before anything is ordered. */
function checkBoundCount(file: string, resources: Resources, fail: Fail, trigger: string = POST_LOGIN.id): void {
  const bound = boundCount(resources, trigger);
  if (bound > MAX_FLOW_ACTIONS)
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)} binds ${bound} actions to ${trigger}; Auth0 runs at most ${MAX_FLOW_ACTIONS} in a flow: give the cdk.tf.json of a stack Auth0 can deploy`,
    );
}

/**
 * The append bindings in the order Terraform creates them: each depends on the one before it, so the
 * longer its depends_on chain, the later it is bound; bindings as far down their chains keep the
 * stack's order. A topological sort (Kahn's) gives each its chain's length in one pass over the
 * bindings and their depends_on: linear, where following every chain took 2^n steps. A cycle is named.
 */
export function appendOrder(
  file: string,
  append: readonly [string, Record<string, unknown>][],
  fail: Fail,
): [string, Record<string, unknown>][] {
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
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)}: the post-login bindings depend on each other in a cycle (${names.join(" -> ")}, each depending on the next); Terraform refuses it: give a stack from npm run synth`,
    );
  }
  // Grouped by depth, in the stack's order within each: a counting sort, linear too.
  const byDepth: number[][] = [];
  depth.forEach((d, i) => (byDepth[d] ??= []).push(i));
  return byDepth.flat().map((i) => append[i]);
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

/** The stack's variable defaults, for secrets written as `${var.NAME}`. */
function variableDefault(stack: Record<string, unknown>, name: string): string | undefined {
  const variables = (stack.variable ?? {}) as Record<string, { default?: unknown } | undefined>;
  const value = variables[name]?.default;
  return typeof value === "string" ? value : undefined;
}

/**
 * The flow as deployed (src/flow/model.ts) of a synthesized stack's `trigger`: the actions its
 * exclusive binding lists (actions bound there by id are bound by hand), or its append bindings in
 * the order Terraform creates them; its other actions of the trigger are retired. A stack that binds
 * nothing is `unbound`, its actions in the stack's order. A secret written `${var.NAME}` carries
 * NAME and that variable's default as its value, if it has one (TF_VAR_NAME is resolved later).
 */
export function stackModel(
  file: string,
  stack: Record<string, unknown>,
  fail: Fail,
  trigger: FlowTrigger = POST_LOGIN.id,
): FlowAsDeployed {
  const resources = (stack.resource ?? {}) as Resources;
  // Checked before the flow is ordered: Auth0 refuses such a flow, so nothing larger needs ordering.
  checkBoundCount(file, resources, fail, trigger);
  const actions = new Map(
    Object.entries((resources.auth0_action ?? {}) as Record<string, TerraformAction>)
      .filter(([, action]) => supportsTrigger(action, trigger))
      .map(([id, action]) => [id, stackAction(file, stack, id, action, fail)]),
  );
  const entry = (reference: unknown, displayName: unknown): FlowEntry => {
    const id = actionReference(reference);
    const action = id === undefined ? undefined : actions.get(id);
    return action === undefined
      ? { kind: "hand", id: String(reference), displayName: typeof displayName === "string" ? displayName : "" }
      : { kind: "action", action, displayName: typeof displayName === "string" ? displayName : action.name };
  };
  const exclusive = exclusiveBinding(file, resources, fail, trigger);
  const append = exclusive ? [] : appendBindings(resources, trigger);
  if (!exclusive && append.length === 0)
    return {
      trigger,
      mode: "unbound",
      entries: [...actions.values()].map((action) => ({ kind: "action", action, displayName: action.name })),
      retired: [],
    };
  const entries = exclusive
    ? (Array.isArray(exclusive.actions)
        ? (exclusive.actions as ({ id?: unknown; display_name?: unknown } | null)[])
        : []
      ).map((b) => entry(b?.id, b?.display_name))
    : appendOrder(file, append, fail).map(([, b]) => entry(b.action_id, b.display_name));
  const bound = new Set(entries.flatMap((e) => (e.kind === "action" ? [e.action] : [])));
  return {
    trigger,
    mode: exclusive ? "exclusive" : "append",
    entries,
    retired: [...actions.values()].filter((a) => !bound.has(a)),
  };
}

function stackAction(
  file: string,
  stack: Record<string, unknown>,
  id: string,
  action: TerraformAction,
  fail: Fail,
): ActionAsDeployed {
  const where = `${file}: auth0_action.${id}`;
  if (typeof action.code !== "string")
    throw fail("ERR_INPUT_INVALID", `${quote(where)} has no literal code; give a stack synthesized by npm run synth`);
  const secrets = (
    Array.isArray(action.secrets) ? (action.secrets as ({ name?: unknown; value?: unknown } | null)[]) : []
  ).flatMap((secret): FlowSecret[] => {
    if (typeof secret?.name !== "string") return [];
    const written = typeof secret.value === "string" ? secret.value : "";
    const variable = /^\$\{var\.([A-Za-z_][\w-]*)\}$/.exec(written)?.[1];
    if (variable !== undefined) {
      const fallback = variableDefault(stack, variable);
      return [
        fallback === undefined ? { name: secret.name, variable } : { name: secret.name, variable, value: fallback },
      ];
    }
    // Any other expression is evaluated by Terraform at apply time only: the secret has no value here.
    if (/(^|[^$])\$\{|(^|[^%])%\{/.test(written)) return [{ name: secret.name }];
    return [{ name: secret.name, value: unescapeTerraformString(written, `${where} secret ${secret.name}`, fail) }];
  });
  const dependencies = Array.isArray(action.dependencies)
    ? (action.dependencies as ({ name?: unknown; version?: unknown } | null)[])
        .filter((d) => typeof d?.name === "string")
        .map((d) => ({ name: String(d?.name), version: typeof d?.version === "string" ? d.version : "" }))
    : [];
  const name = typeof action.name === "string" ? action.name : id;
  return {
    name,
    source: `${file} (auth0_action.${id}${typeof action.name === "string" ? `, ${action.name}` : ""})`,
    code: unescapeTerraformString(action.code, where, fail),
    runtime: typeof action.runtime === "string" ? action.runtime : undefined,
    dependencies,
    secrets,
  };
}

/** The stack's post-login flow as deployed, for `verify --deployed`; UsageError naming --stack otherwise. */
export function readDeclaredFlow(file: string, environment: string): FlowAsDeployed {
  const fail = failFor("--stack");
  const what = `cdktf.out/stacks/${environment}/cdk.tf.json from npm run synth (or --stack FILE)`;
  const text = readTextFile(file, MAX_STACK_BYTES, fail, what);
  let stack: { resource?: Resources };
  try {
    stack = JSON.parse(text) as { resource?: Resources };
  } catch {
    throw fail("ERR_INPUT_INVALID", `${quote(file)} is not JSON; give ${what}`);
  }
  if (typeof stack !== "object" || stack === null || typeof stack.resource !== "object")
    throw fail("ERR_INPUT_INVALID", `${quote(file)} is not a synthesized stack (no "resource"); give ${what}`);
  return stackModel(file, stack, fail);
}
