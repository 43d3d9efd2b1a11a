// What a login at the local tenant runs: the actions bound to post-login in its Actions store, each
// as its deployed version (code, secrets, dependencies), in binding order, in a sandbox worker. A
// deploy or a bindings change takes effect at the next login; a login already running finishes
// with what it started with; an undeployed draft changes nothing. Also the way in: a flow as
// deployed (src/flow/model.ts) deployed and bound through the store, as the tenant's start does.
import { ACTION_RUNTIME, POST_LOGIN } from "../auth0/facts";
import { ActionLoadError, SandboxError, UsageError } from "../errors";
import { compileFlow } from "../flow/compile";
import { actionsOf, type FlowAsDeployed, type FlowTrigger } from "../flow/model";
import { secretsRecord } from "../flow/secrets";
import type { CompiledFlow } from "../runtime/compiled-flow";
import type { ContinueRequest } from "../runtime/flow-runtime";
import { ClaimIssuer, failedOutcome } from "../runtime/outcome";
import { OneAtATime } from "../runtime/one-at-a-time";
import { type ExportedUser, type LoginContext, type LoginOutcome, newLoginState } from "../runtime/types";
import { Sandbox, type SandboxedFlow } from "../sandbox/host";
import { ActionsError, type ActionsStore, type DeployedAction } from "./actions-store";

const TRIGGER: FlowTrigger = POST_LOGIN.id;

export class DeployedFlow {
  private readonly sandbox = new Sandbox();
  private readonly logins = new OneAtATime();
  private readonly noActions = new ClaimIssuer({});
  /** The flow loaded for the current bindings, or why it can't load; undefined until the next login loads it. */
  private loaded: LoadedFlow | undefined;
  /** Counts the store's changes, so a load that a change overtook is not kept. */
  private changes = 0;

  constructor(
    private readonly actions: ActionsStore,
    /** The origins the actions' fetch may reach (--allow-fetch). */
    private readonly allowFetch: readonly string[] = [],
  ) {
    actions.onChange((trigger) => {
      if (trigger === TRIGGER) this.stale();
    });
  }

  /** The actions that run at login now, in order (their names): what the banner and reports show. */
  get names(): string[] {
    return this.actions.boundFlow(TRIGGER).map((a) => a.name);
  }

  /**
   * One login through the bound flow as deployed. Never rejects for what an action does: a flow
   * that can't load, or a sandbox that stopped, fails this login as Auth0 would fail it.
   */
  login(user: ExportedUser, context: LoginContext = {}): Promise<LoginOutcome> {
    return this.logins.run(async () => {
      let loaded = this.loaded;
      let overtaken = false;
      if (loaded === undefined) {
        const changes = this.changes;
        loaded = await this.load();
        // A deploy or bindings change while it loaded: this login runs what it started with, the next loads again.
        overtaken = changes !== this.changes;
        if (!overtaken) this.loaded = loaded;
      }
      const { flow, error } = loaded;
      try {
        if (error !== undefined) return failedOutcome(user, error);
        if (flow === undefined) return this.noActions.outcome(user, newLoginState());
        return await flow.login(user, context);
      } catch (err) {
        if (!(err instanceof SandboxError) && !(err instanceof ActionLoadError)) throw err;
        return failedOutcome(user, `${err.message}; the local tenant fails the login`);
      } finally {
        if (overtaken) void flow?.close().catch(() => undefined);
      }
    });
  }

  /**
   * Resumes a login a redirect paused, at /continue: undefined when none waits with that state (used,
   * expired, or the flow was deployed again since: a new flow has no paused logins).
   */
  resume(stateToken: string, user: ExportedUser, request: ContinueRequest): Promise<LoginOutcome | undefined> {
    return this.logins.run(async () => {
      const flow = this.loaded?.flow;
      if (flow === undefined) return undefined;
      try {
        return await flow.resume(stateToken, user, request);
      } catch (err) {
        if (!(err instanceof SandboxError) && !(err instanceof ActionLoadError)) throw err;
        return failedOutcome(user, `${err.message}; the local tenant fails the login`);
      }
    });
  }

  async close(): Promise<void> {
    await this.sandbox.close();
  }

  /** Forgets the loaded flow; the next login loads the bindings as they are then. */
  private stale(): void {
    this.changes++;
    const previous = this.loaded;
    this.loaded = undefined;
    void previous?.flow?.close().catch(() => undefined);
  }

  private async load(): Promise<LoadedFlow> {
    const deployed = this.actions.boundFlow(TRIGGER);
    if (deployed.length === 0) return {};
    try {
      return { flow: await this.sandbox.load(compiledFlow(deployed, this.allowFetch)) };
    } catch (err) {
      if (!(err instanceof ActionLoadError) && !(err instanceof SandboxError)) throw err;
      return { error: `the deployed flow can't run: ${err.message}` };
    }
  }
}

/** The bound flow in its sandbox (none when nothing is bound), or why it can't load. */
interface LoadedFlow {
  readonly flow?: SandboxedFlow;
  readonly error?: string;
}

/**
 * The store's flow of `trigger` as deployed (src/flow/model.ts): its bindings in order, each action
 * as its deployed version, every secret with the value deployed with it. The bindings are the
 * trigger's whole list, so the flow is exclusive.
 */
export function storeFlow(deployed: readonly DeployedAction[], trigger: FlowTrigger = TRIGGER): FlowAsDeployed {
  return {
    trigger,
    mode: "exclusive",
    entries: deployed.map((action) => ({
      kind: "action",
      displayName: action.name,
      action: {
        name: action.name,
        source: `${action.name} (version ${action.number})`,
        code: action.code,
        runtime: action.runtime,
        dependencies: action.dependencies.map((d) => ({ name: d.name, version: d.version })),
        secrets: Object.entries(action.secrets).map(([name, value]) => ({ name, value })),
      },
    })),
    retired: [],
  };
}

/** The deployed versions as a flow the sandbox loads; each one's declared npm dependencies bundled. */
function compiledFlow(deployed: readonly DeployedAction[], allowFetch: readonly string[] = []): CompiledFlow {
  return compileFlow(storeFlow(deployed), { runtime: { allowFetch } });
}

/**
 * Deploys `flow`'s actions (each secret with its value) and binds them to its trigger, in order,
 * through the store's own calls, as `cdktf deploy` would through its Management API. An action that
 * can't be deployed (its build fails) stops the start with one line.
 */
export function deployFlow(actions: ActionsStore, flow: FlowAsDeployed): void {
  const ids = actionsOf(flow).map((step) => {
    try {
      const action = actions.create({
        name: step.name,
        supportedTriggers: [{ id: flow.trigger, version: POST_LOGIN.version }],
        code: step.code,
        runtime: step.runtime ?? ACTION_RUNTIME,
        dependencies: step.dependencies,
        secrets: Object.entries(secretsRecord(step)).map(([name, value]) => ({ name, value })),
      });
      actions.deploy(action.id);
      return action.id;
    } catch (err) {
      if (!(err instanceof ActionsError)) throw err;
      throw new UsageError(
        "ERR_LOCAL_DEPLOY",
        `action ${JSON.stringify(step.name)} (${step.source}) can't be deployed to the local tenant: ${err.message}`,
      );
    }
  });
  actions.setBindings(
    flow.trigger,
    ids.map((id) => ({ ref: { type: "action_id", value: id } })),
  );
}
