// The local tenant's Actions as Auth0's Actions service keeps them: each action's draft and its
// numbered, immutable versions; builds, deploys and roll backs; each trigger's ordered bindings; the
// limits. No HTTP here (actions-api.ts answers for it). Logins read what is deployed and bound
// through boundFlow, and hear of every change to it through onChange.
import { randomUUID } from "node:crypto";
import { compileFunction } from "node:vm";
import {
  ACTION_RUNTIME,
  MAX_ACTION_CODE_BYTES,
  MAX_ACTION_DEPENDENCIES,
  MAX_ACTION_SECRETS,
  MAX_ACTION_VERSIONS,
  MAX_FLOW_ACTIONS,
  MAX_SECRET_NAME_CHARS,
  MAX_SECRET_VALUE_CHARS,
  MAX_TENANT_ACTIONS,
} from "../auth0/facts";
import { escapeControl, quote } from "../errors";

/** A trigger an action supports: `{ id: "post-login", version: "v3" }`. */
export interface ActionTriggerRef {
  readonly id: string;
  readonly version: string;
}

export interface ActionDependency {
  readonly name: string;
  readonly version: string;
  /** A private registry's URL, as Auth0 takes it. @default - the npm registry */
  readonly registryUrl?: string;
}

export interface SecretInput {
  readonly name: string;
  readonly value: string;
}

/** What an action is made of: what `POST /api/v2/actions/actions` takes. */
export interface ActionInput {
  readonly name: string;
  /** Exactly one trigger, as Auth0 takes one per action. */
  readonly supportedTriggers: readonly ActionTriggerRef[];
  /** @default "" */
  readonly code?: string;
  /** @default "node22" */
  readonly runtime?: string;
  /** @default [] */
  readonly dependencies?: readonly ActionDependency[];
  /** @default [] */
  readonly secrets?: readonly SecretInput[];
}

/**
 * A change to an action (PATCH): fields left out are kept. `secrets`, when given, replaces the set:
 * names not in it are deleted, and every secret in it gets a new `updatedAt`.
 */
export interface ActionChanges {
  readonly name?: string;
  readonly supportedTriggers?: readonly ActionTriggerRef[];
  readonly code?: string;
  readonly runtime?: string;
  readonly dependencies?: readonly ActionDependency[];
  readonly secrets?: readonly SecretInput[];
}

/** A secret as the API shows it: its name and when its value was last set, never the value. */
export interface SecretView {
  readonly name: string;
  readonly updatedAt: string;
}

/** Why a build failed, as Auth0 lists it on a version: `{ id, msg, url }`. */
export interface BuildError {
  readonly id: string;
  readonly msg: string;
  readonly url?: string;
}

/** Where a draft's build ended. The build runs when the draft is written, so it is never still pending. */
export type BuildStatus = "built" | "failed";

interface ContentView {
  readonly code: string;
  readonly runtime: string;
  readonly dependencies: readonly ActionDependency[];
  readonly secrets: readonly SecretView[];
  readonly supportedTriggers: readonly ActionTriggerRef[];
}

/** A deployed (immutable) version. `deployed` is whether it is the one that runs now. */
export interface VersionView extends ContentView {
  readonly id: string;
  readonly actionId: string;
  readonly number: number;
  readonly status: "built";
  readonly deployed: boolean;
  readonly createdAt: string;
  readonly builtAt: string;
}

/** The draft: what the next deploy makes a version of, with its build's outcome. */
export interface DraftView extends ContentView {
  readonly actionId: string;
  readonly status: BuildStatus;
  /** Empty unless the build failed. */
  readonly errors: readonly BuildError[];
  readonly updatedAt: string;
}

/** An action: its name, its draft's content and build status, and the version deployed, if any. */
export interface ActionView extends ContentView {
  readonly id: string;
  readonly name: string;
  readonly status: BuildStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deployedVersion?: VersionView;
  /** Whether the draft is what is deployed: true after a deploy, false after any change. */
  readonly allChangesDeployed: boolean;
}

export interface BindingView {
  readonly id: string;
  readonly triggerId: string;
  readonly displayName: string;
  readonly createdAt: string;
  readonly action: ActionView;
}

