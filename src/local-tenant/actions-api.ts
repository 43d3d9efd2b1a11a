// Auth0's Actions Management API (/api/v2/actions/...) on the local tenant's ActionsStore: the
// routes, their scopes, the request checks and the answers' shapes, as the Terraform provider's
// recorded traffic shows Auth0 answering (docs/local-tenant.md says which parts are our choices).
import type { Context } from "koa";
import { JSON_DEPTH_LIMIT } from "./context";
import { quote } from "../errors";
import {
  ActionsError,
  type ActionDependency,
  type ActionTriggerRef,
  type ActionView,
  type BindingInput,
  type BindingView,
  type DraftView,
  type SecretView,
  type TriggerView,
  type VersionView,
} from "./actions-store";
import { ManagementError } from "./management-access";
import { deeperThan, isObject, kind, readJsonBody, type Route } from "./management-request";

/** Auth0's default page size for the Actions lists, and the largest the local tenant serves. */
const DEFAULT_PER_PAGE = 20;
const MAX_PER_PAGE = 100;

// ---- request bodies -------------------------------------------------------------------------

/** The JSON shapes the routes take; anything else is Auth0's "Payload validation error". */
type Schema =
  | { readonly type: "string" | "boolean" }
  | { readonly type: "array"; readonly items: Schema }
  | {
      readonly type: "object";
      readonly properties: Readonly<Record<string, Schema>>;
      readonly required?: readonly string[];
    }
  /** A shape Auth0 declares as oneOf: any mismatch inside is reported on the item itself. */
  | { readonly type: "oneOf"; readonly schema: Schema };

const STRING: Schema = { type: "string" };
const TRIGGER_REF: Schema = {
  type: "object",
  properties: { id: STRING, version: STRING },
  required: ["id", "version"],
};
const ACTION_FIELDS = {
  name: STRING,
  supported_triggers: { type: "array", items: TRIGGER_REF },
  code: STRING,
  runtime: STRING,
  dependencies: {
    type: "array",
    items: {
      type: "object",
      properties: { name: STRING, version: STRING, registry_url: STRING },
      required: ["name", "version"],
    },
  },
  secrets: {
    type: "array",
    items: { type: "object", properties: { name: STRING, value: STRING }, required: ["name", "value"] },
  },
  modules: {
    type: "array",
    items: {
      type: "object",
      properties: { module_id: STRING, module_version_id: STRING },
      required: ["module_id", "module_version_id"],
    },
  },
} as const satisfies Record<string, Schema>;
const CREATE_ACTION: Schema = { type: "object", properties: ACTION_FIELDS, required: ["name", "supported_triggers"] };
const UPDATE_ACTION: Schema = { type: "object", properties: ACTION_FIELDS };
const BINDING: Schema = {
  type: "oneOf",
  schema: {
    type: "object",
    properties: {
      ref: { type: "object", properties: { type: STRING, value: STRING }, required: ["type", "value"] },
      display_name: STRING,
    },
    required: ["ref"],
  },
};
const SET_BINDINGS: Schema = {
  type: "object",
  properties: { bindings: { type: "array", items: BINDING } },
  required: ["bindings"],
};
const ROLLBACK: Schema = { type: "object", properties: { update_draft: { type: "boolean" } } };
const REF_TYPES = ["action_id", "action_name", "binding_id"];

function invalidBody(message: string): ManagementError {
  return new ManagementError(400, `Payload validation error: ${message}`, "invalid_body");
}

