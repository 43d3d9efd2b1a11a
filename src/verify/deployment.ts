// `verify --deployed`: what a tenant runs at login, read through its Management API, against the
// synthesized stack: each managed action's deployed code byte for byte, no undeployed draft, its
// secrets by name, its dependencies and runtime, and the post-login bindings in the declared order.
// terraform plan reads an action's draft, not its deployed version: this reads what logins run.
import { createHash } from "node:crypto";
import { AuthError, NetworkError, quote } from "../errors";
import { type ActionAsDeployed, actionsOf, type FlowAsDeployed, type FlowEntry } from "../flow/model";
import { type Budget, jsonOf } from "./http";

/**
 * Items per page: an action or a binding carries its code (up to 100 kB, twice in a binding), and
 * every answer is read under verify's 1 MiB cap.
 */
const PER_PAGE = 4;
/** Pages read at most: 20 bindings per trigger and a few actions of one name need far fewer. */
const MAX_PAGES = 25;

/** An action of the tenant, as its Management API answers. */
interface TenantAction {
  readonly id: string;
  readonly name: string;
  readonly status?: string;
  readonly all_changes_deployed?: boolean;
  readonly code?: string;
  readonly deployed_version?: {
    readonly id?: string;
    readonly number?: number;
    readonly code?: string;
    readonly runtime?: string;
    readonly deployed?: boolean;
    readonly secrets?: readonly { readonly name?: string }[];
    readonly dependencies?: readonly { readonly name?: string; readonly version?: string }[];
  };
}

interface TenantBinding {
  readonly display_name?: string;
  readonly action?: { readonly id?: string; readonly name?: string };
}

/** What was compared and found, for the report. */
export interface DeploymentResult {
  /** One line per thing that matches, e.g. `app-metadata-claims: deployed version 3, sha256 ...`. */
  readonly matches: string[];
  /** One line per difference, naming the action and what to do. */
  readonly differences: string[];
}

/** The stack declares these: every action of the trigger it manages, bound or retired, and `environment` to deploy. */
export interface Declared {
  readonly environment: string;
  readonly flow: FlowAsDeployed;
}

/** Every action the stack manages for the trigger, bound or not, once each. */
function managedActions(flow: FlowAsDeployed): ActionAsDeployed[] {
  return [...new Set([...actionsOf(flow), ...flow.retired])];
}

/** Reads the tenant's actions of the declared names and its bindings of the flow's trigger, then compares. */
export async function checkDeployment(
  declared: Declared,
  issuerUrl: URL,
  token: string,
  budget: Budget,
): Promise<DeploymentResult> {
  const api = new ManagementReader(issuerUrl, token, budget);
  const found = new Map<string, TenantAction[]>();
  for (const action of managedActions(declared.flow)) found.set(action.name, await api.actionsNamed(action.name));
  const bindings = await api.bindings(declared.flow.trigger);
  return compareDeployment(declared, found, bindings);
}

/** The comparison itself, on what was read. */
function compareDeployment(
  declared: Declared,
  found: ReadonlyMap<string, readonly TenantAction[]>,
  bindings: readonly TenantBinding[],
): DeploymentResult {
  const matches: string[] = [];
  const differences: string[] = [];
  const ids = new Map<string, string>();
  for (const action of managedActions(declared.flow)) {
    const named = (found.get(action.name) ?? []).filter((a) => a.name === action.name);
    if (named.length === 0) {
      differences.push(
        `${quote(action.name)}: not in the tenant; deploy the stack (npx cdktf deploy ${declared.environment})`,
      );
      continue;
    }
    if (named.length > 1) {
      differences.push(
        `${quote(action.name)}: ${named.length} actions of the tenant have this name; the stack manages one: delete the others or import the right one`,
      );
      continue;
    }
    ids.set(named[0].id, action.name);
    const problems = actionProblems(action, named[0]);
    if (problems.length === 0)
      matches.push(
        `${action.name}: deployed version ${named[0].deployed_version?.number ?? "?"}, sha256 ${sha(action.code)}, as the stack declares`,
      );
    differences.push(...problems.map((p) => `${quote(action.name)}: ${p}`));
  }
  const order = compareBindings(declared, bindings, ids);
  if (order.difference !== undefined) differences.push(order.difference);
  else matches.push(order.match);
  return { matches, differences };
}

