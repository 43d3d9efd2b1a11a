// The other version of the action for `preview --compare BASE`: a compiled action file, or a
// synthesized stack (cdk.tf.json) from which the post-login action's code and secrets are taken.
import { closeSync, fstatSync, openSync, readFileSync } from "node:fs";
import { NAMESPACE_SECRET } from "../compile/claims-action";
import { quote, UsageError } from "../errors";
import { namespaceProblem } from "../auth0/namespace-rule";

/** A stack or an action file larger than this is not one of ours. */
const MAX_BASE_BYTES = 64 * 2 ** 20;

export interface BaseAction {
  readonly code: string;
  readonly secrets: Readonly<Record<string, string>>;
  readonly dependencies: readonly string[];
  /** What the report calls it, e.g. "main.cdk.tf.json (auth0_action.app_metadata_claims)". */
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

function fromStack(file: string, stack: Record<string, unknown>, baseNamespace: string | undefined): Omit<BaseAction, "namespace"> & { namespace?: string } {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, TerraformAction>>;
  const actions = Object.entries(resources.auth0_action ?? {}).filter(([, action]) => isPostLogin(action));
  if (actions.length === 0) {
    throw fail(`${quote(file)} holds no post-login auth0_action; give the cdk.tf.json of a stack from npm run synth (cdktf.out/stacks/<env>/cdk.tf.json) or a compiled action file`);
  }
  if (actions.length > 1) {
    throw fail(
      `${quote(file)} holds ${actions.length} post-login actions (${actions.map(([id]) => `auth0_action.${id}`).join(", ")}); ` +
        `compare runs one action: give that action's compiled code as a file`,
    );
  }
  const [id, action] = actions[0];
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
  const name = typeof action.name === "string" ? `, ${action.name}` : "";
  return { code, secrets, dependencies, source: `${file} (auth0_action.${id}${name})`, namespace: secrets[NAMESPACE_SECRET] };
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
  return { code: text, secrets: { [NAMESPACE_SECRET]: namespace }, dependencies: [], source: file, namespace };
}
