// What `cdktf deploy` and `cdktf destroy` ask of Auth0 for this project's resources, sent to the local
// tenant: a synthesized stack (cdk.tf.json) applied against a Terraform-like state with the requests
// the auth0 provider (v1.51-v1.55) makes for auth0_action, auth0_trigger_action and
// auth0_trigger_actions (docs/local-tenant.md, "The Actions API"), in Terraform's order: creates and
// updates in the new configuration's dependency order, then destroys, dependents first. Not a
// stand-in for the tenant under test: the tenant is real; this is the client the provider would be.
import { ActionsClient, type Answer } from "./actions-client";

type Json = Record<string, any>;

/** What Terraform's state keeps of each resource: its id and the attributes it was applied with. */
export type State = Map<string, { readonly id: string; readonly attrs: Json }>;

export class ApplyError extends Error {}

/** The provider's waits: its first check at once, then backing off; bounded here (builds finish at once). */
const POLLS = 10;

export class ProviderEmulator {
  readonly state: State = new Map();
  /** Every request sent, "METHOD path", in order. */
  readonly requests: string[] = [];

  constructor(private readonly client: ActionsClient) {}

  /** `terraform apply` of `stack`: a refresh, then creates, updates and destroys until the tenant matches it. Throws ApplyError on the first refusal. */
  async apply(stack: Json, vars: Record<string, string> = {}): Promise<void> {
    await this.refresh();
    const desired = resourcesOf(stack, vars);
    // Creates and updates, in the new configuration's order: actions, then bindings (which reference them).
    for (const [address, attrs] of desired.actions) await this.applyAction(address, attrs);
    for (const [address, attrs] of desired.exclusive) await this.applyExclusive(address, attrs);
    for (const [address, attrs] of desired.append) await this.applyAppend(address, attrs);
    // Destroys, dependents first: bindings, then the actions they bound.
    const gone = [...this.state.keys()].filter((address) => !desired.all.has(address));
    for (const address of gone.filter((a) => a.startsWith("auth0_trigger_action."))) await this.destroyAppend(address);
    for (const address of gone.filter((a) => a.startsWith("auth0_trigger_actions.")))
      await this.destroyExclusive(address);
    for (const address of gone.filter((a) => a.startsWith("auth0_action."))) await this.destroyAction(address);
  }

  /**
   * The provider's reads before a plan: an action's draft (code, dependencies, runtime; never its
   * secrets, which it never reads back), gone if 404; a binding gone if the trigger's list lacks it;
   * an exclusive list as the tenant has it.
   */
  private async refresh(): Promise<void> {
    for (const [address, { id, attrs }] of [...this.state]) {
      if (address.startsWith("auth0_action.")) {
        const answer = await this.send("GET", `/api/v2/actions/actions/${id}`, undefined, [200, 404]);
        if (answer.status === 404) this.state.delete(address);
        else {
          const dependencies = (answer.body.dependencies as Json[]).map((d) => ({ name: d.name, version: d.version }));
          const runtime = answer.body.runtime === "node18-actions" ? "node18" : answer.body.runtime;
          this.state.set(address, { id, attrs: { ...attrs, code: answer.body.code, dependencies, runtime } });
        }
      } else {
        const { items } = await this.client.listAll(
          `/api/v2/actions/triggers/${attrs.trigger}/bindings`,
          "bindings",
          100,
        );
        const bound = (items as Json[]).map((b) => ({
          display_name: b.display_name,
          ref: { type: "action_id", value: b.action.id },
        }));
        if (address.startsWith("auth0_trigger_actions."))
          this.state.set(address, { id, attrs: { ...attrs, actions: bound } });
        else if (!bound.some((b) => b.ref.value === attrs.action_id)) this.state.delete(address);
      }
    }
  }

  /** `terraform destroy`: every resource in the state, dependents first. */
  async destroy(): Promise<void> {
    await this.apply({ resource: {} });
  }

  private async send(method: string, path: string, body?: unknown, ok: number[] = [200, 201, 204]): Promise<Answer> {
    this.requests.push(`${method} ${path}`);
    const answer = await this.client.request(method, path, body);
    if (!ok.includes(answer.status))
      throw new ApplyError(
        `${method} ${path}: ${answer.status} ${answer.body?.error ?? ""}: ${answer.body?.message ?? answer.text}`,
      );
    return answer;
  }

  // ---- auth0_action ----------------------------------------------------------------------------