function actionProblems(declared: ActionAsDeployed, tenant: TenantAction): string[] {
  const action = { ...declared, secrets: declared.secrets.map((s) => s.name) };
  const deployed = tenant.deployed_version;
  if (deployed === undefined || deployed.deployed === false)
    return ["never deployed: logins don't run it; deploy it (deploy = true in the stack)"];
  const problems: string[] = [];
  if (deployed.code !== action.code) {
    problems.push(
      `the deployed code (sha256 ${sha(deployed.code ?? "")}) is not the stack's (sha256 ${sha(action.code)}); deploy the stack`,
    );
  }
  if (tenant.all_changes_deployed === false) {
    const draft =
      tenant.code === action.code
        ? "it matches the stack, so terraform plan shows no change"
        : "it differs from the stack too";
    problems.push(
      `has an undeployed draft (status ${tenant.status ?? "?"}, all_changes_deployed false; ${draft}): deploy it or discard it, so that what runs is what was reviewed`,
    );
  }
  const secrets = new Set((deployed.secrets ?? []).map((s) => s.name));
  const missing = action.secrets.filter((name) => !secrets.has(name));
  if (missing.length > 0)
    problems.push(
      `declared secret(s) ${missing.map((n) => quote(n)).join(", ")} missing from the deployed version; apply the stack with their values`,
    );
  const unmanaged = [...secrets].filter(
    (name): name is string => typeof name === "string" && !action.secrets.includes(name),
  );
  if (unmanaged.length > 0)
    problems.push(
      `secret(s) ${unmanaged.map((n) => quote(n)).join(", ")} are in the tenant but not in the stack (the provider refuses to update an action with unmanaged secrets); remove them or declare them`,
    );
  const have = dependencyList(deployed.dependencies ?? []);
  const want = dependencyList(action.dependencies);
  if (have !== want) problems.push(`deployed dependencies [${have}] are not the stack's [${want}]; deploy the stack`);
  if (action.runtime !== undefined && runtimeOf(deployed.runtime) !== runtimeOf(action.runtime)) {
    problems.push(
      `deployed runtime ${quote(deployed.runtime ?? "?")} is not the stack's ${quote(action.runtime)}; deploy the stack`,
    );
  }
  return problems;
}

/** node18 is sent to Auth0 as node18-actions (the provider does this). */
function runtimeOf(runtime: string | undefined): string | undefined {
  return runtime === "node18-actions" ? "node18" : runtime;
}

function dependencyList(dependencies: readonly { readonly name?: string; readonly version?: string }[]): string {
  return dependencies
    .map((d) => `${d.name}@${d.version}`)
    .sort()
    .join(", ");
}

/**
 * The trigger's bindings against the stack's: exclusive, the whole list in the declared order
 * (managed actions by name, actions bound by hand by id); append or unbound, the stack's own
 * actions in the declared order and none of them bound that it doesn't bind.
 */
