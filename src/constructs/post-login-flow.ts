// PostLoginFlow: the post-login flow as code. An ordered list of actions, managed here or bound by
// hand, bound to the trigger in one of three modes; "unbound" is the first of the two applies that
// retire actions without the provider's 409 (docs/lifecycle.md).
import { isList } from "../lists";
import { Construct } from "constructs";
import { TriggerAction } from "../../.gen/providers/auth0/trigger-action";
import { TriggerActions } from "../../.gen/providers/auth0/trigger-actions";
import { MAX_FLOW_ACTIONS, POST_LOGIN } from "../auth0/facts";
import { resourceNameOf } from "../compile/action-source";
import { ConstructPropError } from "./construct-error";
import { TypeScriptAction } from "./typescript-action";

/** An action bound by other means (the dashboard, another tool), kept in the flow in `exclusive` mode. */
export interface HandBoundAction {
  /** The action's id in Auth0 (Actions > Library, or GET /api/v2/actions/actions). */
  readonly id: string;
  /** Its display name in the flow. */
  readonly displayName: string;
}

/** An action managed here: a TypeScriptAction, or a construct built on one (AppMetadataClaims). */
export interface ManagedFlowAction {
  readonly typeScriptAction: TypeScriptAction;
}

export type FlowAction = TypeScriptAction | ManagedFlowAction | HandBoundAction;

/**
 * How the flow is bound.
 * - `append`: one auth0_trigger_action per managed action, added at the end of the flow (in list order
 *   when created together); actions bound by hand stay where they are and can't be listed.
 * - `exclusive`: one auth0_trigger_actions that owns the whole flow in list order; any other action
 *   bound to the trigger is unbound on deploy.
 * - `unbound`: no binding at all; the actions stay. Apply it before removing the actions (no 409).
 */
export type FlowMode = "append" | "exclusive" | "unbound";

export interface PostLoginFlowProps {
  /** The actions of the flow, in the order they run. */
  readonly actions: readonly FlowAction[];
  /** How the flow is bound to the trigger. @default "append" */
  readonly mode?: FlowMode;
  /** The trigger whose flow this is. @default "post-login" */
  readonly trigger?: string;
}

/** One step of the flow as declared: managed (with its construct) or bound by hand. */
export type FlowEntry =
  | { readonly kind: "managed"; readonly action: TypeScriptAction; readonly displayName: string }
  | { readonly kind: "hand"; readonly id: string; readonly displayName: string };

const MODES: readonly FlowMode[] = ["append", "exclusive", "unbound"];

export class PostLoginFlow extends Construct {
  public readonly mode: FlowMode;
  public readonly trigger: string;
  /** The flow in order, as declared. */
  public readonly entries: readonly FlowEntry[];
  /** The binding resources: one per managed action (append), one for the flow (exclusive), none (unbound). */
  public readonly bindings: readonly (TriggerAction | TriggerActions)[];

  constructor(scope: Construct, id: string, props: PostLoginFlowProps) {
    super(scope, id);
    this.mode = props?.mode ?? "append";
    if (!MODES.includes(this.mode)) {
      throw new ConstructPropError(
        this,
        "ERR_FLOW_MODE",
        `mode: ${JSON.stringify(this.mode)} is not a binding mode; use "append", "exclusive" or "unbound"`,
      );
    }
    this.trigger = props.trigger ?? POST_LOGIN.id;
    this.entries = this.checkActions(props.actions);
    for (const entry of this.entries) if (entry.kind === "managed") flows.set(entry.action, this);

    const managed = this.entries.filter((e) => e.kind === "managed").map((e) => e.action);
    if (this.mode === "append") {
      let previous: TriggerAction | undefined;
      this.bindings = managed.map((action) => {
        // No display_name: Auth0 shows the action's name anyway.
        // Append adds at the end of the flow: created one after another, they land in list order.
        const binding = new TriggerAction(this, action.resourceName, {
          trigger: this.trigger,
          actionId: action.actionId,
          ...(previous !== undefined ? { dependsOn: [previous] } : {}),
        });
        binding.overrideLogicalId(action.resourceName);
        if (action.adopted !== undefined) binding.importFrom(`${this.trigger}::${action.adopted}`);
        previous = binding;
        return binding;
      });
    } else if (this.mode === "exclusive") {
      const binding = new TriggerActions(this, "binding", {
        trigger: this.trigger,
        actions: this.entries.map((e) => ({
          id: e.kind === "managed" ? e.action.actionId : e.id,
          displayName: e.displayName,
        })),
      });
      binding.overrideLogicalId(resourceNameOf(this.trigger));
      // The provider's import id for a whole flow is the trigger's id.
      if (managed.some((a) => a.adopted !== undefined)) binding.importFrom(this.trigger);
      this.bindings = [binding];
    } else {
      this.bindings = [];
    }
  }

