// A synthesized stack (cdk.tf.json) read back: its auth0_action resources and its post-login bindings
// in the order Terraform creates them. Shared by compare's BASE (src/preview/base-action.ts) and
// `verify --deployed`, which check a stack against what runs. Linear in the stack's size, whatever
// its depends_on; every error is one line naming the file, made by the caller's `fail`.
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { MAX_FLOW_ACTIONS } from "../auth0/facts";
import { quote, UsageError } from "../errors";

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

/** An auth0_action as cdk.tf.json holds it. */
export interface TerraformAction {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly runtime?: unknown;
  readonly secrets?: unknown;
  readonly dependencies?: unknown;
  readonly supported_triggers?: unknown;
}

/** Makes the error a reader throws, from a one-line message. */
export type Fail = (message: string) => Error;

/** A stack file larger than this is not one of ours (the stacks this project writes are a few hundred kB). */
export const MAX_STACK_BYTES = 64 * 2 ** 20;

/** The text of `file`, a regular file of at most `maxBytes`. */
export function readTextFile(file: string, maxBytes: number, fail: Fail, what: string): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (err) {
    throw fail(`${quote(file)}: can't read it (${(err as NodeJS.ErrnoException).code}); give ${what}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw fail(`${quote(file)} is not a regular file; give ${what}`);
    if (stat.size > maxBytes) throw fail(`${quote(file)} is ${stat.size} bytes, over ${maxBytes}; give ${what}`);
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * Terraform's template escapes undone: `$${` is a literal `${`, `%%{` a literal `%{`. An unescaped
 * `${`/`%{` would be evaluated by Terraform, which this reader can't do, so it is refused.
 */
export function unescapeTerraformString(text: string, where: string, fail: Fail): string {
  return text.replace(/\$\$\{|%%\{|\$\{|%\{/g, (match) => {
    if (match === "$${") return "${";
    if (match === "%%{") return "%{";
    throw fail(`${where} holds a Terraform template sequence ${match}...}; only literal code can be read (synthesize it with npm run synth)`);
  });
}

export function isPostLogin(action: TerraformAction): boolean {
  const triggers = Array.isArray(action.supported_triggers) ? action.supported_triggers : [action.supported_triggers];
  return triggers.some((t) => (t as { id?: unknown } | undefined)?.id === "post-login");
}

/** `${auth0_action.NAME.id}` -> NAME; anything else (an action bound by hand, by its id) -> undefined. */
export function actionReference(value: unknown): string | undefined {
  return typeof value === "string" ? /^\$\{auth0_action\.([A-Za-z_][\w-]*)\.id\}$/.exec(value)?.[1] : undefined;
}

const isPostLoginBinding = (binding: Record<string, unknown> | null | undefined) => binding?.trigger === "post-login";

/** The stack's exclusive post-login binding (auth0_trigger_actions), if it has one; two is an error. */
export function exclusiveBinding(file: string, resources: Resources, fail: Fail): Record<string, unknown> | undefined {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).filter(isPostLoginBinding);
  if (exclusive.length > 1) throw fail(`${quote(file)} binds post-login with ${exclusive.length} auth0_trigger_actions; a trigger has one flow: give one stack's cdk.tf.json`);
  return exclusive[0];
}

/** The stack's append bindings to post-login (auth0_trigger_action), by resource name. */
export function appendBindings(resources: Resources): [string, Record<string, unknown>][] {
  return Object.entries(resources.auth0_trigger_action ?? {}).filter(([, binding]) => isPostLoginBinding(binding));
}

/** How many actions the stack binds to post-login, managed or by hand: its exclusive binding's list, or its append bindings. */
export function boundCount(resources: Resources): number {
  const exclusive = Object.values(resources.auth0_trigger_actions ?? {}).find(isPostLoginBinding);
  if (exclusive) return Array.isArray(exclusive.actions) ? exclusive.actions.length : 0;
  return appendBindings(resources).length;
}

/** Refuses a stack that binds more actions to post-login than Auth0 runs in a flow, before anything is ordered. */
export function checkBoundCount(file: string, resources: Resources, fail: Fail): void {
  const bound = boundCount(resources);
  if (bound > MAX_FLOW_ACTIONS) throw fail(`${quote(file)} binds ${bound} actions to post-login; Auth0 runs at most ${MAX_FLOW_ACTIONS} in a flow: give the cdk.tf.json of a stack Auth0 can deploy`);
}

/**
 * The append bindings in the order Terraform creates them: each depends on the one before it, so the
 * longer its depends_on chain, the later it is bound; bindings as far down their chains keep the
 * stack's order. A topological sort (Kahn's) gives each its chain's length in one pass over the
 * bindings and their depends_on: linear, where following every chain took 2^n steps. A cycle is named.
 */
export function appendOrder(file: string, append: readonly [string, Record<string, unknown>][], fail: Fail): [string, Record<string, unknown>][] {
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

/** An action the stack manages, as `verify --deployed` checks it in the tenant. */
export interface DeclaredAction {
  /** auth0_action.name: how the tenant knows it. */
  readonly name: string;
  /** The code Auth0 receives, Terraform's escapes undone. */
  readonly code: string;
  /** The names of its secrets (their values are Terraform variables, set at apply time). */
  readonly secrets: readonly string[];
  readonly dependencies: readonly { readonly name: string; readonly version: string }[];
  readonly runtime?: string;
}

/** One entry of the post-login flow the stack declares: a managed action (by name) or one bound by hand (by id). */
export interface DeclaredBinding {
  readonly name?: string;
  readonly id?: string;
  readonly displayName: string;
}

/** The post-login deployment a stack declares. */
export interface DeclaredFlow {
  readonly environment: string;
  /** exclusive: the stack owns the trigger's whole list; append: it adds its own; unbound: it binds nothing. */
  readonly mode: "exclusive" | "append" | "unbound";
  readonly bound: readonly DeclaredBinding[];
  /** Every post-login action the stack manages, bound or not (a retired action is kept, unbound, before removal). */
  readonly actions: readonly DeclaredAction[];
}

/** The stack's post-login deployment, for `verify --deployed`; UsageError naming --stack otherwise. */
export function readDeclaredFlow(file: string, environment: string): DeclaredFlow {
  const fail: Fail = (message) => new UsageError(`--stack: ${message}`);
  const what = `cdktf.out/stacks/${environment}/cdk.tf.json from npm run synth (or --stack FILE)`;
  const text = readTextFile(file, MAX_STACK_BYTES, fail, what);
  let stack: { resource?: Resources };
  try {
    stack = JSON.parse(text) as { resource?: Resources };
  } catch {
    throw fail(`${quote(file)} is not JSON; give ${what}`);
  }
  if (typeof stack !== "object" || stack === null || typeof stack.resource !== "object") throw fail(`${quote(file)} is not a synthesized stack (no "resource"); give ${what}`);
  const resources = stack.resource;
  checkBoundCount(file, resources, fail);
  const managed = new Map(Object.entries((resources.auth0_action ?? {}) as Record<string, TerraformAction>).filter(([, action]) => isPostLogin(action)));
  const actions = new Map([...managed].map(([id, action]) => [id, declaredAction(file, id, action, fail)]));
  const entry = (reference: unknown, displayName: unknown): DeclaredBinding => {
    const id = actionReference(reference);
    const name = id === undefined ? undefined : actions.get(id)?.name;
    return name === undefined ? { id: String(reference), displayName: String(displayName ?? "") } : { name, displayName: String(displayName ?? name) };
  };
  const exclusive = exclusiveBinding(file, resources, fail);
  let mode: DeclaredFlow["mode"] = "unbound";
  let bound: DeclaredBinding[] = [];
  if (exclusive) {
    mode = "exclusive";
    const list = Array.isArray(exclusive.actions) ? (exclusive.actions as { id?: unknown; display_name?: unknown }[]) : [];
    bound = list.map((b) => entry(b?.id, b?.display_name));
  } else {
    const append = appendBindings(resources);
    if (append.length > 0) {
      mode = "append";
      bound = appendOrder(file, append, fail).map(([, b]) => entry(b.action_id, b.display_name));
    }
  }
  return { environment, mode, bound, actions: [...actions.values()] };
}

function declaredAction(file: string, id: string, action: TerraformAction, fail: Fail): DeclaredAction {
  const where = `${file}: auth0_action.${id}`;
  if (typeof action.code !== "string") throw fail(`${quote(where)} has no literal code; synthesize the stack with npm run synth`);
  const secrets = Array.isArray(action.secrets) ? (action.secrets as { name?: unknown }[]).map((s) => s?.name).filter((n): n is string => typeof n === "string") : [];
  const dependencies = Array.isArray(action.dependencies)
    ? (action.dependencies as { name?: unknown; version?: unknown }[]).filter((d) => typeof d?.name === "string").map((d) => ({ name: String(d.name), version: String(d.version ?? "") }))
    : [];
  return {
    name: typeof action.name === "string" ? action.name : id,
    code: unescapeTerraformString(action.code, where, fail),
    secrets,
    dependencies,
    runtime: typeof action.runtime === "string" ? action.runtime : undefined,
  };
}