  private async applyAction(address: string, attrs: Json): Promise<void> {
    const known = this.state.get(address);
    const always = {
      name: attrs.name,
      supported_triggers: [attrs.supported_triggers],
      code: attrs.code,
      ...(attrs.runtime ? { runtime: attrs.runtime === "node18" ? "node18-actions" : attrs.runtime } : {}),
    };
    let id: string;
    if (!known) {
      const body = {
        ...always,
        ...(attrs.dependencies.length ? { dependencies: attrs.dependencies } : {}),
        ...(attrs.secrets.length ? { secrets: attrs.secrets } : {}),
      };
      id = (await this.send("POST", "/api/v2/actions/actions", body)).body.id;
    } else {
      if (same(known.attrs, attrs)) return;
      id = known.id;
      const secretsChanged = !same(known.attrs.secrets, attrs.secrets);
      if (secretsChanged) {
        // The provider's guard: a secret the tenant holds that neither configuration knows stops the update.
        const held = (await this.send("GET", `/api/v2/actions/actions/${id}`)).body.secrets as { name: string }[];
        const known_ = new Set([...known.attrs.secrets, ...attrs.secrets].map((s: { name: string }) => s.name));
        const unmanaged = held.find((s) => !known_.has(s.name));
        if (unmanaged) throw new ApplyError(`Unmanaged Action Secret ${unmanaged.name}`);
      }
      const body = {
        ...always,
        ...(!same(known.attrs.dependencies, attrs.dependencies) ? { dependencies: attrs.dependencies } : {}),
        ...(secretsChanged ? { secrets: attrs.secrets } : {}),
      };
      await this.send("PATCH", `/api/v2/actions/actions/${id}`, body);
    }
    this.state.set(address, { id, attrs });
    if (attrs.deploy) await this.deploy(id, attrs.name);
    await this.send("GET", `/api/v2/actions/actions/${id}`);
  }

  /** Poll until built, deploy, poll until the new version is deployed: the provider's wait. */
  private async deploy(id: string, name: string): Promise<void> {
    for (let i = 0; ; i++) {
      const status = (await this.send("GET", `/api/v2/actions/actions/${id}`)).body.status;
      if (status === "built") break;
      if (status === "failed") throw new ApplyError(`action "${name}" failed to build, check the Auth0 UI for errors`);
      if (i >= POLLS) throw new ApplyError(`action "${name}" never built`);
    }
    const version = (await this.send("POST", `/api/v2/actions/actions/${id}/deploy`)).body.id;
    for (let i = 0; ; i++) {
      const deployed = (await this.send("GET", `/api/v2/actions/actions/${id}`)).body.deployed_version;
      if (deployed?.deployed === true && deployed.id === version) return;
      if (i >= POLLS) throw new ApplyError(`action "${name}": version ${version} never deployed`);
    }
  }

  private async destroyAction(address: string): Promise<void> {
    const { id } = this.state.get(address)!;
    // 404 counts as gone; 409 (still bound) stops the apply, as the provider shows it.
    await this.send("DELETE", `/api/v2/actions/actions/${id}`, undefined, [204, 404]);
    this.state.delete(address);
  }

  // ---- auth0_trigger_actions (the whole list) ---------------------------------------------------

  private async applyExclusive(address: string, attrs: Json): Promise<void> {
    const refs = attrs.actions.map((entry: Json) => ({
      display_name: entry.display_name,
      ref: { type: "action_id", value: this.resolve(entry.id) },
    }));
    const resolved = { ...attrs, actions: refs };
    const known = this.state.get(address);
    if (known && same(known.attrs, resolved)) return;
    await this.send("PATCH", `/api/v2/actions/triggers/${attrs.trigger}/bindings`, { bindings: refs });
    this.state.set(address, { id: attrs.trigger, attrs: resolved });
    await this.readBindings(attrs.trigger);
  }

  private async destroyExclusive(address: string): Promise<void> {
    await this.send("PATCH", `/api/v2/actions/triggers/${this.state.get(address)!.id}/bindings`, { bindings: [] });
    this.state.delete(address);
  }

  // ---- auth0_trigger_action (one binding, appended) ---------------------------------------------

