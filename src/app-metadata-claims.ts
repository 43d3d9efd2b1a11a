// AppMetadataClaims: the post-login action that copies app_metadata fields into namespaced claims,
// its secret holding the namespace, and its binding to the post-login flow. Compiling the action
// lives in compile-action.ts; this file only checks props and declares resources.
import { Construct } from "constructs";
import { Action } from "../.gen/providers/auth0/action";
import { TriggerAction } from "../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../.gen/providers/auth0/trigger-actions";
import { ClaimNamespace } from "./claim-namespace";
import { ClaimsAction, compileClaimsAction, NAMESPACE_SECRET, TokenKind } from "./claims-action";
import { ACTION_RUNTIME, CompiledAction } from "./compile-action";

export * from "./claims-action";

/** An action bound by other means, kept in the flow in `exclusive` mode. */
export interface OtherBoundAction {
  /** The action's id in Auth0 (Actions > Library, or GET /api/v2/actions/actions). */
  readonly id: string;
  /** Its display name in the flow. */
  readonly displayName: string;
}

/**
 * How the action joins the post-login flow.
 * - `append`: one `auth0_trigger_action`, our action at the end; actions bound by hand are left alone.
 * - `exclusive`: one `auth0_trigger_actions` that owns the whole flow: `before`, ours, `after`, in that
 *   order; any other action bound to post-login is unbound on deploy.
 */
export type Binding =
  | { readonly mode: "append" }
  | { readonly mode: "exclusive"; readonly before?: readonly OtherBoundAction[]; readonly after?: readonly OtherBoundAction[] };

export interface AppMetadataClaimsProps {
  /** app_metadata fields to copy; claim name = namespace + "/" + key. @default ["roles", "permissions"] */
  readonly claimKeys?: readonly string[];
  /** Tokens that carry the claims: "id" (also returned by /userinfo), "access", or both. @default ["id"] */
  readonly tokens?: readonly TokenKind[];
  /** The action's name in Auth0 (unique in the tenant). @default "app-metadata-claims" */
  readonly actionName?: string;
  /** Default of the namespace variable, checked at synth time. @default - none: set it at plan time */
  readonly namespace?: string;
  /** Name of the namespace variable. @default "claim_namespace" */
  readonly namespaceVariable?: string;
  /** How the action is bound to post-login. @default { mode: "append" } */
  readonly binding?: Binding;
  /** Entry file of the action, relative to the project's root. @default "actions/post-login-claims.ts" */
  readonly entry?: string;
  /**
   * Take over an action made by hand (the recipe's) instead of creating one: Terraform import
   * blocks for the action and its post-login binding, so the plan updates both in place.
   * @default - none: a new action is created and bound
   */
  readonly adopt?: Adoption;
}

/** An existing action to bring under management. */
export interface Adoption {
  /** The action's id: Actions > Library > the action, in the URL; or GET /api/v2/actions/actions?actionName=NAME. */
  readonly actionId: string;
}

export const DEFAULT_ACTION_NAME = "app-metadata-claims";

export class AppMetadataClaims extends Construct {
  public readonly actionName: string;
  /** The id of the action this construct imports, if it adopts one. */
  public readonly adopted?: string;
  public readonly claimKeys: readonly string[];
  public readonly tokens: readonly TokenKind[];
  public readonly binding: Binding;
  public readonly namespace: ClaimNamespace;
  public readonly compiled: CompiledAction;
  public readonly action: Action;
  public readonly trigger: TriggerAction | TriggerActions;

  constructor(scope: Construct, id: string, props: AppMetadataClaimsProps = {}) {
    super(scope, id);
    this.binding = checkBinding(props.binding ?? { mode: "append" });
    const actionName = (this.actionName = props.actionName ?? DEFAULT_ACTION_NAME);
    if (actionName.trim() === "" || actionName.trim() !== actionName || actionName.length > 128) {
      throw new Error(`actionName: "${actionName}" is not a usable action name; use 1 to 128 characters without leading or trailing spaces`);
    }
    const logicalId = id.replace(/[^A-Za-z0-9_]/g, "_");

    this.namespace = new ClaimNamespace(this, "namespace", { default: props.namespace, variableName: props.namespaceVariable });
    const action: ClaimsAction = compileClaimsAction({ claimKeys: props.claimKeys, tokens: props.tokens, entry: props.entry });
    this.claimKeys = action.claimKeys;
    this.tokens = action.tokens;
    this.compiled = action.compiled;

    this.action = new Action(this, "action", {
      name: actionName,
      runtime: ACTION_RUNTIME,
      deploy: true,
      supportedTriggers: { id: "post-login", version: "v3" },
      code: this.compiled.terraformCode,
      secrets: [{ name: NAMESPACE_SECRET, value: this.namespace.value }],
    });
    this.action.overrideLogicalId(logicalId);

    if (this.binding.mode === "append") {
      // No display_name: optional+computed in every 1.x release, it defaults to the action's name;
      // only trigger and action_id force a replacement (unbind, rebind), display_name updates in place.
      this.trigger = new TriggerAction(this, "binding", { trigger: "post-login", actionId: this.action.id });
    } else {
      const ours = { id: this.action.id, displayName: actionName };
      this.trigger = new TriggerActions(this, "binding", {
        trigger: "post-login",
        actions: [...(this.binding.before ?? []), ours, ...(this.binding.after ?? [])],
      });
    }
    this.trigger.overrideLogicalId(logicalId);

    if (props.adopt !== undefined) {
      const actionId = props.adopt.actionId;
      if (typeof actionId !== "string" || !/^[\w-]{1,64}$/.test(actionId)) {
        throw new Error(`adopt.actionId: ${JSON.stringify(actionId)} is not an action id; copy it from the action's URL in Actions > Library (e.g. 7f3c9f0e-...)`);
      }
      this.adopted = actionId;
      this.action.importFrom(actionId);
      // The provider's import ids: <trigger>::<action id> for one binding, <trigger> for the whole flow.
      this.trigger.importFrom(this.binding.mode === "append" ? `post-login::${actionId}` : "post-login");
    }
  }
}

function checkBinding(binding: Binding): Binding {
  if (binding.mode === "append") {
    const extra = binding as { before?: unknown; after?: unknown };
    if (extra.before !== undefined || extra.after !== undefined) {
      throw new Error(`binding: "before"/"after" only apply in "exclusive" mode; "append" leaves other bound actions where they are`);
    }
    return binding;
  }
  if (binding.mode !== "exclusive") {
    throw new Error(`binding.mode: ${JSON.stringify((binding as { mode: unknown }).mode)} is not a binding mode; use "append" or "exclusive"`);
  }
  const ids = new Set<string>();
  for (const [list, actions] of [["before", binding.before ?? []], ["after", binding.after ?? []]] as const) {
    actions.forEach((other, i) => {
      if (typeof other?.id !== "string" || other.id.trim() === "") {
        throw new Error(`binding.${list}[${i}].id: ${JSON.stringify(other?.id)} is not an action id; copy it from Actions > Library in the dashboard`);
      }
      if (typeof other.displayName !== "string" || other.displayName.trim() === "") {
        throw new Error(`binding.${list}[${i}].displayName: ${JSON.stringify(other.displayName)} is empty; give the name shown in the flow`);
      }
      if (ids.has(other.id)) throw new Error(`binding.${list}[${i}].id: "${other.id}" is listed twice; bind each action once`);
      ids.add(other.id);
    });
  }
  return binding;
}
