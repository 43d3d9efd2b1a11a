// The post-login flow of one environment, as deployed: each managed action compiled as the stack
// deploys it, with the secrets the stack gives it, loaded in order into the local flow runtime.
import { readFileSync } from "node:fs";
import { UsageError } from "../errors";
import { compileActionSource, defaultActionName } from "../compile/action-source";
import { compileClaimsAction, DEFAULT_ACTION_NAME, NAMESPACE_SECRET } from "../compile/claims-action";
import { EnvironmentConfig, flowOf, isManaged } from "../environments";
import { resolveEnvironment } from "./resolve";
import { FlowRuntime } from "../runtime/flow-runtime";
import { PostLoginRuntime, PostLoginRuntimeOptions } from "../runtime/post-login-runtime";

export interface EnvironmentAction {
  readonly environment: EnvironmentConfig;
  readonly namespace: string;
  /** The claims action's code that runs: the stack's compiled action, or the file given with --code. */
  readonly code: string;
  /** Where the claims action's code comes from. */
  readonly source: string;
  /** The whole managed flow, in order (actions bound by hand are not in this repository and don't run). */
  readonly runtime: FlowRuntime;
  /** The flow's actions in the order they run: name, where the code comes from, the code. */
  readonly actions: readonly { readonly name: string; readonly source: string; readonly code: string }[];
}

export interface EnvironmentActionOptions {
  /** Environment name. @default the first environment */
  readonly env?: string;
  /** Namespace to run with instead of the environment's default. */
  readonly namespace?: string;
  /** A compiled action file to run instead of the environment's (e.g. one copied from the dashboard). */
  readonly codeFile?: string;
  readonly runtime?: Partial<PostLoginRuntimeOptions>;
}

/**
 * One environment's flow compiled, not loaded: plain data, so the preview's worker threads load it
 * without running esbuild again (each compile costs a worker about a third of a second).
 */
export interface CompiledFlow {
  readonly steps: readonly { readonly name: string; readonly source: string; readonly code: string; readonly options: PostLoginRuntimeOptions }[];
  readonly timeoutMs?: number;
}

/** Compiles the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function compileEnvironmentFlow(options: EnvironmentActionOptions = {}): { environment: EnvironmentConfig; namespace: string; code: string; source: string; flow: CompiledFlow } {
  const { environment, namespace } = resolveEnvironment(options.env, options.namespace);
  const { timeoutMs, ...perAction } = options.runtime ?? {};

  // The compiler with the environment's settings, as AppMetadataClaims calls it: the same bytes as auth0_action.code.
  const { compiled } = compileClaimsAction(environment);
  let code = compiled.code;
  let source = `${compiled.source} (sha256 ${compiled.sha256.slice(0, 12)})`;
  if (options.codeFile !== undefined) {
    try {
      code = readFileSync(options.codeFile, "utf8");
    } catch (err) {
      throw new UsageError(`--code: ${options.codeFile}: can't read it (${(err as NodeJS.ErrnoException).code}); check the path`);
    }
    source = options.codeFile;
  }
  const claimsName = environment.actionName ?? DEFAULT_ACTION_NAME;
  const steps: CompiledFlow["steps"][number][] = [];
  for (const entry of flowOf(environment)) {
    if (entry === "claims") {
      steps.push({ name: claimsName, source, code, options: { code, secrets: { [NAMESPACE_SECRET]: namespace }, filename: source, ...perAction } });
    } else if (isManaged(entry)) {
      const other = compileActionSource(entry);
      const name = entry.actionName ?? defaultActionName(entry.entry);
      // Other secrets are Terraform variables, set only at apply time: the preview runs without them.
      const options = { code: other.code, dependencies: (entry.dependencies ?? []).map((d) => d.name), filename: other.source, ...perAction };
      steps.push({ name, source: `${other.source} (sha256 ${other.sha256.slice(0, 12)})`, code: other.code, options });
    }
  }
  return { environment, namespace, code, source, flow: { steps, timeoutMs } };
}

/** Loads a compiled flow into the local runtime; throws ActionLoadError when an action can't load. */
export function loadCompiledFlow(flow: CompiledFlow): FlowRuntime {
  return new FlowRuntime(
    flow.steps.map(({ name, options }) => ({ name, runtime: PostLoginRuntime.load(options) })),
    flow.timeoutMs,
  );
}

/** Loads what compileEnvironmentFlow compiled; throws ActionLoadError when an action can't load. */
export function loadCompiledEnvironment(compiled: ReturnType<typeof compileEnvironmentFlow>): EnvironmentAction {
  const { environment, namespace, code, source, flow } = compiled;
  const runtime = loadCompiledFlow(flow);
  return { environment, namespace, code, source, runtime, actions: flow.steps.map(({ name, source, code }) => ({ name, source, code })) };
}

/** Loads the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function loadEnvironmentAction(options: EnvironmentActionOptions = {}): EnvironmentAction {
  return loadCompiledEnvironment(compileEnvironmentFlow(options));
}
