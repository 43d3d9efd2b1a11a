// The other version for `preview --compare BASE`: a compiled action file, or a synthesized stack
// (cdk.tf.json) read as the flow it deploys (src/environment/stack-file.ts): each bound action's code
// and secrets, in order.
import { NAMESPACE_SECRET } from "../compile/claims-action";
import { quote, ToolError, UsageError } from "../errors";
import { namespaceCode, namespaceProblem } from "../auth0/namespace-rule";
import { POST_LOGIN } from "../auth0/facts";
import {
  failFor,
  MAX_STACK_BYTES,
  readTextFile,
  type Resources,
  stackModel,
  supportsTrigger,
} from "../environment/stack-file";
import { compileFlow } from "../flow/compile";
import { type ActionAsDeployed, actionsOf, boundByHand, type FlowAsDeployed, withSecrets } from "../flow/model";
import { resolveSecrets, type SecretValues } from "../flow/secrets";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";

/** A stack or an action file larger than this is not one of ours. */
const MAX_BASE_BYTES = MAX_STACK_BYTES;

export interface BaseAction {
  /** The base's flow as deployed, in the order the stack binds it (one action for a code file), every secret with its value. */
  readonly flow: FlowAsDeployed;
  /** What the report calls it, e.g. "main.cdk.tf.json (auth0_action.app_metadata_claims, app-metadata-claims)". */
  readonly source: string;
  readonly namespace: string;
}

const fail = failFor("--compare");

function readText(file: string): string {
  return readTextFile(file, MAX_BASE_BYTES, fail, "a compiled action file or a cdk.tf.json from npm run synth");
}

/** The flow's actions with `namespace` as their CLAIM_NAMESPACE; without one, the stack must give it (its variable's default). */
function withNamespace(flow: FlowAsDeployed, namespace: string | undefined): FlowAsDeployed {
  return withSecrets(flow, (secret, action) => {
    if (secret.name !== NAMESPACE_SECRET) return secret;
    if (namespace !== undefined) return { ...secret, value: namespace };
    if (secret.value === undefined && secret.variable !== undefined) {
      throw fail(
        "ERR_SECRET_MISSING",
        `${quote(action.source)}: secret ${NAMESPACE_SECRET} comes from var.${secret.variable}, which has no default in the stack; pass --base-namespace URL (the namespace the base is deployed with)`,
      );
    }
    return secret;
  });
}

/** The stack's post-login flow: the bound actions in order, or its only post-login action when nothing is bound. */
function fromStack(
  file: string,
  stack: Record<string, unknown>,
  baseNamespace: string | undefined,
  secrets: SecretValues,
): Omit<BaseAction, "namespace"> & { namespace?: string } {
  const ids = Object.entries(((stack.resource ?? {}) as Resources).auth0_action ?? {}).flatMap(([id, action]) =>
    supportsTrigger(action, POST_LOGIN.id) ? [id] : [],
  );
  if (ids.length === 0) {
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)} holds no post-login auth0_action; give the cdk.tf.json of a stack from npm run synth (cdktf.out/stacks/<env>/cdk.tf.json) or a compiled action file`,
    );
  }
  const model = stackModel(file, stack, fail);
  if (model.mode === "unbound" && ids.length > 1) {
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)} holds ${ids.length} post-login actions (${ids.map((id) => `auth0_action.${id}`).join(", ")}) and binds none of them; compare runs the bound flow: give a stack that binds them, or one action's compiled code as a file`,
    );
  }
  const steps = actionsOf(model);
  if (steps.length === 0)
    throw fail(
      "ERR_INPUT_INVALID",
      `${quote(file)} binds none of its post-login actions to post-login; give the cdk.tf.json of a stack whose flow runs them`,
    );
  let flow: FlowAsDeployed;
  try {
    flow = resolveSecrets(withNamespace(model, baseNamespace), secrets);
  } catch (err) {
    if (err instanceof ToolError && !err.message.startsWith("--compare: ")) err.message = `--compare: ${err.message}`;
    throw err;
  }
  const byHand = boundByHand(flow).length;
  // Said in the report: those actions run in the tenant but not here, in the base as in the head.
  const notRun = byHand === 0 ? "" : `; ${byHand} action(s) bound by hand (by id) not run`;
  const source =
    steps.length === 1 && byHand === 0
      ? steps[0].source
      : `${file} (flow ${steps.map((s) => s.source.slice(file.length + 2, -1)).join(" -> ")}${notRun})`;
  const namespace = actionsOf(flow)
    .flatMap((action) => action.secrets)
    .find((secret) => secret.name === NAMESPACE_SECRET && secret.value !== undefined)?.value;
  return { flow, source, namespace };
}

/**
 * Reads BASE: a cdk.tf.json (by its content: a JSON object with `resource`) or a compiled action.
 * A code file runs with `baseNamespace`, else with `headNamespace`; a stack with the namespace it is
 * deployed with (its variable's default) unless `baseNamespace` overrides it, and its other secrets
 * from their variables' defaults or `secrets` (--secrets-file, TF_VAR_). UsageError otherwise.
 */
export function readBaseAction(
  file: string,
  baseNamespace: string | undefined,
  headNamespace: string,
  secrets: SecretValues,
): BaseAction {
  if (baseNamespace !== undefined) {
    const problem = namespaceProblem(baseNamespace);
    if (problem)
      throw new UsageError(
        namespaceCode(baseNamespace),
        `--base-namespace: ${quote(baseNamespace)} can't be a claim namespace (${problem}); use an http(s) URL you control`,
      );
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
      throw fail(
        "ERR_INPUT_INVALID",
        `${quote(file)} is not a synthesized stack (no "resource"); give cdktf.out/stacks/<env>/cdk.tf.json or a compiled action file`,
      );
    }
    const base = fromStack(file, parsed, baseNamespace, secrets);
    const namespace = base.namespace ?? baseNamespace ?? headNamespace;
    const problem = namespaceProblem(namespace);
    if (problem)
      throw fail(
        namespaceCode(namespace),
        `${quote(file)}: namespace ${quote(namespace)} can't be a claim namespace (${problem}); pass --base-namespace URL`,
      );
    return { ...base, namespace };
  }
  const namespace = baseNamespace ?? headNamespace;
  const action: ActionAsDeployed = {
    name: file,
    source: file,
    code: text,
    dependencies: [],
    secrets: [{ name: NAMESPACE_SECRET, value: namespace }],
  };
  return {
    flow: {
      trigger: POST_LOGIN.id,
      mode: "exclusive",
      entries: [{ kind: "action", action, displayName: file }],
      retired: [],
    },
    source: file,
    namespace,
  };
}

/** The base as a flow the runtime loads, with the head's runtime settings (time limit, audience). */
export function baseFlow(base: BaseAction, runtime: Partial<PostLoginRuntimeOptions>): CompiledFlow {
  return compileFlow(base.flow, { runtime });
}
