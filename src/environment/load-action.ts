// The post-login flow of one environment, as deployed: each managed action compiled as the stack
// deploys it, with the secrets the stack gives it and its npm dependencies bundled for the sandbox;
// started, it runs in a sandbox worker (src/sandbox/sandboxed-flow.ts), the only place action code runs.
import { readFileSync } from "node:fs";
import { UsageError } from "../errors";
import { compileActionSource, defaultActionName } from "../compile/action-source";
import { compileClaimsAction, DEFAULT_ACTION_NAME, NAMESPACE_SECRET } from "../compile/claims-action";
import { bundleDependencies } from "../compile/dependencies";
import { EnvironmentConfig, flowOf, isManaged } from "../environments";
import { resolveEnvironment } from "./resolve";
import type { CompiledFlow, CompiledStep } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";
import { type SandboxLimits, SandboxedFlow } from "../sandbox/host";

export type { CompiledFlow } from "../runtime/compiled-flow";

/** One environment's flow compiled, not loaded: plain data, which sandbox workers load without compiling again. */
export interface CompiledEnvironment {
  readonly environment: EnvironmentConfig;
  readonly namespace: string;
  /** The claims action's code that runs: the stack's compiled action, or the file given with --code. */
  readonly code: string;
  /** Where the claims action's code comes from. */
  readonly source: string;
  /** The whole managed flow, in order (actions bound by hand are not in this repository and don't run). */
  readonly flow: CompiledFlow;
}

export interface EnvironmentAction extends CompiledEnvironment {
  /** The flow, started in a sandbox worker; close() it when done. */
  readonly runtime: SandboxedFlow;
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

/** Compiles the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function compileEnvironmentFlow(options: EnvironmentActionOptions = {}): CompiledEnvironment {
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
  const steps: CompiledStep[] = [];
  for (const entry of flowOf(environment)) {
    if (entry === "claims") {
      steps.push({ name: claimsName, source, code, options: { code, secrets: { [NAMESPACE_SECRET]: namespace }, filename: source, ...perAction } });
    } else if (isManaged(entry)) {
      const other = compileActionSource(entry);
      const name = entry.actionName ?? defaultActionName(entry.entry);
      const declared = (entry.dependencies ?? []).map((d) => ({ name: d.name, version: d.version }));
      const dependencies = declared.map((d) => d.name);
      // Other secrets are Terraform variables, set only at apply time: the preview runs without them.
      const options = { code: other.code, dependencies, modules: bundleDependencies(other.code, dependencies, name), filename: other.source, ...perAction };
      steps.push({ name, source: `${other.source} (sha256 ${other.sha256.slice(0, 12)})`, code: other.code, options, dependencies: declared });
    }
  }
  return { environment, namespace, code, source, flow: { steps, timeoutMs } };
}

/** Starts what compileEnvironmentFlow compiled in a sandbox worker; throws ActionLoadError when an action can't load. */
export async function startCompiledEnvironment(compiled: CompiledEnvironment, limits?: SandboxLimits): Promise<EnvironmentAction> {
  const runtime = await SandboxedFlow.start(compiled.flow, limits);
  return { ...compiled, runtime, actions: compiled.flow.steps.map(({ name, source, code }) => ({ name, source, code })) };
}

/** Compiles and starts the environment's managed post-login flow; `codeFile` replaces the claims action's code. */
export function startEnvironmentAction(options: EnvironmentActionOptions = {}, limits?: SandboxLimits): Promise<EnvironmentAction> {
  return startCompiledEnvironment(compileEnvironmentFlow(options), limits);
}
