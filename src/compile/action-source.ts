// What an action is built from (entry, constants, npm dependencies, trigger), how that becomes its
// code, and the names Terraform gives it. Free of cdktf, so the tools build each action of a flow as
// the stack deploys it: the same bytes, the same resource and secret variable names.
import { basename, extname } from "node:path";
import { type ActionTrigger, POST_LOGIN } from "../auth0/facts";
import { type CompiledAction, compileAction } from "./compile-action";

/** An npm package Auth0 installs for the action. */
export interface ActionDependency {
  /** The package's name on npm. */
  readonly name: string;
  /** Its exact version. */
  readonly version: string;
}

export interface ActionSource {
  /** Entry file of the action, relative to the project's root, e.g. "actions/deny-blocked-users.ts". */
  readonly entry: string;
  /** Compile-time constants: each identifier is replaced by its value as JSON. @default {} */
  readonly constants?: Readonly<Record<string, unknown>>;
  /** npm packages Auth0 installs for the action; left out of the bundle. @default [] */
  readonly dependencies?: readonly ActionDependency[];
  /** The trigger the action is written for. @default { id: "post-login", version: "v3" } */
  readonly trigger?: ActionTrigger;
}

/** The action compiled as the stack deploys it (compile-action.ts owns every esbuild option). */
export function compileActionSource(source: ActionSource): CompiledAction {
  return compileAction({
    entry: source.entry,
    constants: source.constants,
    external: (source.dependencies ?? []).map((d) => d.name),
    trigger: (source.trigger ?? POST_LOGIN).id,
  });
}

/** An action's name when none is given: its entry file's name, e.g. "deny-blocked-users". */
export function defaultActionName(entry: string): string {
  return basename(entry, extname(entry));
}

/**
 * The Terraform resource name a name gives: each character but a letter, a digit or "_" becomes "_".
 * An action's resource (environment-flow.ts names each construct so), its secrets' variables, a binding.
 */
export function resourceNameOf(actionName: string): string {
  return actionName.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * The sensitive Terraform variable TypeScriptAction declares for a secret given no value: the deploy
 * reads it from TF_VAR_<this name>, and so do the tools that run the action (src/flow/secrets.ts).
 */
export function secretVariableName(resourceName: string, secretName: string): string {
  return `${resourceName}_secret_${secretName}`.toLowerCase().replace(/[^a-z0-9_]/g, "_");
}
