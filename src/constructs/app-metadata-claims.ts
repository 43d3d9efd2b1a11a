// AppMetadataClaims: the claims action as a thin layer on TypeScriptAction. It adds only what is
// specific to claims: the namespace variable (given to the action as a secret), the claim keys and
// the tokens. Compiling, secrets and adoption are TypeScriptAction's; binding is PostLoginFlow's.
import { isList } from "../lists";
import { Construct } from "constructs";
import type { Action } from "../../.gen/providers/auth0/action";
import type { TokenKind } from "../auth0/facts";
import { ClaimNamespace } from "./claim-namespace";
import { resourceNameOf } from "../compile/action-source";
import { compileClaimsAction, DEFAULT_ACTION_NAME, DEFAULT_ENTRY, NAMESPACE_SECRET } from "../compile/claims-action";
import type { CompiledAction } from "../compile/compile-action";
import { atPath, ConstructPropError } from "./construct-error";
import { type HandBoundAction, type ManagedFlowAction, PostLoginFlow } from "./post-login-flow";
import { type ActionSecret, type Adoption, TypeScriptAction } from "./typescript-action";

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
  /** Entry file of the action, relative to the project's root. @default "actions/post-login-claims.ts" */
  readonly entry?: string;
  /** Secrets besides CLAIM_NAMESPACE: an adopted hand-made action must list all of its own. @default [] */
  readonly secrets?: readonly ActionSecret[];
  /** Take over an action made by hand instead of creating one (Terraform import blocks). @default - none: a new action is created */
  readonly adopt?: Adoption;
}

/**
 * How the action sits in its flow, seen from the claims construct alone (the contract and summary
 * read the whole flow, src/review/flow-view.ts): `before`/`after` are the flow's other actions, by
 * display name (managed ones have no id until applied).
 */
export type Binding =
  | { readonly mode: "append" }
  | {
      readonly mode: "exclusive";
      readonly before?: readonly HandBoundAction[];
      readonly after?: readonly HandBoundAction[];
    }
  | { readonly mode: "unbound"; readonly before?: undefined; readonly after?: undefined };

export class AppMetadataClaims extends Construct implements ManagedFlowAction {
  public readonly actionName: string;
  /** The id of the action this construct imports, if it adopts one. */
  public readonly adopted?: string;
  public readonly claimKeys: readonly string[];
  public readonly tokens: readonly TokenKind[];
  public readonly namespace: ClaimNamespace;
  public readonly compiled: CompiledAction;
  /** The general action this one is built on: put it (or this construct) in a PostLoginFlow. */
  public readonly typeScriptAction: TypeScriptAction;
  /** The auth0_action resource. */
  public readonly action: Action;

  constructor(scope: Construct, id: string, props: AppMetadataClaimsProps = {}) {
    super(scope, id);
    const claims = atPath(this, () =>
      compileClaimsAction({ claimKeys: props.claimKeys, tokens: props.tokens, entry: props.entry ?? DEFAULT_ENTRY }),
    );
    this.claimKeys = claims.claimKeys;
    this.tokens = claims.tokens;
    this.namespace = atPath(
      this,
      () => new ClaimNamespace(this, "namespace", { default: props.namespace, variableName: props.namespaceVariable }),
    );
    const secrets = props.secrets ?? [];
    if (isList(secrets) && secrets.some((s) => s?.name === NAMESPACE_SECRET)) {
      throw new ConstructPropError(
        this,
        "ERR_ACTION_SECRETS",
        `secrets: "${NAMESPACE_SECRET}" is this construct's own secret (the namespace variable); list only the action's other secrets`,
      );
    }
    // The resources keep the construct's id as their name (auth0_action.<id>), for readable, stable plans.
    this.typeScriptAction = new TypeScriptAction(this, "action", {
      resourceName: resourceNameOf(id),
      entry: claims.source.entry,
      constants: claims.source.constants,
      actionName: props.actionName ?? DEFAULT_ACTION_NAME,
      secrets: [{ name: NAMESPACE_SECRET, value: this.namespace.value }, ...secrets],
      adopt: props.adopt,
    });
    this.actionName = this.typeScriptAction.actionName;
    this.adopted = this.typeScriptAction.adopted;
    this.compiled = this.typeScriptAction.compiled;
    this.action = this.typeScriptAction.action;
    // A managed action in no flow would be deployed and never run: most likely a binding lost in a refactor.
    this.node.addValidation({
      validate: () =>
        PostLoginFlow.of(this.typeScriptAction) === undefined
          ? [
              `${this.node.path}: is in no PostLoginFlow, so it would be deployed but never run; add it to a PostLoginFlow's actions (mode "unbound" keeps it deployed without a binding)`,
            ]
          : [],
    });
  }

  /** How the action is bound, from the flow it is in. */
  public get binding(): Binding {
    const flow = PostLoginFlow.of(this.typeScriptAction);
    if (flow === undefined || flow.mode === "unbound") return { mode: "unbound" };
    if (flow.mode === "append") return { mode: "append" };
    const at = flow.entries.findIndex((e) => e.kind === "managed" && e.action === this.typeScriptAction);
    const view = (e: (typeof flow.entries)[number]): HandBoundAction => ({
      id: e.kind === "hand" ? e.id : e.action.actionId,
      displayName: e.displayName,
    });
    return {
      mode: "exclusive",
      before: flow.entries.slice(0, at).map(view),
      after: flow.entries.slice(at + 1).map(view),
    };
  }
}