/** Checks `value` against `schema` as Auth0's validator does, naming the property; never quotes a value. */
function check(value: unknown, schema: Schema, path: string): void {
  const on = path === "" ? "." : ` on property ${path}.`;
  if (schema.type === "oneOf") {
    try {
      check(value, schema.schema, path);
    } catch (err) {
      if (err instanceof ManagementError) throw invalidBody(`'Data does not match any schemas from 'oneOf''${on}`);
      throw err;
    }
    return;
  }
  const expected =
    schema.type === "array"
      ? Array.isArray(value)
      : schema.type === "object"
        ? isObject(value)
        : typeof value === schema.type;
  if (!expected) throw invalidBody(`'Expected type ${schema.type} but found type ${kind(value)}'${on}`);
  if (schema.type === "array")
    (value as unknown[]).forEach((item, index) => check(item, schema.items, `${path}[${index}]`));
  if (schema.type === "object") {
    const record = value as Record<string, unknown>;
    const extra = Object.keys(record).filter((key) => !Object.hasOwn(schema.properties, key));
    if (extra.length > 0) {
      throw invalidBody(
        `'Additional properties not allowed: ${extra.map((k) => quote(k, 60)).join(",")}'${on} It takes ${Object.keys(schema.properties).join(", ")}`,
      );
    }
    for (const key of schema.required ?? [])
      if (!Object.hasOwn(record, key)) throw invalidBody(`'Missing required property: ${key}'${on}`);
    for (const [key, item] of Object.entries(record))
      check(item, schema.properties[key], path === "" ? key : `${path}.${key}`);
  }
}

/** The body, read and checked against `schema` whole before anything is changed. */
async function body(ctx: Context, schema: Schema): Promise<Record<string, unknown>> {
  const parsed = await readJsonBody(ctx);
  if (deeperThan(parsed, JSON_DEPTH_LIMIT))
    throw invalidBody(`the body is nested more than ${JSON_DEPTH_LIMIT} levels deep; an Actions body is at most 4`);
  check(parsed, schema, "");
  return parsed as Record<string, unknown>;
}

/** The body of a route that may be sent none (the roll back): an absent or empty body is {}. */
async function optionalBody(ctx: Context, schema: Schema): Promise<Record<string, unknown>> {
  if (
    ctx.get("content-length") === "0" ||
    (!ctx.get("content-type") && !ctx.get("content-length") && !ctx.get("transfer-encoding"))
  )
    return {};
  return body(ctx, schema);
}

function actionInput(fields: Record<string, unknown>) {
  if (Array.isArray(fields.modules) && fields.modules.length > 0) {
    throw new ManagementError(
      400,
      "modules: the local tenant serves no Actions Modules; remove the action's modules",
      "invalid_body",
    );
  }
  return {
    name: fields.name as string | undefined,
    supportedTriggers: fields.supported_triggers as ActionTriggerRef[] | undefined,
    code: fields.code as string | undefined,
    runtime: fields.runtime as string | undefined,
    dependencies: (fields.dependencies as { name: string; version: string; registry_url?: string }[] | undefined)?.map(
      (d) => ({ name: d.name, version: d.version, registryUrl: d.registry_url }),
    ),
    secrets: fields.secrets as { name: string; value: string }[] | undefined,
  };
}

function bindingInputs(fields: Record<string, unknown>): BindingInput[] {
  return (fields.bindings as { ref: { type: string; value: string }; display_name?: string }[]).map((b, index) => {
    if (!REF_TYPES.includes(b.ref.type))
      throw invalidBody(`'Data does not match any schemas from 'oneOf'' on property bindings[${index}].`);
    return {
      ref: { type: b.ref.type as BindingInput["ref"]["type"], value: b.ref.value },
      displayName: b.display_name,
    };
  });
}

// ---- query strings --------------------------------------------------------------------------

function invalidQuery(message: string): ManagementError {
  return new ManagementError(400, `Query validation error: ${message}`, "invalid_query_string");
}

/** The query's parameters, each once; any other than `allowed` is refused. */
function query(ctx: Context, allowed: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.query)) {
    if (!allowed.includes(name))
      throw invalidQuery(
        `'Additional properties not allowed: ${quote(name, 60)}'; ${allowed.length > 0 ? `this path takes ${allowed.join(", ")}` : "this path takes no query parameters"}`,
      );
    if (typeof value !== "string") throw invalidQuery(`${name} is given ${value?.length ?? 0} times; give it once`);
    params[name] = value;
  }
  return params;
}

function whole(params: Record<string, string>, name: string, min: number, max: number): number | undefined {
  const text = params[name];
  if (text === undefined) return undefined;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= min && value <= max))
    throw invalidQuery(`${name} ${quote(text, 60)} is not a whole number from ${min} to ${max}`);
  return value;
}