  /** The flow that binds `action`, if any. */
  static of(action: TypeScriptAction): PostLoginFlow | undefined {
    return flows.get(action);
  }

  private checkActions(actions: readonly FlowAction[]): FlowEntry[] {
    if (!isList(actions) || actions.length === 0) {
      throw new ConstructPropError(
        this,
        "ERR_FLOW_ACTIONS",
        `actions: ${JSON.stringify(actions)} holds no action; list the flow's actions in the order they run`,
      );
    }
    if (actions.length > MAX_FLOW_ACTIONS) {
      throw new ConstructPropError(
        this,
        "ERR_FLOW_ACTIONS",
        `actions: ${actions.length} actions; Auth0 binds at most ${MAX_FLOW_ACTIONS} to one flow`,
      );
    }
    const seen = new Set<unknown>();
    return actions.map((action, i): FlowEntry => {
      const managed = managedAction(action);
      const entry: FlowEntry = managed
        ? { kind: "managed", action: managed, displayName: managed.actionName }
        : this.handBound(action as HandBoundAction, i);
      if (entry.kind === "hand" && this.mode === "append") {
        throw new ConstructPropError(
          this,
          "ERR_HAND_BOUND",
          `actions[${i}]: "${entry.displayName}" is bound by hand; "append" leaves actions bound by hand where they are: drop it from the list, or use mode "exclusive" to own the whole flow`,
        );
      }
      if (entry.kind === "managed" && managed?.trigger.id !== this.trigger) {
        throw new ConstructPropError(
          this,
          "ERR_FLOW_ACTIONS",
          `actions[${i}]: "${entry.displayName}" is written for trigger ${managed?.trigger.id}, not ${this.trigger}; bind it in that trigger's flow`,
        );
      }
      const key = entry.kind === "managed" ? entry.action : entry.id;
      if (seen.has(key))
        throw new ConstructPropError(
          this,
          "ERR_FLOW_ACTIONS",
          `actions[${i}]: "${entry.displayName}" is listed twice; bind each action once`,
        );
      seen.add(key);
      return entry;
    });
  }

  private handBound(other: HandBoundAction, i: number): FlowEntry {
    if (typeof other?.id !== "string" || other.id.trim() === "") {
      throw new ConstructPropError(
        this,
        "ERR_HAND_BOUND",
        `actions[${i}].id: ${JSON.stringify(other?.id)} is not an action id; copy it from Actions > Library in the dashboard`,
      );
    }
    if (typeof other.displayName !== "string" || other.displayName.trim() === "") {
      throw new ConstructPropError(
        this,
        "ERR_HAND_BOUND",
        `actions[${i}].displayName: ${JSON.stringify(other.displayName)} is empty; give the name shown in the flow`,
      );
    }
    return { kind: "hand", id: other.id, displayName: other.displayName };
  }
}

const flows = new WeakMap<TypeScriptAction, PostLoginFlow>();

function managedAction(action: FlowAction): TypeScriptAction | undefined {
  if (action !== null && typeof action === "object" && "typeScriptAction" in action) return action.typeScriptAction;
  if (action instanceof TypeScriptAction) return action;
  return undefined;
}
