// An environment's post-login flow (src/environments.ts) as constructs: the other managed actions
// as TypeScriptActions, and one PostLoginFlow binding them with the claims action in order.
import { type Construct } from "constructs";
import { defaultActionName, resourceNameOf } from "../compile/action-source";
import type { AppMetadataClaims } from "./app-metadata-claims";
import { type EnvironmentConfig, flowOf, isManaged, type ManagedActionConfig } from "../environments";
import { type FlowAction, PostLoginFlow } from "./post-login-flow";
import { TypeScriptAction } from "./typescript-action";

/**
 * Declares the environment's other managed actions and binds the whole flow under `id`; retired
 * actions stay deployed in an unbound flow `<id>_retired`, so removing them later raises no 409.
 */
export function environmentFlow(
  scope: Construct,
  id: string,
  environment: EnvironmentConfig,
  claims: AppMetadataClaims,
): { flow: PostLoginFlow; retired?: PostLoginFlow } {
  const actions = flowOf(environment).map((entry): FlowAction =>
    entry === "claims" ? claims : isManaged(entry) ? managedAction(scope, entry) : entry,
  );
  const retiredConfigs = environment.retired ?? [];
  const retired =
    retiredConfigs.length > 0
      ? new PostLoginFlow(scope, `${id}_retired`, {
          mode: "unbound",
          actions: retiredConfigs.map((entry) => managedAction(scope, entry)),
        })
      : undefined;
  return { flow: new PostLoginFlow(scope, id, { mode: environment.binding?.mode, actions }), retired };
}

function managedAction(scope: Construct, entry: ManagedActionConfig): TypeScriptAction {
  const name = entry.actionName ?? defaultActionName(entry.entry);
  return new TypeScriptAction(scope, resourceNameOf(name), {
    ...entry,
    secrets: (entry.secrets ?? []).map((secret) => ({ name: secret })),
  });
}