function flag(params: Record<string, string>, name: string): boolean | undefined {
  const text = params[name];
  if (text === undefined) return undefined;
  if (text !== "true" && text !== "false") throw invalidQuery(`${name} ${quote(text, 60)} is not true or false`);
  return text === "true";
}

/** The page asked for: `page` (from 0) and `per_page` (Auth0's default 20), checked. */
function pageOf(params: Record<string, string>): { page: number; perPage: number } {
  return {
    page: whole(params, "page", 0, 1_000_000) ?? 0,
    perPage: whole(params, "per_page", 1, MAX_PER_PAGE) ?? DEFAULT_PER_PAGE,
  };
}

/**
 * One page of `items` in Auth0's Actions envelope: `page` omitted when 0, and `total` (the count of
 * all items) only on a page that holds items. The Go SDK the Terraform provider uses asks for the
 * next page while `total` > 0, so a `total` on an empty page would make it ask forever.
 */
function paged<T>(
  key: string,
  items: readonly T[],
  { page, perPage }: { page: number; perPage: number },
): Record<string, unknown> {
  const slice = items.slice(page * perPage, (page + 1) * perPage);
  return {
    [key]: slice,
    ...(slice.length > 0 ? { total: items.length } : {}),
    ...(page > 0 ? { page } : {}),
    per_page: perPage,
  };
}

// ---- answers, keys in the order Auth0 sends them --------------------------------------------

function triggerRefs(triggers: readonly ActionTriggerRef[]) {
  return triggers.map((t) => ({ id: t.id, version: t.version }));
}

function dependencyList(dependencies: readonly ActionDependency[]) {
  return dependencies.map((d) => ({
    name: d.name,
    version: d.version,
    ...(d.registryUrl === undefined ? {} : { registry_url: d.registryUrl }),
  }));
}

function secretList(secrets: readonly SecretView[]) {
  return secrets.map((s) => ({ name: s.name, updated_at: s.updatedAt }));
}

/** `deployed_version` inside an action (and in a binding's action). */
function deployedVersion(v: VersionView) {
  return {
    code: v.code,
    dependencies: dependencyList(v.dependencies),
    id: v.id,
    deployed: v.deployed,
    number: v.number,
    built_at: v.builtAt,
    secrets: secretList(v.secrets),
    status: v.status,
    created_at: v.createdAt,
    updated_at: v.createdAt,
    runtime: v.runtime,
    supported_triggers: triggerRefs(v.supportedTriggers),
  };
}

/** `current_version`: Auth0's other view of the deployed version, status upper-case, `build_time`. */
function currentVersion(v: VersionView) {
  return {
    id: v.id,
    code: v.code,
    runtime: v.runtime,
    status: v.status.toUpperCase(),
    number: v.number,
    build_time: v.builtAt,
    created_at: v.createdAt,
    updated_at: v.createdAt,
  };
}

function versionObjects(a: ActionView) {
  return a.deployedVersion
    ? { current_version: currentVersion(a.deployedVersion), deployed_version: deployedVersion(a.deployedVersion) }
    : {};
}

/**
 * An action, as GET answers it. A create or change answers `pending` though the build is done:
 * Auth0 answers so, and every read after it says `built` or `failed`.
 */
function actionAnswer(a: ActionView, status: string = a.status) {
  return {
    id: a.id,
    name: a.name,
    supported_triggers: triggerRefs(a.supportedTriggers),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    code: a.code,
    dependencies: dependencyList(a.dependencies),
    runtime: a.runtime,
    status,
    secrets: secretList(a.secrets),
    ...versionObjects(a),
    all_changes_deployed: a.allChangesDeployed,
  };
}

/** The small action inside a version; `all_changes_deployed` is false there, as Auth0 sends it. */
function actionSummary(a: ActionView) {
  return {
    id: a.id,
    name: a.name,
    supported_triggers: triggerRefs(a.supportedTriggers),
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    all_changes_deployed: false,
  };
}

/** What a deploy or roll back answers: the new version, `deployed: false` and no `built_at` yet, as Auth0 answers. */
function deployAnswer(v: VersionView, a: ActionView) {
  return {
    code: v.code,
    dependencies: dependencyList(v.dependencies),
    id: v.id,
    deployed: false,
    number: v.number,
    secrets: secretList(v.secrets),
    status: v.status,
    created_at: v.createdAt,
    updated_at: v.createdAt,
    runtime: v.runtime,
    supported_triggers: triggerRefs(v.supportedTriggers),
    action: actionSummary(a),
  };
}