/** One entry of a trigger's new binding list: which action (by id or name, or an existing binding's), and its display name. */
export interface BindingInput {
  readonly ref: { readonly type: "action_id" | "action_name" | "binding_id"; readonly value: string };
  /** @default the action's name */
  readonly displayName?: string;
}

export interface TriggerView {
  readonly id: string;
  readonly version: string;
  readonly status: "CURRENT";
  readonly runtimes: readonly string[];
  readonly defaultRuntime: string;
  readonly compatibleTriggers: readonly ActionTriggerRef[];
  readonly bindingPolicy: "trigger-bound";
}

/** An action bound to a trigger, as its deployed version: what a login of that trigger runs. */
export interface DeployedAction {
  readonly id: string;
  readonly name: string;
  readonly versionId: string;
  readonly number: number;
  readonly code: string;
  readonly runtime: string;
  readonly dependencies: readonly { readonly name: string; readonly version: string }[];
  /** Secret name -> value, as deployed with this version. */
  readonly secrets: Readonly<Record<string, string>>;
}

export interface ActionFilter {
  /** Exact name. */
  readonly actionName?: string;
  /** Actions that support this trigger. */
  readonly triggerId?: string;
  /** true: only actions with a deployed version; false: only those without. */
  readonly deployed?: boolean;
  /** true: only installed (Marketplace) actions, of which the local tenant has none; false: only custom ones. */
  readonly installed?: boolean;
}

