// TypeScriptAction: any Auth0 Action written in TypeScript, as one auth0_action: compiled by
// src/compile/compile-action.ts (the one owner of esbuild's options), its secrets, npm dependencies and runtime,
// and the adoption of an action made by hand. Binding it to a trigger is PostLoginFlow's job.
import { isList } from "../lists";
import { Annotations, TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { Action } from "../../.gen/providers/auth0/action";
import {
  type ActionDependency,
  type ActionSource,
  compileActionSource,
  defaultActionName,
  resourceNameOf,
  secretVariableName,
} from "../compile/action-source";
import {
  ACTION_RUNTIME,
  ACTION_RUNTIMES,
  type ActionTrigger,
  MAX_ACTION_DEPENDENCIES,
  MAX_ACTION_SECRETS,
  MAX_SECRET_NAME_CHARS,
  POST_LOGIN,
} from "../auth0/facts";
import type { CompiledAction } from "../compile/compile-action";
import { atPath, ConstructPropError } from "./construct-error";

/** A secret the action reads as `event.secrets.<name>`. */
export interface ActionSecret {
  /** The secret's name, e.g. "API_KEY". */
  readonly name: string;
  /**
   * Its value, resolved at apply time: a token such as a TerraformVariable's `stringValue`. Literal
   * strings are refused, so no credential is ever written into code or cdk.tf.json.
   * @default - a sensitive Terraform variable `<action resource>_secret_<name>`, set with TF_VAR_<that name>
   */
  readonly value?: string;
}

/** An action made by hand, to bring under management instead of creating one. */
export interface Adoption {
  /** The action's id: Actions > Library > the action, in the URL; or GET /api/v2/actions/actions?actionName=NAME. */
  readonly actionId: string;
}

export interface TypeScriptActionProps {
  /** Entry file of the action, relative to the project's root, e.g. "actions/deny-blocked-users.ts". */
  readonly entry: string;
  /** The action's name in Auth0, unique in the tenant. @default the entry file's name, e.g. "deny-blocked-users" */
  readonly actionName?: string;
  /** The trigger the action is written for, and its version. @default { id: "post-login", version: "v3" } */
  readonly trigger?: ActionTrigger;
  /** The Node runtime Auth0 runs the action on. @default "node22" */
  readonly runtime?: string;
  /** Secrets the action reads; an adopted action must list every secret it already has. @default [] */
  readonly secrets?: readonly ActionSecret[];
  /** npm packages Auth0 installs for the action; imports of them stay out of the bundle. @default [] */
  readonly dependencies?: readonly ActionDependency[];
  /** Deploy every change as a new version (a bound action runs its deployed version only). @default true */
  readonly deploy?: boolean;
  /** Compile-time constants: each identifier in the code is replaced by its value as JSON. @default {} */
  readonly constants?: Readonly<Record<string, unknown>>;
  /** The resource's name in Terraform plans (auth0_action.<name>); keep it when moving the construct. @default the construct id, with other characters than letters, digits and _ as _ */
  readonly resourceName?: string;
  /** Take over an action made by hand: a Terraform import block, so the plan updates it in place. @default - none: a new action is created */
  readonly adopt?: Adoption;
}

export class TypeScriptAction extends Construct {
  /** The action's name in Auth0. */
  public readonly actionName: string;
  /** The resource's name in Terraform: auth0_action.<resourceName>. */
  public readonly resourceName: string;
  public readonly trigger: ActionTrigger;
  public readonly runtime: string;
  /** The code as deployed, with its hash and size. */
  public readonly compiled: CompiledAction;
  /** What the code is compiled from: the preview compiles the same source to the same bytes. */
  public readonly source: ActionSource;
  /** The names of the action's secrets, in the order given. */
  public readonly secretNames: readonly string[];
  /** Each secret, in the order given, with the sensitive variable made for it (none when its value was given). */
  public readonly secrets: readonly { readonly name: string; readonly variable?: string }[];
  /** The id of the hand-made action this construct imports, if it adopts one. */
  public readonly adopted?: string;
  /** The auth0_action resource. */
  public readonly action: Action;

  constructor(scope: Construct, id: string, props: TypeScriptActionProps) {
    super(scope, id);
    this.resourceName = props?.resourceName ?? resourceNameOf(id);
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(this.resourceName)) {
      throw new ConstructPropError(
        this,
        "ERR_RESOURCE_NAME",
        `resourceName: ${JSON.stringify(this.resourceName)} can't name a Terraform resource; use letters, digits and _, starting with a letter`,
      );
    }
    if (typeof props?.entry !== "string" || props.entry.trim() === "") {
      throw new ConstructPropError(
        this,
        "ERR_ACTION_ENTRY",
        `entry: ${JSON.stringify(props?.entry)} is not a file; give the action's entry file, e.g. "actions/deny-blocked-users.ts"`,
      );
    }
    const actionName = (this.actionName = props.actionName ?? defaultActionName(props.entry));
    if (
      typeof actionName !== "string" ||
      actionName.trim() === "" ||
      actionName.trim() !== actionName ||
      actionName.length > 128
    ) {
      throw new ConstructPropError(
        this,
        "ERR_ACTION_NAME",
        `actionName: ${JSON.stringify(actionName)} is not a usable action name; use 1 to 128 characters without leading or trailing spaces`,
      );
    }
    this.trigger = checkTrigger(this, props.trigger ?? POST_LOGIN);
    this.runtime = props.runtime ?? ACTION_RUNTIME;
    if (!ACTION_RUNTIMES.includes(this.runtime)) {
      throw new ConstructPropError(
        this,
        "ERR_ACTION_RUNTIME",
        `runtime: ${JSON.stringify(this.runtime)} is not a runtime Auth0 runs; use ${ACTION_RUNTIMES.map((r) => `"${r}"`).join(" or ")}`,
      );
    }
    const dependencies = checkDependencies(this, props.dependencies ?? []);
    this.source = { entry: props.entry, constants: props.constants, dependencies, trigger: this.trigger };
    this.compiled = atPath(this, () => compileActionSource(this.source));
    const secrets = this.secretValues(props.secrets ?? []);
    this.secretNames = secrets.map((s) => s.name);
    this.secrets = secrets.map(({ name, variable }) => (variable === undefined ? { name } : { name, variable }));

    this.action = new Action(this, "action", {
      name: actionName,
      runtime: this.runtime,
      deploy: props.deploy ?? true,
      supportedTriggers: { id: this.trigger.id, version: this.trigger.version },
      code: this.compiled.terraformCode,
      ...(dependencies.length > 0
        ? { dependencies: dependencies.map((d) => ({ name: d.name, version: d.version })) }
        : {}),
      ...(secrets.length > 0 ? { secrets: secrets.map(({ name, value }) => ({ name, value })) } : {}),
    });
    this.action.overrideLogicalId(this.resourceName);

    if (props.adopt !== undefined) {
      const actionId = props.adopt?.actionId;
      if (typeof actionId !== "string" || !/^[\w-]{1,64}$/.test(actionId)) {
        throw new ConstructPropError(
          this,
          "ERR_ADOPT_ID",
          `adopt.actionId: ${JSON.stringify(actionId)} is not an action id; copy it from the action's URL in Actions > Library (e.g. 7f3c9f0e-...)`,
        );
      }
      this.adopted = actionId;
      this.action.importFrom(actionId);
      // Secrets cannot be imported, and the provider sends the whole list on update (docs/lifecycle.md).
      Annotations.of(this).addWarning(
        `adopting action ${actionId}: the first apply updates it and deploys a new version (secrets can't be imported); ` +
          `list every secret the hand-made action has in "secrets" (${this.secretNames.join(", ") || "none listed"}), ` +
          `or Auth0 refuses the update with "Unmanaged Action Secret"`,
      );
    }
  }

  /** The action's id in Auth0, as a token, for bindings. */
  public get actionId(): string {
    return this.action.id;
  }

  /** Checks the secrets and gives each one without a value a sensitive variable of its own. */
  private secretValues(secrets: readonly ActionSecret[]): { name: string; value: string; variable?: string }[] {
    if (!isList(secrets) || secrets.length > MAX_ACTION_SECRETS) {
      throw new ConstructPropError(
        this,
        "ERR_ACTION_SECRETS",
        `secrets: ${isList(secrets) ? `${secrets.length} secrets` : JSON.stringify(secrets)} is not a list Auth0 takes; list at most ${MAX_ACTION_SECRETS} secrets`,
      );
    }
    const seen = new Set<string>();
    return secrets.map((secret, i) => {
      const name = secret?.name;
      if (typeof name !== "string" || !/^[A-Za-z0-9_-]+$/.test(name) || name.length > MAX_SECRET_NAME_CHARS) {
        throw new ConstructPropError(
          this,
          "ERR_ACTION_SECRETS",
          `secrets[${i}].name: ${JSON.stringify(name)} is not a secret name; use 1 to ${MAX_SECRET_NAME_CHARS} letters, digits, "_" or "-", as shown in the action's Secrets tab`,
        );
      }
      if (seen.has(name))
        throw new ConstructPropError(
          this,
          "ERR_ACTION_SECRETS",
          `secrets[${i}].name: "${name}" is listed twice; list each secret once`,
        );
      seen.add(name);
      if (secret.value !== undefined) {
        if (!Token.isUnresolved(secret.value)) {
          throw new ConstructPropError(
            this,
            "ERR_ACTION_SECRETS",
            `secrets[${i}].value: a literal string would write secret ${name} into cdk.tf.json; omit "value" to get a sensitive Terraform variable, or pass a TerraformVariable's value`,
          );
        }
        return { name, value: secret.value };
      }
      const variableName = secretVariableName(this.resourceName, name);
      const variable = new TerraformVariable(this, `secret_${name}`, {
        type: "string",
        sensitive: true,
        nullable: false,
        description: `Secret ${name} of action ${this.actionName}. Set it at apply time with TF_VAR_${variableName}; never in code.`,
      });
      variable.overrideLogicalId(variableName);
      return { name, value: variable.stringValue, variable: variableName };
    });
  }
}

