// A flow as deployed (model.ts) turned into what a sandbox worker loads (src/runtime/compiled-flow.ts):
// each action that runs, in order, with its secrets' values and its declared npm dependencies
// bundled (esbuild runs here, once, never in the worker).
import { quote, UsageError } from "../errors";
import { bundleDependencies } from "../compile/dependencies";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../runtime/post-login-runtime";
import { actionsOf, type FlowAsDeployed } from "./model";
import { secretsRecord } from "./secrets";

export interface CompileOptions {
  /** Runtime settings of every action (audience, client), and `timeoutMs`, the whole flow's. */
  readonly runtime?: Partial<PostLoginRuntimeOptions>;
}

/**
 * The flow's actions (entries bound by hand and retired actions aside), each given its secrets as
 * event.secrets and its dependencies bundled. Every tool resolves the secrets' values first
 * (resolveSecrets, or the store's deployed values): a secret still without one is a UsageError
 * naming the action and the secret.
 */
export function compileFlow(flow: FlowAsDeployed, options: CompileOptions = {}): CompiledFlow {
  // The runtime (src/runtime/) implements post-login's event and api only.
  if (flow.trigger !== "post-login")
    throw new UsageError(
      "ERR_TRIGGER_UNSUPPORTED",
      `the ${flow.trigger} trigger can't run locally; only post-login flows do`,
    );
  const { timeoutMs, ...perAction } = options.runtime ?? {};
  const steps = actionsOf(flow).map((action) => {
    const dependencies = action.dependencies.map((d) => d.name);
    const secrets = secretsRecord(action);
    return {
      name: action.name,
      source: action.source,
      code: action.code,
      options: {
        ...perAction,
        // The whole flow's limit also bounds each action's fetch calls (the runtime's callTimeoutMs).
        timeoutMs,
        code: action.code,
        secrets,
        dependencies,
        modules: bundleDependencies(action.code, dependencies, action.name),
        filename: action.source,
      },
    };
  });
  return { steps, timeoutMs };
}

/**
 * The origins given with --allow-fetch (repeatable), as fetch compares them (URL.origin). UsageError
 * naming the value for one that is not an http(s) origin: a path, a query or credentials would
 * suggest a narrower allowance than the origin the sandbox checks.
 */
export function fetchOrigins(given: readonly string[] | undefined): string[] {
  const origins = new Set<string>();
  for (const text of given ?? []) {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    const origin = url && (url.protocol === "http:" || url.protocol === "https:") ? url.origin : undefined;
    if (
      origin === undefined ||
      url === undefined ||
      url.username !== "" ||
      url.password !== "" ||
      url.search !== "" ||
      url.hash !== "" ||
      (url.pathname !== "/" && url.pathname !== "")
    ) {
      throw new UsageError(
        "ERR_USAGE",
        `--allow-fetch: ${quote(text)} is not an origin; give scheme://host[:port], e.g. http://127.0.0.1:8080 (an action may then call any path there)`,
      );
    }
    origins.add(origin);
  }
  return [...origins];
}