function compareBindings(
  stack: Declared,
  bindings: readonly TenantBinding[],
  ids: ReadonlyMap<string, string>,
): { match: string; difference?: undefined } | { match?: undefined; difference: string } {
  const declared = {
    mode: stack.flow.mode,
    bound: stack.flow.mode === "unbound" ? [] : stack.flow.entries.map(declaredBinding),
  };
  const bound = bindings.map((b) => ({
    id: b.action?.id ?? "",
    name: ids.get(b.action?.id ?? ""),
    display: b.display_name ?? "",
  }));
  const shown = (keys: readonly string[]) => (keys.length === 0 ? "(nothing)" : keys.map((k) => quote(k)).join(" -> "));
  const tenantKey = (b: (typeof bound)[number]) => b.name ?? `id ${b.id}`;
  const declaredKey = (b: { name?: string; id?: string }) => b.name ?? `id ${b.id}`;
  const expected = declared.bound.map(declaredKey);
  const actual =
    declared.mode === "exclusive" ? bound.map(tenantKey) : bound.filter((b) => b.name !== undefined).map(tenantKey);
  if (actual.join("\u0000") !== expected.join("\u0000")) {
    const whose = declared.mode === "exclusive" ? "the tenant runs" : "the stack's actions are bound as";
    const owns =
      declared.mode === "exclusive"
        ? "the stack owns the whole flow and declares"
        : `the stack declares (${declared.mode} mode)`;
    return {
      difference: `${stack.flow.trigger} bindings: ${whose} ${shown(actual)}; ${owns} ${shown(expected)}; deploy the stack`,
    };
  }
  const names = new Map(
    declared.bound.filter((b) => b.name !== undefined).map((b) => [b.name as string, b.displayName]),
  );
  const renamed = bound.find((b) => b.name !== undefined && names.has(b.name) && b.display !== names.get(b.name));
  if (renamed) {
    return {
      difference: `${stack.flow.trigger} bindings: ${quote(renamed.name)} is bound as ${quote(renamed.display)}, the stack says ${quote(names.get(renamed.name as string))}; deploy the stack`,
    };
  }
  return {
    match: `${stack.flow.trigger} bindings: ${shown(bound.map(tenantKey))} (${declared.mode} mode), as the stack declares`,
  };
}

/** A binding as the stack declares it: a managed action by name, one bound by hand by id. */
function declaredBinding(entry: FlowEntry): { name?: string; id?: string; displayName: string } {
  return entry.kind === "action"
    ? { name: entry.action.name, displayName: entry.displayName }
    : { id: entry.id, displayName: entry.displayName };
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Paged reads of the Management API, bounded by verify's budget. */
class ManagementReader {
  constructor(
    private readonly issuerUrl: URL,
    private readonly token: string,
    private readonly budget: Budget,
  ) {}

  actionsNamed(name: string): Promise<TenantAction[]> {
    return this.pages<TenantAction>("api/v2/actions/actions", { actionName: name }, "actions");
  }

  bindings(trigger: string): Promise<TenantBinding[]> {
    return this.pages<TenantBinding>(`api/v2/actions/triggers/${encodeURIComponent(trigger)}/bindings`, {}, "bindings");
  }

  /** Every item of a list, page after page, until a page holds fewer than PER_PAGE. */
  private async pages<T>(path: string, query: Record<string, string>, field: string): Promise<T[]> {
    const items: T[] = [];
    for (let page = 0; page < MAX_PAGES; page++) {
      const url = new URL(path, this.issuerUrl);
      url.search = new URLSearchParams({ ...query, page: String(page), per_page: String(PER_PAGE) }).toString();
      const response = await this.budget.fetch(url, { headers: { authorization: `Bearer ${this.token}` } });
      const what = `GET /${path}`;
      if (response.status === 401 || response.status === 403) {
        throw new AuthError(
          "ERR_MANAGEMENT_REFUSED",
          `${what}: HTTP ${response.status}; the Management API application needs the read:actions scope`,
        );
      }
      if (!response.ok)
        throw new AuthError(
          "ERR_MANAGEMENT_REFUSED",
          `${what}: HTTP ${response.status}: ${quote(await response.text(), 200)}`,
        );
      const body = await jsonOf(response, what);
      const list = (body as Record<string, unknown> | null)?.[field];
      if (!Array.isArray(list))
        throw new NetworkError("ERR_ANSWER_INVALID", `${what}: the answer has no ${field} list`);
      items.push(...(list as T[]));
      if (list.length < PER_PAGE) return items;
    }
    throw new NetworkError(
      "ERR_ANSWER_INVALID",
      `GET /${path}: more than ${MAX_PAGES * PER_PAGE} items; a tenant has at most 100 actions and 20 bindings per trigger`,
    );
  }
}
