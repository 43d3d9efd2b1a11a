// The action of one environment, as deployed: the compiled code the environment's stack deploys,
// with the secret the stack gives it, loaded into the local post-login runtime.
import { readFileSync } from "node:fs";
import { compileClaimsAction, NAMESPACE_SECRET } from "../claims-action";
import { EnvironmentConfig, environments } from "../environments";
import { namespaceProblem } from "../namespace-rule";
import { PostLoginRuntime, PostLoginRuntimeOptions } from "../runtime/post-login-runtime";
import { InputError } from "./read-users";

export interface EnvironmentAction {
  readonly environment: EnvironmentConfig;
  readonly namespace: string;
  /** The code that runs: the stack's compiled action, or the file given with --code. */
  readonly code: string;
  readonly source: string;
  readonly runtime: PostLoginRuntime;
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

/** The environment named `env` (default: the first) and the namespace to run it with; InputError names what's wrong. */
export function resolveEnvironment(env: string | undefined, namespaceOverride: string | undefined): { environment: EnvironmentConfig; namespace: string } {
  const names = environments.map((e) => e.name);
  const environment = env === undefined ? environments[0] : environments.find((e) => e.name === env);
  if (!environment) throw new InputError(`--env: "${env}" is not an environment; use one of ${names.join(", ")} (src/environments.ts)`);
  const namespace = namespaceOverride ?? environment.namespace;
  if (namespace === undefined) {
    throw new InputError(`--namespace: environment "${environment.name}" has no default namespace; pass --namespace https://example.com/claims`);
  }
  const problem = namespaceProblem(namespace);
  if (problem) throw new InputError(`--namespace: "${namespace}" can't be a claim namespace (${problem}); use an http(s) URL you control`);
  return { environment, namespace };
}

export function loadEnvironmentAction(options: EnvironmentActionOptions = {}): EnvironmentAction {
  const { environment, namespace } = resolveEnvironment(options.env, options.namespace);

  // The compiler with the environment's settings, as AppMetadataClaims calls it: the same bytes as auth0_action.code.
  const { compiled } = compileClaimsAction(environment);
  let code = compiled.code;
  let source = `${compiled.source} (sha256 ${compiled.sha256.slice(0, 12)})`;
  if (options.codeFile !== undefined) {
    try {
      code = readFileSync(options.codeFile, "utf8");
    } catch (err) {
      throw new InputError(`--code: ${options.codeFile}: can't read it (${(err as NodeJS.ErrnoException).code}); check the path`);
    }
    source = options.codeFile;
  }
  const runtime = PostLoginRuntime.load({ code, secrets: { [NAMESPACE_SECRET]: namespace }, filename: source, ...options.runtime });
  return { environment, namespace, code, source, runtime };
}