/** A version as GET .../versions[/{id}] answers it. */
function versionAnswer(v: VersionView, a: ActionView) {
  return { ...deployedVersion(v), action_id: a.id, action: actionSummary(a) };
}

/** The draft (GET .../versions/draft, the local tenant's own): where a failed build's reason is read. */
function draftAnswer(d: DraftView, a: ActionView) {
  return {
    action_id: d.actionId,
    code: d.code,
    dependencies: dependencyList(d.dependencies),
    deployed: false,
    secrets: secretList(d.secrets),
    status: d.status,
    ...(d.errors.length > 0
      ? { errors: d.errors.map((e) => ({ id: e.id, msg: e.msg, ...(e.url ? { url: e.url } : {}) })) }
      : {}),
    updated_at: d.updatedAt,
    runtime: d.runtime,
    supported_triggers: triggerRefs(d.supportedTriggers),
    action: actionSummary(a),
  };
}

/** A binding: its action without code or status, `updated_at` equal to `created_at`, as recorded. */
function bindingAnswer(b: BindingView) {
  const a = b.action;
  return {
    id: b.id,
    trigger_id: b.triggerId,
    action: {
      id: a.id,
      name: a.name,
      supported_triggers: triggerRefs(a.supportedTriggers),
      created_at: a.createdAt,
      updated_at: a.createdAt,
      ...versionObjects(a),
      all_changes_deployed: false,
    },
    created_at: b.createdAt,
    updated_at: b.createdAt,
    display_name: b.displayName,
  };
}

function triggerAnswer(t: TriggerView) {
  return {
    id: t.id,
    version: t.version,
    status: t.status,
    runtimes: [...t.runtimes],
    default_runtime: t.defaultRuntime,
    compatible_triggers: triggerRefs(t.compatibleTriggers),
    binding_policy: t.bindingPolicy,
  };
}

// ---- routes ---------------------------------------------------------------------------------

const STATUS: Record<ActionsError["reason"], number> = { "not-found": 404, conflict: 409, invalid: 400 };

/** Runs a store call; what the store refuses becomes the Management API's error answer. */
function store<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof ActionsError) throw new ManagementError(STATUS[err.reason], err.message);
    throw err;
  }
}

const read = () => ({ scopes: ["read:actions"] });
const update = () => ({ scopes: ["update:actions"] });
const ACTION = /^\/api\/v2\/actions\/actions\/([^/]+)$/;
const VERSION = /^\/api\/v2\/actions\/actions\/([^/]+)\/versions\/([^/]+)$/;
const BINDINGS = /^\/api\/v2\/actions\/triggers\/([^/]+)\/bindings$/;

