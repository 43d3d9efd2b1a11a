// The other version for `preview --compare BASE`: a compiled action file, or a synthesized stack
// (cdk.tf.json) from which the post-login flow is taken: each bound action's code and secrets, in order.
import { NAMESPACE_SECRET } from "../compile/claims-action";
import { quote, UsageError } from "../errors";
import { namespaceProblem } from "../auth0/namespace-rule";
import { bundleDependencies } from "../compile/dependencies";
import {
  actionReference,
  appendBindings,
  appendOrder,
  checkBoundCount,
  exclusiveBinding,
  isPostLogin,
  MAX_STACK_BYTES,
  readTextFile,
  type Resources,
  type TerraformAction,
  unescapeTerraformString,
} from "../environment/stack-file";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";

/** A stack or an action file larger than this is not one of ours. */
const MAX_BASE_BYTES = MAX_STACK_BYTES;

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

const fail = (message: string) => new UsageError(`--compare: ${message}`);

function readText(file: string): string {
  return readTextFile(file, MAX_BASE_BYTES, fail, "a compiled action file or a cdk.tf.json from npm run synth");
}

/** The stack's variable defaults, for secrets written as `${var.NAME}`. */
function variableDefault(stack: Record<string, unknown>, name: string): unknown {
  const variables = (stack.variable ?? {}) as Record<string, { default?: unknown }>;
  return variables[name]?.default;
}

/** How many entries of the stack's exclusive post-login binding are actions bound by hand (by id). */
function boundByHand(resources: Resources): number {
  const binding = Object.values(resources.auth0_trigger_actions ?? {}).find((b) => b.trigger === "post-login");
  const list = Array.isArray(binding?.actions) ? (binding.actions as { id?: unknown }[]) : [];
  return list.filter((entry) => actionReference(entry?.id) === undefined).length;
}

/**
 * The managed actions the stack binds to post-login, in the order they run: an exclusive binding's
 * list (actions bound by hand are not in the stack and can't run here, as in the head's preview), or
 * the append bindings in the order their depends_on chain creates them (stack-file.ts). Undefined
 * when nothing is bound.
 */
export function boundOrder(file: string, resources: Resources): string[] | undefined {
  const exclusive = exclusiveBinding(file, resources, fail);
  if (exclusive) {
    const list = Array.isArray(exclusive.actions) ? (exclusive.actions as { id?: unknown }[]) : [];
    return list.map((entry) => actionReference(entry?.id)).filter((id): id is string => id !== undefined);
  }
  const append = appendBindings(resources).filter(([, binding]) => actionReference(binding.action_id) !== undefined);
  if (append.length === 0) return undefined;
  return appendOrder(file, append, fail).map(([, binding]) => actionReference(binding.action_id) as string);
}

/** One action of the stack: its literal code, its secrets (variables resolved from their defaults) and dependencies. */
function stackStep(file: string, stack: Record<string, unknown>, id: string, action: TerraformAction, baseNamespace: string | undefined): BaseStep {
  const where = `${file}: auth0_action.${id}`;
  if (typeof action.code !== "string") throw fail(`${quote(where)} has no literal code; compare needs the compiled code in the stack`);
  const code = unescapeTerraformString(action.code, where, fail);
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
      secrets[secret.name] = unescapeTerraformString(value, `${where} secret ${secret.name}`, fail);
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
  // Checked before the flow is ordered: Auth0 refuses such a flow, so nothing larger needs ordering.
  checkBoundCount(file, resources, fail);
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
