// Which environment a CLI means (--env) and the namespace it runs with (--namespace or the
// environment's default), checked: shared by preview, verify and the local tenant.
import { namespaceCode, namespaceProblem } from "../auth0/namespace-rule";
import { type EnvironmentConfig, environments, exampleEnvironments } from "../environments";
import { UsageError } from "../errors";

/** The environment named `env` (default: the first) and the namespace to run it with; UsageError names what's wrong. */
export function resolveEnvironment(
  env: string | undefined,
  namespaceOverride: string | undefined,
): { environment: EnvironmentConfig; namespace: string } {
  // The examples resolve too, so they can be previewed and verified locally; main.ts deploys only `environments`.
  const known = [...environments, ...exampleEnvironments];
  const environment = env === undefined ? environments[0] : known.find((e) => e.name === env);
  if (!environment)
    throw new UsageError(
      "ERR_USAGE",
      `--env: "${env}" is not an environment; use one of ${known.map((e) => e.name).join(", ")} (src/environments.ts)`,
    );
  const namespace = namespaceOverride ?? environment.namespace;
  if (namespace === undefined) {
    throw new UsageError(
      "ERR_USAGE",
      `--namespace: environment "${environment.name}" has no default namespace; pass --namespace https://example.com/claims`,
    );
  }
  const problem = namespaceProblem(namespace);
  if (problem)
    throw new UsageError(
      namespaceCode(namespace),
      `--namespace: "${namespace}" can't be a claim namespace (${problem}); use an http(s) URL you control`,
    );
  return { environment, namespace };
}