export const ACTIONS_ROUTES: readonly Route[] = [
  {
    method: "GET",
    path: /^\/api\/v2\/actions\/actions$/,
    template: "/api/v2/actions/actions",
    access: read,
    handle: async (ctx, t) => {
      const params = query(ctx, ["actionName", "triggerId", "deployed", "installed", "page", "per_page"]);
      const filter = {
        actionName: params.actionName,
        triggerId: params.triggerId,
        deployed: flag(params, "deployed"),
        installed: flag(params, "installed"),
      };
      const page = pageOf(params);
      return paged(
        "actions",
        store(() => t.actions.list(filter)).map((a) => actionAnswer(a)),
        page,
      );
    },
  },
  {
    method: "POST",
    path: /^\/api\/v2\/actions\/actions$/,
    template: "/api/v2/actions/actions",
    access: () => ({ scopes: ["create:actions"] }),
    handle: async (ctx, t) => {
      query(ctx, []);
      const input = actionInput(await body(ctx, CREATE_ACTION));
      const created = store(() =>
        t.actions.create({ ...input, name: input.name!, supportedTriggers: input.supportedTriggers! }),
      );
      ctx.status = 201;
      return actionAnswer(created, "pending");
    },
  },
  {
    method: "GET",
    path: ACTION,
    template: "/api/v2/actions/actions/{id}",
    access: read,
    handle: async (ctx, t, [id]) => {
      query(ctx, []);
      return actionAnswer(store(() => t.actions.get(id)));
    },
  },
  {
    method: "PATCH",
    path: ACTION,
    template: "/api/v2/actions/actions/{id}",
    access: update,
    handle: async (ctx, t, [id]) => {
      query(ctx, []);
      store(() => t.actions.get(id));
      const changes = actionInput(await body(ctx, UPDATE_ACTION));
      return actionAnswer(
        store(() => t.actions.update(id, changes)),
        "pending",
      );
    },
  },
  {
    method: "DELETE",
    path: ACTION,
    template: "/api/v2/actions/actions/{id}",
    access: () => ({ scopes: ["delete:actions"] }),
    handle: async (ctx, t, [id]) => {
      const force = flag(query(ctx, ["force"]), "force") ?? false;
      store(() => t.actions.remove(id, { force }));
      ctx.status = 204;
      return undefined;
    },
  },
  {
    method: "POST",
    path: /^\/api\/v2\/actions\/actions\/([^/]+)\/deploy$/,
    template: "/api/v2/actions/actions/{id}/deploy",
    access: update,
    handle: async (ctx, t, [id]) => {
      query(ctx, []);
      const version = store(() => t.actions.deploy(id));
      return deployAnswer(version, t.actions.get(id));
    },
  },
  {
    method: "GET",
    path: /^\/api\/v2\/actions\/actions\/([^/]+)\/versions$/,
    template: "/api/v2/actions/actions/{actionId}/versions",
    access: read,
    handle: async (ctx, t, [id]) => {
      const page = pageOf(query(ctx, ["page", "per_page"]));
      const action = store(() => t.actions.get(id));
      return paged(
        "versions",
        store(() => t.actions.versions(id)).map((v) => versionAnswer(v, action)),
        page,
      );
    },
  },
  {
    method: "GET",
    path: VERSION,
    template: "/api/v2/actions/actions/{actionId}/versions/{id}",
    access: read,
    handle: async (ctx, t, [id, versionId]) => {
      query(ctx, []);
      const action = store(() => t.actions.get(id));
      if (versionId === "draft") return draftAnswer(t.actions.draft(id), action);
      return versionAnswer(
        store(() => t.actions.version(id, versionId)),
        action,
      );
    },
  },
  {
    method: "POST",
    path: /^\/api\/v2\/actions\/actions\/([^/]+)\/versions\/([^/]+)\/deploy$/,
    template: "/api/v2/actions/actions/{actionId}/versions/{id}/deploy",
    access: update,
    handle: async (ctx, t, [id, versionId]) => {
      query(ctx, []);
      store(() => t.actions.version(id, versionId));
      const fields = await optionalBody(ctx, ROLLBACK);
      const version = store(() => t.actions.rollback(id, versionId, { updateDraft: fields.update_draft === true }));
      return deployAnswer(version, t.actions.get(id));
    },
  },
  {
    method: "GET",
    path: /^\/api\/v2\/actions\/triggers$/,
    template: "/api/v2/actions/triggers",
    access: read,
    handle: async (ctx, t) => {
      query(ctx, []);
      return { triggers: t.actions.triggers().map(triggerAnswer) };
    },
  },
  {
    method: "GET",
    path: BINDINGS,
    template: "/api/v2/actions/triggers/{triggerId}/bindings",
    access: read,
    handle: async (ctx, t, [triggerId]) => {
      const page = pageOf(query(ctx, ["page", "per_page"]));
      return paged("bindings", store(() => t.actions.bindingsOf(triggerId)).map(bindingAnswer), page);
    },
  },
  {
    method: "PATCH",
    path: BINDINGS,
    template: "/api/v2/actions/triggers/{triggerId}/bindings",
    access: update,
    handle: async (ctx, t, [triggerId]) => {
      query(ctx, []);
      store(() => t.actions.bindingsOf(triggerId));
      const inputs = bindingInputs(await body(ctx, SET_BINDINGS));
      return { bindings: store(() => t.actions.setBindings(triggerId, inputs)).map(bindingAnswer) };
    },
  },
];
