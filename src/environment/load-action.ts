// An environment's post-login flow as deployed (src/flow/model.ts), built from src/environments.ts:
// each managed action compiled as the stack deploys it, with the secrets the stack declares for it
// (the namespace's value, the others' Terraform variables), in order. Compiled, with its secrets'
// values, it runs in a sandbox worker (src/sandbox/host.ts), the only place action code runs.
import { ACTION_RUNTIME, POST_LOGIN } from "../auth0/facts";
import { compileActionSource, defaultActionName, resourceNameOf, secretVariableName } from "../compile/action-source";
import {
  CLAIMS_RESOURCE,
  compileClaimsAction,
  DEFAULT_ACTION_NAME,
  NAMESPACE_SECRET,
  NAMESPACE_VARIABLE,
} from "../compile/claims-action";
import type { CompiledAction } from "../compile/compile-action";
import { type EnvironmentConfig, flowOf, isManaged, type ManagedActionConfig } from "../environments";
import { compileFlow } from "../flow/compile";
import type { ActionAsDeployed, FlowAsDeployed, FlowDependency, FlowEntry } from "../flow/model";
import { noSecretValues, resolveSecrets, type SecretValues } from "../flow/secrets";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";
import { type SandboxLimits, SandboxedFlow } from "../sandbox/host";
import { resolveEnvironment } from "./resolve";
import { failFor, MAX_STACK_BYTES, readTextFile } from "./stack-file";

export type { CompiledFlow } from "../runtime/compiled-flow";

/** One environment's flow as deployed, its secrets' values resolved. */
export interface EnvironmentFlow {
  readonly environment: EnvironmentConfig;
  readonly namespace: string;
  /** Every action in order, with its code, runtime, dependencies and secrets (`--code` in place of the claims action's code). */
  readonly flow: FlowAsDeployed;
}

/** The flow compiled, not loaded: plain data, which sandbox workers load without compiling again. */
export interface CompiledEnvironment extends EnvironmentFlow {
  readonly compiled: CompiledFlow;
}

export interface EnvironmentAction extends CompiledEnvironment {
  /** The flow, started in a sandbox worker; close() it when done. */
  readonly runtime: SandboxedFlow;
}

export interface EnvironmentActionOptions {
  /** Environment name. @default the first environment */
  readonly env?: string;
  /** Namespace to run with instead of the environment's default. */
  readonly namespace?: string;
  /** A compiled action file to run instead of the claims action (e.g. one copied from the dashboard). */
  readonly codeFile?: string;
  /** Values of the secrets the stack leaves to Terraform variables. @default none: such a secret is a UsageError */
  readonly secrets?: SecretValues;
  readonly runtime?: Partial<PostLoginRuntimeOptions>;
}

/** `source`: the entry file and the first 12 hex digits of the code's sha256, as reports show it. */
const sourceOf = (compiled: CompiledAction) => `${compiled.source} (sha256 ${compiled.sha256.slice(0, 12)})`;

/** Sorted by name, as TypeScriptAction declares them. */
const sortedDependencies = (dependencies: readonly FlowDependency[] = []) =>
  dependencies
    .map((d) => ({ name: d.name, version: d.version }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/**
 * The environment's post-login flow as its stack deploys it (src/constructs/claims-stack.ts builds
 * the same from the same config): the claims action runs with `namespace`; `codeFile` replaces its code.
 * Secrets other than the namespace carry their variable, not a value.
 */
export function environmentModel(environment: EnvironmentConfig, namespace: string, codeFile?: string): FlowAsDeployed {
  // The compiler with the environment's settings, as AppMetadataClaims calls it: the same bytes as auth0_action.code.
  const { compiled } = compileClaimsAction(environment);
  let code = compiled.code;
  let source = sourceOf(compiled);
  if (codeFile !== undefined) {
    code = readTextFile(codeFile, MAX_STACK_BYTES, failFor("--code"), "a compiled action file");
    source = codeFile;
  }
  const claims: ActionAsDeployed = {
    name: environment.actionName ?? DEFAULT_ACTION_NAME,
    source,
    code,
    runtime: ACTION_RUNTIME,
    dependencies: [],
    secrets: [
      { name: NAMESPACE_SECRET, value: namespace, variable: NAMESPACE_VARIABLE },
      ...(environment.secrets ?? []).map((name) => ({ name, variable: secretVariableName(CLAIMS_RESOURCE, name) })),
    ],
  };
  const entries = flowOf(environment).map((entry): FlowEntry => {
    if (entry === "claims") return { kind: "action", action: claims, displayName: claims.name };
    if (!isManaged(entry)) return { kind: "hand", id: entry.id, displayName: entry.displayName };
    const action = managedAction(entry);
    return { kind: "action", action, displayName: action.name };
  });
  return {
    trigger: POST_LOGIN.id,
    mode: environment.binding?.mode ?? "append",
    entries,
    retired: (environment.retired ?? []).map(managedAction),
  };
}

function managedAction(config: ManagedActionConfig): ActionAsDeployed {
  const compiled = compileActionSource(config);
  const name = config.actionName ?? defaultActionName(config.entry);
  return {
    name,
    source: sourceOf(compiled),
    code: compiled.code,
    runtime: config.runtime ?? ACTION_RUNTIME,
    dependencies: sortedDependencies(config.dependencies),
    secrets: (config.secrets ?? []).map((secret) => ({
      name: secret,
      variable: secretVariableName(resourceNameOf(name), secret),
    })),
  };
}

/** The environment `env` with its namespace and flow, each secret given its value; UsageError otherwise. */
export function loadEnvironmentFlow(options: EnvironmentActionOptions = {}): EnvironmentFlow {
  const { environment, namespace } = resolveEnvironment(options.env, options.namespace);
  const flow = resolveSecrets(
    environmentModel(environment, namespace, options.codeFile),
    options.secrets ?? noSecretValues(),
  );
  return { environment, namespace, flow };
}

/** Compiles the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function compileEnvironmentFlow(options: EnvironmentActionOptions = {}): CompiledEnvironment {
  const loaded = loadEnvironmentFlow(options);
  return { ...loaded, compiled: compileFlow(loaded.flow, { runtime: options.runtime }) };
}

/** Starts what compileEnvironmentFlow compiled in a sandbox worker; throws ActionLoadError when an action can't load. */
export async function startCompiledEnvironment(
  compiled: CompiledEnvironment,
  limits?: SandboxLimits,
): Promise<EnvironmentAction> {
  return { ...compiled, runtime: await SandboxedFlow.start(compiled.compiled, limits) };
}

/** Compiles and starts the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function startEnvironmentAction(
  options: EnvironmentActionOptions = {},
  limits?: SandboxLimits,
): Promise<EnvironmentAction> {
  return startCompiledEnvironment(compileEnvironmentFlow(options), limits);
}