/** What the store refuses: a missing thing, a conflict with what it holds, or an invalid request. */
export class ActionsError extends Error {
  constructor(
    readonly reason: "not-found" | "conflict" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

/** Runtimes of every trigger the tenant serves: Auth0's names for Node 18 and Node 22. */
const RUNTIMES: readonly string[] = ["node18-actions", ACTION_RUNTIME];

/** The triggers the local tenant serves, at their current versions (only post-login runs at a login). */
const TRIGGERS: readonly TriggerView[] = (
  [
    ["post-login", "v3"],
    ["credentials-exchange", "v2"],
    ["pre-user-registration", "v2"],
    ["post-user-registration", "v2"],
    ["post-change-password", "v2"],
    ["send-phone-message", "v2"],
    ["password-reset-post-challenge", "v1"],
    ["custom-email-provider", "v1"],
    ["custom-phone-provider", "v1"],
  ] as const
).map(([id, version]) => ({
  id,
  version,
  status: "CURRENT",
  runtimes: RUNTIMES,
  defaultRuntime: ACTION_RUNTIME,
  compatibleTriggers: [],
  bindingPolicy: "trigger-bound",
}));

const LIMITS_URL = "https://auth0.com/docs/customize/actions/limitations";

/** The code's parameters when it runs: a CommonJS module, as the runtime loads it. */
const MODULE_PARAMETERS = ["exports", "require", "module", "__filename", "__dirname"];

interface Secret {
  readonly name: string;
  readonly value: string;
  readonly updatedAt: string;
}

interface Content {
  readonly code: string;
  readonly runtime: string;
  readonly dependencies: readonly ActionDependency[];
  readonly secrets: readonly Secret[];
  readonly supportedTriggers: readonly ActionTriggerRef[];
}

interface Draft extends Content {
  readonly status: BuildStatus;
  readonly errors: readonly BuildError[];
  readonly updatedAt: string;
}

interface Version extends Content {
  readonly id: string;
  readonly number: number;
  readonly createdAt: string;
  readonly builtAt: string;
}

interface Action {
  readonly id: string;
  name: string;
  readonly createdAt: string;
  updatedAt: string;
  draft: Draft;
  /** Oldest first; numbers 1, 2, ... */
  readonly versions: Version[];
  deployed?: Version;
  allChangesDeployed: boolean;
}

interface Binding {
  readonly id: string;
  readonly actionId: string;
  readonly displayName: string;
  readonly createdAt: string;
}

export class ActionsStore {
  /** In creation order, which is the order of the list. */
  private readonly actions = new Map<string, Action>();
  /** Trigger id -> its bindings in execution order. */
  private readonly bindings = new Map<string, Binding[]>();
  private readonly listeners = new Set<(triggerId: string) => void>();
  private readonly clock = new NanoClock();

  /** The triggers the tenant serves. */
  triggers(): TriggerView[] {
    return TRIGGERS.map((t) => ({ ...t }));
  }

  list(filter: ActionFilter = {}): ActionView[] {
    if (filter.triggerId !== undefined) this.trigger(filter.triggerId);
    if (filter.installed === true) return [];
    return [...this.actions.values()]
      .filter((a) => filter.actionName === undefined || a.name === filter.actionName)
      .filter((a) => filter.triggerId === undefined || a.draft.supportedTriggers.some((t) => t.id === filter.triggerId))
      .filter((a) => filter.deployed === undefined || (a.deployed !== undefined) === filter.deployed)
      .map((a) => this.view(a));
  }

  get(id: string): ActionView {
    return this.view(this.action(id));
  }

  /** A new action; its draft is built at once (built, or failed with the reason on the draft). */
  create(input: ActionInput): ActionView {
    if (this.actions.size >= MAX_TENANT_ACTIONS) {
      throw new ActionsError(
        "invalid",
        `Action limit reached: a tenant holds at most ${MAX_TENANT_ACTIONS} actions (Auth0's entity limit); delete an action before creating another`,
      );
    }
    const name = this.checkName(input.name, undefined);
    const triggers = checkTriggers(input.supportedTriggers);
    const runtime = checkRuntime(input.runtime ?? ACTION_RUNTIME);
    const dependencies = checkDependencies(input.dependencies ?? []);
    const sent = checkSecrets(input.secrets ?? []);
    const code = input.code ?? "";

    const createdAt = this.clock.now();
    const updatedAt = this.clock.now();
    const secrets = sent.map((s) => ({ name: s.name, value: s.value, updatedAt }));
    const action: Action = {
      id: randomUUID(),
      name,
      createdAt,
      updatedAt,
      draft: { code, runtime, dependencies, secrets, supportedTriggers: triggers, updatedAt, ...build(code) },
      versions: [],
      allChangesDeployed: false,
    };
    this.actions.set(action.id, action);
    return this.view(action);
  }

  /** Changes the draft (and the name); every field is checked before any is changed. What runs changes only at a deploy. */
  update(id: string, changes: ActionChanges): ActionView {
    const action = this.action(id);
    const name = changes.name === undefined ? action.name : this.checkName(changes.name, id);
    const triggers =
      changes.supportedTriggers === undefined
        ? action.draft.supportedTriggers
        : checkTriggers(changes.supportedTriggers);
    this.checkBindable(action, triggers);
    const runtime = changes.runtime === undefined ? action.draft.runtime : checkRuntime(changes.runtime);
    const dependencies =
      changes.dependencies === undefined ? action.draft.dependencies : checkDependencies(changes.dependencies);
    const sent = changes.secrets === undefined ? undefined : checkSecrets(changes.secrets);
    const code = changes.code ?? action.draft.code;

    const updatedAt = this.clock.now();
    const secrets = sent === undefined ? action.draft.secrets : replaceSecrets(action.draft.secrets, sent, updatedAt);
    action.name = name;
    action.updatedAt = updatedAt;
    action.draft = { code, runtime, dependencies, secrets, supportedTriggers: triggers, updatedAt, ...build(code) };
    action.allChangesDeployed = false;
    return this.view(action);
  }

  /** Deletes an action and its versions. A bound action is refused (409) unless `force`, which unbinds it first. */
  remove(id: string, options: { readonly force?: boolean } = {}): void {
    const action = this.action(id);
    const bound = this.triggersBinding(action.id);
    if (bound.length > 0 && !options.force)
      throw new ActionsError("conflict", "Unable to delete an action bound to a trigger.");
    for (const triggerId of bound) {
      this.bindings.set(
        triggerId,
        this.bindingList(triggerId).filter((b) => b.actionId !== action.id),
      );
    }
    this.actions.delete(action.id);
    this.notify(bound);
  }

  /** Makes the built draft the next numbered version and deploys it; a bound action runs it from now on. */
  deploy(id: string): VersionView {
    const action = this.action(id);
    if (action.draft.status !== "built")
      throw new ActionsError("invalid", "A draft must be in the 'built' state before it can be deployed.");
    this.checkVersionRoom(action);
    this.checkBindable(action, action.draft.supportedTriggers);
    const { code, runtime, dependencies, secrets, supportedTriggers } = action.draft;
    const version = this.addVersion(action, { code, runtime, dependencies, secrets, supportedTriggers });
    action.allChangesDeployed = true;
    this.notify(this.triggersBinding(action.id));
    return this.versionView(action, version);
  }

  /**
   * Auth0's roll back: a new version, identical to `versionId`, is deployed. With `updateDraft`
   * the draft becomes that version's content too.
   */
  rollback(id: string, versionId: string, options: { readonly updateDraft?: boolean } = {}): VersionView {
    const action = this.action(id);
    const old = this.findVersion(action, versionId);
    this.checkVersionRoom(action);
    this.checkBindable(action, old.supportedTriggers);
    const { code, runtime, dependencies, secrets, supportedTriggers } = old;
    const version = this.addVersion(action, { code, runtime, dependencies, secrets, supportedTriggers });
    if (options.updateDraft) {
      action.updatedAt = this.clock.now();
      action.draft = {
        code,
        runtime,
        dependencies,
        secrets,
        supportedTriggers,
        updatedAt: action.updatedAt,
        status: "built",
        errors: [],
      };
    }
    action.allChangesDeployed = options.updateDraft === true;
    this.notify(this.triggersBinding(action.id));
    return this.versionView(action, version);
  }

  /** The action's versions, newest first. */
  versions(id: string): VersionView[] {
    const action = this.action(id);
    return [...action.versions].reverse().map((v) => this.versionView(action, v));
  }

  version(id: string, versionId: string): VersionView {
    const action = this.action(id);
    return this.versionView(action, this.findVersion(action, versionId));
  }

  /** The draft, with its build's outcome: where a failed build says why. */
  draft(id: string): DraftView {
    const action = this.action(id);
    const { code, runtime, dependencies, secrets, supportedTriggers, status, errors, updatedAt } = action.draft;
    return {
      actionId: action.id,
      code,
      runtime,
      dependencies: dependencies.map(copyDependency),
      secrets: secrets.map(secretView),
      supportedTriggers: supportedTriggers.map(copyTrigger),
      status,
      errors: [...errors],
      updatedAt,
    };
  }

  /** A trigger's bindings, in execution order. */
  bindingsOf(triggerId: string): BindingView[] {
    this.trigger(triggerId);
    return this.bindingList(triggerId).map((b) => this.bindingView(triggerId, b));
  }

  /**
   * Replaces a trigger's bindings with `inputs`, in that order; every binding gets a new id, as
   * Auth0's do. Each action must exist, be deployed and support the trigger; nothing changes otherwise.
   */
  setBindings(triggerId: string, inputs: readonly BindingInput[]): BindingView[] {
    this.trigger(triggerId);
    if (inputs.length > MAX_FLOW_ACTIONS) {
      throw new ActionsError(
        "invalid",
        `Binding limit reached: a trigger runs at most ${MAX_FLOW_ACTIONS} actions (Auth0's limit) and this request binds ${inputs.length} to ${quote(triggerId)}; remove ${inputs.length - MAX_FLOW_ACTIONS}`,
      );
    }
    const current = this.bindingList(triggerId);
    const resolved = inputs.map((input, index) => {
      const action = this.bindingTarget(triggerId, current, input, index);
      if (!action.deployed)
        throw new ActionsError("invalid", "Trying to create a binding for an action that has not been deployed yet.");
      if (!action.deployed.supportedTriggers.some((t) => t.id === triggerId))
        throw new ActionsError("invalid", "Trying to create a binding between an incompatible action and trigger.");
      return { action, displayName: input.displayName ?? action.name };
    });
    const seen = new Set<string>();
    for (const { action } of resolved) {
      if (seen.has(action.id))
        throw new ActionsError(
          "invalid",
          `Action ${quote(action.name)} is bound twice in this request; bind each action once (the local tenant's rule)`,
        );
      seen.add(action.id);
    }
    const bindings = resolved.map(({ action, displayName }) => ({
      id: randomUUID(),
      actionId: action.id,
      displayName,
      createdAt: this.clock.now(),
    }));
    this.bindings.set(triggerId, bindings);
    this.notify([triggerId]);
    return bindings.map((b) => this.bindingView(triggerId, b));
  }

  /** The actions a login of `triggerId` runs, in order, each as its deployed version. A draft never shows here. */
  boundFlow(triggerId: string): DeployedAction[] {
    return this.bindingList(triggerId).map((binding) => {
      const action = this.actions.get(binding.actionId)!;
      const version = action.deployed!;
      return {
        id: action.id,
        name: action.name,
        versionId: version.id,
        number: version.number,
        code: version.code,
        runtime: version.runtime,
        dependencies: version.dependencies.map((d) => ({ name: d.name, version: d.version })),
        secrets: Object.fromEntries(version.secrets.map((s) => [s.name, s.value])),
      };
    });
  }

  /**
   * Calls `listener` with a trigger's id after anything changes what its logins run: a deploy or
   * roll back of an action bound to it, a new binding list, a forced delete. Returns the unsubscribe.
   * A listener that throws is reported on stderr; the change stands.
   */
  onChange(listener: (triggerId: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private action(id: string): Action {
    const action = this.actions.get(id);
    if (!action) throw new ActionsError("not-found", "That action does not exist.");
    return action;
  }

  private trigger(id: string): TriggerView {
    const trigger = TRIGGERS.find((t) => t.id === id);
    if (!trigger)
      throw new ActionsError(
        "invalid",
        `Trigger ${quote(id)} is not one the local tenant serves; it serves ${TRIGGERS.map((t) => t.id).join(", ")}`,
      );
    return trigger;
  }

  private checkName(name: string, id: string | undefined): string {
    if (name === "") throw new ActionsError("invalid", "An action needs a name: name is empty");
    const other = [...this.actions.values()].find((a) => a.name === name && a.id !== id);
    if (other)
      throw new ActionsError(
        "conflict",
        `An action named ${quote(name)} already exists; give this one another name (names are unique on the local tenant)`,
      );
    return name;
  }

  /** The triggers an action is bound to must stay among the ones it supports (Auth0 answers this text). */
  private checkBindable(action: Action, triggers: readonly ActionTriggerRef[]): void {
    if (this.triggersBinding(action.id).some((bound) => !triggers.some((t) => t.id === bound)))
      throw new ActionsError("invalid", "can't upgrade to this trigger.");
  }

  private checkVersionRoom(action: Action): void {
    if (action.versions.length >= MAX_ACTION_VERSIONS) {
      throw new ActionsError(
        "invalid",
        `Version limit reached: action ${quote(action.name)} has ${action.versions.length} versions, Auth0's limit for one action; delete the action (unbind it first) and create it again, or restart the local tenant`,
      );
    }
  }

  private addVersion(action: Action, content: Content): Version {
    const createdAt = this.clock.now();
    const version: Version = {
      ...content,
      id: randomUUID(),
      number: action.versions.length + 1,
      createdAt,
      builtAt: this.clock.now(),
    };
    action.versions.push(version);
    action.deployed = version;
    return version;
  }

  private findVersion(action: Action, versionId: string): Version {
    const version = action.versions.find((v) => v.id === versionId);
    if (!version) throw new ActionsError("not-found", "That action version does not exist.");
    return version;
  }

  private bindingTarget(triggerId: string, current: readonly Binding[], input: BindingInput, index: number): Action {
    const { type, value } = input.ref;
    const found =
      type === "action_id"
        ? this.actions.get(value)
        : type === "action_name"
          ? [...this.actions.values()].find((a) => a.name === value)
          : this.actions.get(current.find((b) => b.id === value)?.actionId ?? "");
    if (!found) {
      const what =
        type === "binding_id"
          ? `no binding of ${quote(triggerId)} has the id ${quote(value)}`
          : `no action has the ${type === "action_id" ? "id" : "name"} ${quote(value)}`;
      throw new ActionsError(
        "invalid",
        `Trying to create a binding for an action that does not exist: bindings[${index}].ref: ${what}`,
      );
    }
    return found;
  }

  private bindingList(triggerId: string): readonly Binding[] {
    return this.bindings.get(triggerId) ?? [];
  }

  private triggersBinding(actionId: string): string[] {
    return [...this.bindings]
      .filter(([, list]) => list.some((b) => b.actionId === actionId))
      .map(([triggerId]) => triggerId);
  }

  private notify(triggerIds: readonly string[]): void {
    for (const triggerId of triggerIds) {
      for (const listener of this.listeners) {
        try {
          listener(triggerId);
        } catch (err) {
          console.error(
            `local tenant: a listener of ${quote(triggerId)}'s flow failed: ${escapeControl(err instanceof Error ? err.message : String(err))}`,
          );
        }
      }
    }
  }

  private view(action: Action): ActionView {
    const { code, runtime, dependencies, secrets, supportedTriggers, status } = action.draft;
    return {
      id: action.id,
      name: action.name,
      code,
      runtime,
      dependencies: dependencies.map(copyDependency),
      secrets: secrets.map(secretView),
      supportedTriggers: supportedTriggers.map(copyTrigger),
      status,
      createdAt: action.createdAt,
      updatedAt: action.updatedAt,
      deployedVersion: action.deployed && this.versionView(action, action.deployed),
      allChangesDeployed: action.allChangesDeployed,
    };
  }

  private versionView(action: Action, version: Version): VersionView {
    return {
      id: version.id,
      actionId: action.id,
      number: version.number,
      code: version.code,
      runtime: version.runtime,
      dependencies: version.dependencies.map(copyDependency),
      secrets: version.secrets.map(secretView),
      supportedTriggers: version.supportedTriggers.map(copyTrigger),
      status: "built",
      deployed: action.deployed === version,
      createdAt: version.createdAt,
      builtAt: version.builtAt,
    };
  }

  private bindingView(triggerId: string, binding: Binding): BindingView {
    return {
      id: binding.id,
      triggerId,
      displayName: binding.displayName,
      createdAt: binding.createdAt,
      action: this.view(this.actions.get(binding.actionId)!),
    };
  }
}

/**
 * The build, at once: code over Auth0's size limit, or that does not compile as the CommonJS
 * module the runtime loads, fails with the reason. Compiled only, never run. Dependencies are not
 * installed (the tenant has no registry), so they never fail a build here.
 */
function build(code: string): { status: BuildStatus; errors: BuildError[] } {
  const bytes = Buffer.byteLength(code, "utf8");
  if (bytes > MAX_ACTION_CODE_BYTES) {
    return {
      status: "failed",
      errors: [
        {
          id: "code_too_large",
          msg: `The code is ${bytes} bytes; Auth0 builds at most ${MAX_ACTION_CODE_BYTES} bytes of action code (npm modules excluded): move data out of the code`,
          url: LIMITS_URL,
        },
      ],
    };
  }
  try {
    compileFunction(code, MODULE_PARAMETERS, { filename: "action.js" });
  } catch (err) {
    const line = /^action\.js:(\d+)/.exec(String((err as Error).stack))?.[1];
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      status: "failed",
      errors: [{ id: "code_compile_error", msg: `${escapeControl(what)}${line ? ` (line ${line})` : ""}` }],
    };
  }
  return { status: "built", errors: [] };
}

function checkTriggers(triggers: readonly ActionTriggerRef[]): ActionTriggerRef[] {
  if (triggers.length !== 1)
    throw new ActionsError(
      "invalid",
      `supported_triggers lists ${triggers.length} triggers; an action supports exactly one`,
    );
  const [{ id, version }] = triggers;
  const known = TRIGGERS.find((t) => t.id === id);
  if (!known)
    throw new ActionsError(
      "invalid",
      `supported_triggers[0].id: ${quote(id)} is not a trigger the local tenant serves; it serves ${TRIGGERS.map((t) => t.id).join(", ")}`,
    );
  if (version !== known.version)
    throw new ActionsError(
      "invalid",
      `supported_triggers[0].version: ${quote(version)} is not a version of ${id} the local tenant serves; use ${known.version}`,
    );
  return [{ id, version }];
}

function checkRuntime(runtime: string): string {
  if (!RUNTIMES.includes(runtime))
    throw new ActionsError("invalid", `runtime is not supported: ${quote(runtime)}; use ${RUNTIMES.join(" or ")}`);
  return runtime;
}

function checkDependencies(dependencies: readonly ActionDependency[]): ActionDependency[] {
  if (dependencies.length > MAX_ACTION_DEPENDENCIES) {
    throw new ActionsError(
      "invalid",
      `Too many dependencies: an action has at most ${MAX_ACTION_DEPENDENCIES} npm modules (Auth0's limit) and this request lists ${dependencies.length}`,
    );
  }
  const names = new Set<string>();
  return dependencies.map((d, index) => {
    if (d.name === "" || d.version === "")
      throw new ActionsError(
        "invalid",
        `dependencies[${index}]: a dependency needs a name and a version, e.g. {"name":"lodash","version":"4.17.21"}`,
      );
    if (names.has(d.name))
      throw new ActionsError(
        "invalid",
        `dependencies[${index}]: ${quote(d.name)} is listed twice; list each module once`,
      );
    names.add(d.name);
    return copyDependency(d);
  });
}

function checkSecrets(secrets: readonly SecretInput[]): SecretInput[] {
  if (secrets.length > MAX_ACTION_SECRETS) {
    throw new ActionsError(
      "invalid",
      `Too many secrets: an action has at most ${MAX_ACTION_SECRETS} (Auth0's limit) and this request sends ${secrets.length}`,
    );
  }
  const names = new Set<string>();
  // Messages name a secret, never its value.
  return secrets.map((s, index) => {
    if (s.name === "") throw new ActionsError("invalid", `secrets[${index}].name is empty; a secret needs a name`);
    if (s.name.length > MAX_SECRET_NAME_CHARS)
      throw new ActionsError(
        "invalid",
        `secrets[${index}].name ${quote(s.name, 60)} is ${s.name.length} characters; Auth0 allows at most ${MAX_SECRET_NAME_CHARS}`,
      );
    if (s.value.length > MAX_SECRET_VALUE_CHARS)
      throw new ActionsError(
        "invalid",
        `The value of secret ${quote(s.name)} is ${s.value.length} characters; Auth0 allows at most ${MAX_SECRET_VALUE_CHARS}`,
      );
    if (names.has(s.name))
      throw new ActionsError("invalid", `Secret ${quote(s.name)} is sent twice; send each secret once`);
    names.add(s.name);
    return { name: s.name, value: s.value };
  });
}

/** Auth0's order after a PATCH: names it kept first, in their old order, then new names in the order sent. */
function replaceSecrets(old: readonly Secret[], sent: readonly SecretInput[], updatedAt: string): Secret[] {
  const value = new Map(sent.map((s) => [s.name, s.value]));
  const kept = old.filter((s) => value.has(s.name)).map((s) => s.name);
  const added = sent.filter((s) => !old.some((o) => o.name === s.name)).map((s) => s.name);
  return [...kept, ...added].map((name) => ({ name, value: value.get(name)!, updatedAt }));
}

function secretView(secret: Secret): SecretView {
  return { name: secret.name, updatedAt: secret.updatedAt };
}

function copyDependency(d: ActionDependency): ActionDependency {
  return d.registryUrl === undefined
    ? { name: d.name, version: d.version }
    : { name: d.name, version: d.version, registryUrl: d.registryUrl };
}

function copyTrigger(t: ActionTriggerRef): ActionTriggerRef {
  return { id: t.id, version: t.version };
}

/**
 * Auth0's Actions timestamps: RFC 3339 UTC with 9 fraction digits, trailing zeros kept. Strictly
 * increasing, so every change shows a later updated_at than the one before.
 */
class NanoClock {
  private readonly epochNs = BigInt(Date.now()) * 1_000_000n;
  private readonly start = process.hrtime.bigint();
  private last = 0n;

  now(): string {
    let ns = this.epochNs + (process.hrtime.bigint() - this.start);
    if (ns <= this.last) ns = this.last + 1n;
    this.last = ns;
    const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
    return `${seconds}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;
  }
}