function checkTrigger(scope: Construct, trigger: ActionTrigger): ActionTrigger {
  for (const field of ["id", "version"] as const) {
    const value = trigger?.[field];
    if (typeof value !== "string" || !/^[a-z0-9-]{1,64}$/.test(value)) {
      throw new ConstructPropError(
        scope,
        "ERR_ACTION_TRIGGER",
        `trigger.${field}: ${JSON.stringify(value)} is not a trigger ${field}; use e.g. { id: "post-login", version: "v3" }`,
      );
    }
  }
  return { id: trigger.id, version: trigger.version };
}

function checkDependencies(scope: Construct, dependencies: readonly ActionDependency[]): readonly ActionDependency[] {
  if (!isList(dependencies) || dependencies.length > MAX_ACTION_DEPENDENCIES) {
    throw new ConstructPropError(
      scope,
      "ERR_ACTION_DEPENDENCIES",
      `dependencies: ${isList(dependencies) ? `${dependencies.length} packages` : JSON.stringify(dependencies)} is more than Auth0 takes; list at most ${MAX_ACTION_DEPENDENCIES} npm packages`,
    );
  }
  const seen = new Set<string>();
  dependencies.forEach((dep, i) => {
    if (typeof dep?.name !== "string" || !/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(dep.name)) {
      throw new ConstructPropError(
        scope,
        "ERR_ACTION_DEPENDENCIES",
        `dependencies[${i}].name: ${JSON.stringify(dep?.name)} is not an npm package name; use the name as on npm, e.g. "jose"`,
      );
    }
    if (typeof dep.version !== "string" || dep.version.trim() === "" || dep.version.trim() !== dep.version) {
      throw new ConstructPropError(
        scope,
        "ERR_ACTION_DEPENDENCIES",
        `dependencies[${i}].version: ${JSON.stringify(dep.version)} is not a version; pin an exact one, e.g. "6.2.18"`,
      );
    }
    if (seen.has(dep.name))
      throw new ConstructPropError(
        scope,
        "ERR_ACTION_DEPENDENCIES",
        `dependencies[${i}].name: "${dep.name}" is listed twice; list each package once`,
      );
    seen.add(dep.name);
  });
  return [...dependencies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