  private async applyAppend(address: string, attrs: Json): Promise<void> {
    const actionId = this.resolve(attrs.action_id);
    const known = this.state.get(address);
    if (known && known.attrs.action_id === actionId && known.attrs.display_name === attrs.display_name) return;
    const bindings = (await this.send("GET", `/api/v2/actions/triggers/${attrs.trigger}/bindings?per_page=50`)).body
      .bindings as Json[];
    if (!bindings.some((b) => b.action.id === actionId)) {
      const displayName =
        attrs.display_name ?? (await this.send("GET", `/api/v2/actions/actions/${actionId}`)).body.name;
      const rest = bindings.map((b) => ({
        display_name: b.display_name,
        ref: { type: "action_id", value: b.action.id },
      }));
      await this.send("PATCH", `/api/v2/actions/triggers/${attrs.trigger}/bindings`, {
        bindings: [...rest, { display_name: displayName, ref: { type: "action_id", value: actionId } }],
      });
    }
    this.state.set(address, { id: `${attrs.trigger}::${actionId}`, attrs: { ...attrs, action_id: actionId } });
    await this.readBindings(attrs.trigger);
  }

  private async destroyAppend(address: string): Promise<void> {
    const { attrs } = this.state.get(address)!;
    const bindings = (await this.send("GET", `/api/v2/actions/triggers/${attrs.trigger}/bindings?per_page=50`)).body
      .bindings as Json[];
    const rest = bindings
      .filter((b) => b.action.id !== attrs.action_id)
      .map((b) => ({ display_name: b.display_name, ref: { type: "action_id", value: b.action.id } }));
    await this.send("PATCH", `/api/v2/actions/triggers/${attrs.trigger}/bindings`, { bindings: rest });
    this.state.delete(address);
  }

  /** The provider's read after a change: page=0,1,... while its SDK says there is more. */
  private async readBindings(trigger: string): Promise<void> {
    await this.client.listAll(`/api/v2/actions/triggers/${trigger}/bindings`, "bindings", 100);
  }

  /** `${auth0_action.X.id}` as the id in the state; a literal id (an action bound by hand) as it is. */
  private resolve(reference: string): string {
    const name = /^\$\{auth0_action\.([\w-]+)\.id\}$/.exec(reference)?.[1];
    if (name === undefined) return reference;
    const known = this.state.get(`auth0_action.${name}`);
    if (!known) throw new ApplyError(`${reference}: no such action in the state`);
    return known.id;
  }
}

/** The stack's resources of the three types, with variables resolved and code unescaped; append bindings in their depends_on order. */
function resourcesOf(stack: Json, vars: Record<string, string>) {
  const resources = (stack.resource ?? {}) as Record<string, Record<string, Json>>;
  const variables = (stack.variable ?? {}) as Record<string, { default?: string }>;
  const value = (text: string) =>
    text.replace(/\$\$\{|%%\{|\$\{var\.([\w-]+)\}/g, (match, name: string | undefined) => {
      if (match === "$${") return "${";
      if (match === "%%{") return "%{";
      const resolved = vars[name!] ?? variables[name!]?.default;
      if (resolved === undefined) throw new ApplyError(`var.${name} has no value`);
      return resolved;
    });
  const actions = Object.entries(resources.auth0_action ?? {}).map(([name, a]) => {
    const attrs = {
      name: a.name,
      code: value(a.code),
      runtime: a.runtime,
      deploy: a.deploy === true,
      supported_triggers: a.supported_triggers,
      secrets: (a.secrets ?? []).map((s: Json) => ({ name: s.name, value: value(s.value) })),
      dependencies: a.dependencies ?? [],
    };
    return [`auth0_action.${name}`, attrs] as const;
  });
  const exclusive = Object.entries(resources.auth0_trigger_actions ?? {}).map(
    ([name, b]) => [`auth0_trigger_actions.${name}`, { trigger: b.trigger, actions: b.actions }] as const,
  );
  const appendList = Object.entries(resources.auth0_trigger_action ?? {});
  // depends_on chains: each binding after those it depends on.
  const ordered: [string, Json][] = [];
  const placed = new Set<string>();
  const place = (name: string, binding: Json) => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const dependency of binding.depends_on ?? []) {
      const other = /^auth0_trigger_action\.([\w-]+)$/.exec(dependency)?.[1];
      if (other && resources.auth0_trigger_action[other]) place(other, resources.auth0_trigger_action[other]);
    }
    ordered.push([
      `auth0_trigger_action.${name}`,
      { trigger: binding.trigger, action_id: binding.action_id, display_name: binding.display_name },
    ]);
  };
  for (const [name, binding] of appendList) place(name, binding);
  const all = new Set([...actions.map(([a]) => a), ...exclusive.map(([a]) => a), ...ordered.map(([a]) => a)]);
  return { actions, exclusive, append: ordered, all };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export { ActionsClient };
