// A local post-login runtime: loads an action's compiled code once into an isolated vm context and
// runs onExecutePostLogin per user with a post-login v3 event and api, then applies Auth0's claim
// rules to compute what the ID token, the access token and /userinfo would carry.
import { builtinModules, createRequire } from "node:module";
import { format } from "node:util";
import vm from "node:vm";
import { FLOW_TIMEOUT_MS, MAX_ACTION_CODE_BYTES, MAX_CUSTOM_CLAIMS_BYTES, TokenKind } from "../auth0/facts";
import { ActionLoadError } from "../errors";
import { ClaimContext, claimJson, claimNameProblem } from "./claim-rules";

/** A login takes at most Auth0's flow limit by default. */
export const DEFAULT_TIMEOUT_MS = FLOW_TIMEOUT_MS;
/** The longest delay a Node timer takes. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface PostLoginRuntimeOptions {
  /** The compiled action, the same bytes as auth0_action.code. */
  readonly code: string;
  /** The action's secrets (event.secrets). @default {} */
  readonly secrets?: Readonly<Record<string, string>>;
  /** npm modules declared as the action's dependencies; require() of anything else fails as in Auth0. @default [] */
  readonly dependencies?: readonly string[];
  /** How long a login may take before it is denied. @default 20000 */
  readonly timeoutMs?: number;
  /** The application logging in (event.client). @default a sample client */
  readonly client?: { readonly client_id: string; readonly name: string };
  /** The requested audience; an Auth0 API audience refuses non-namespaced access-token claims. @default - none */
  readonly audience?: string;
  /** Name shown in stack traces. @default "action.js" */
  readonly filename?: string;
}

/** A user in the Management API's shape (one line of a user export). */
export interface ExportedUser {
  readonly user_id?: string;
  readonly email?: string;
  readonly app_metadata?: unknown;
  readonly user_metadata?: unknown;
  readonly [field: string]: unknown;
}

export interface DroppedClaim {
  readonly token: TokenKind;
  readonly claim: string;
  readonly reason: string;
}

/** What one login produces. Key order is the preview's JSON output order. */
export interface LoginOutcome {
  readonly user_id: string;
  /** Why the login fails, or null when it succeeds. */
  readonly denied: string | null;
  readonly idToken: Record<string, unknown>;
  readonly accessToken: Record<string, unknown>;
  /** Custom claims in the /userinfo response: those of the ID token. */
  readonly userinfo: Record<string, unknown>;
  readonly dropped: DroppedClaim[];
  readonly logs: string[];
  /** Size in bytes of each token's custom claims as JSON (0 when none). Not part of the JSON output. */
  readonly bytes: { readonly id: number; readonly access: number };
  /** Each token's custom claims as JSON text, as serialized once. Not part of the JSON output. */
  readonly json: { readonly id: string; readonly access: string };
  /** How many custom claims each token carries. Not part of the JSON output. */
  readonly counts: { readonly id: number; readonly access: number };
}

/** How a login came about, as Auth0 tells the action. */
export interface LoginContext {
  /**
   * `event.transaction.protocol`: `oidc-basic-profile` (authorization code), `oauth2-resource-owner`
   * (password grant), `oauth2-refresh-token` (a refresh-token exchange, where post-login runs again).
   * @default "oidc-basic-profile"
   */
  readonly protocol?: string;
}

/** Anything that runs logins: one action (PostLoginRuntime) or a whole flow (FlowRuntime). */
export interface LoginRunner {
  /** Runs one login for `user`. Never throws: failures become `denied`. */
  login(user: ExportedUser, context?: LoginContext): Promise<LoginOutcome>;
}

export type Handler = (event: unknown, api: unknown) => unknown;

/** What the api records during one login; shared by every action of a flow, as Auth0 merges their claims. */
export interface LoginState {
  readonly id: Map<string, unknown>;
  readonly access: Map<string, unknown>;
  readonly logs: string[];
  denied: string | null;
}

/** A login's empty record, before the first action runs. */
export function newLoginState(): LoginState {
  return { id: new Map(), access: new Map(), logs: [], denied: null };
}

const PENDING = Symbol("pending");
const hostRequire = createRequire(__filename);
const BUILTINS = new Set(builtinModules);
/**
 * Globals handed to the action as wrapper parameters: the context's own objects, so behaviour is the
 * same, but read as local variables instead of through node's vm global interceptor, which made
 * every `JSON` or `Object` lookup a call into C++ (3x slower handlers).
 */
const FAST_GLOBALS = ["JSON", "Object", "Array", "Number", "String", "Boolean", "Math", "Promise", "Error", "TypeError", "Symbol", "Date", "RegExp", "Map", "Set", "Buffer", "console"];

export class PostLoginRuntime implements LoginRunner {
  /** The action's onExecutePostLogin itself, as loaded (used by the benchmark). */
  readonly handler: Handler;
  private readonly secrets: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly client: { readonly client_id: string; readonly name: string };
  private readonly claimContext: ClaimContext;
  private readonly api: unknown;
  /** The context's own Promise: racing the handler's promise with it costs no extra tick. */
  private readonly contextPromise: PromiseConstructor;
  private readonly names: Record<TokenKind, Map<string, { problem?: string; json: string }>> = { id: new Map(), access: new Map() };
  private state: LoginState | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(handler: Handler, options: PostLoginRuntimeOptions, api: unknown, contextPromise: PromiseConstructor) {
    this.handler = handler;
    this.contextPromise = contextPromise;
    this.secrets = Object.freeze({ ...(options.secrets ?? {}) });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Node fires a longer timer at once (it must fit in 32 bits).
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1 || this.timeoutMs > MAX_TIMEOUT_MS) {
      throw new RangeError(`timeoutMs: ${this.timeoutMs} is not a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`);
    }
    this.client = options.client ?? { client_id: "preview-client", name: "Preview" };
    this.claimContext = { audience: options.audience };
    this.api = api;
  }

  /** Loads the code once; throws ActionLoadError when Auth0 would refuse it or it fails to load. */
  static load(options: PostLoginRuntimeOptions): PostLoginRuntime {
    const bytes = Buffer.byteLength(options.code, "utf8");
    if (bytes > MAX_ACTION_CODE_BYTES) {
      throw new ActionLoadError(`action code is ${bytes} bytes; Auth0 refuses action code over ${MAX_ACTION_CODE_BYTES} bytes`);
    }
    const holder: { runtime?: PostLoginRuntime } = {};
    const current = (): LoginState | undefined => holder.runtime?.state;
    const capture = (...args: unknown[]) => void current()?.logs.push(format(...args));
    const declared = new Set(options.dependencies ?? []);
    const sandboxRequire = (id: string): unknown => {
      const bare = id.startsWith("node:") ? id.slice(5) : id;
      if (BUILTINS.has(bare)) return hostRequire(id);
      const pkg = id.startsWith("@") ? id.split("/").slice(0, 2).join("/") : id.split("/")[0];
      if (!declared.has(pkg)) throw new Error(`Cannot find module '${id}': it is not declared in the action's dependencies`);
      return hostRequire(id);
    };
    const context = vm.createContext({
      console: { log: capture, info: capture, warn: capture, error: capture, debug: capture },
      Buffer,
      URL,
      URLSearchParams,
      TextEncoder,
      TextDecoder,
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      setImmediate,
      clearImmediate,
      queueMicrotask,
      structuredClone,
      fetch: () => Promise.reject(new Error("fetch is not available in the local preview")),
      process: { env: {} },
    });
    const filename = options.filename ?? "action.js";
    const module = { exports: {} as Record<string, unknown> };
    try {
      compileWrapper(options.code, filename, context)(module.exports, sandboxRequire, module, filename, ".");
    } catch (err) {
      throw new ActionLoadError(`action failed to load: ${describe(err)}`);
    }
    const handler = module.exports.onExecutePostLogin;
    if (typeof handler !== "function") {
      throw new ActionLoadError("action does not export onExecutePostLogin: post-login actions need exports.onExecutePostLogin = async (event, api) => {...}");
    }
    const contextPromise = vm.runInContext("Promise", context) as PromiseConstructor;
    holder.runtime = new PostLoginRuntime(handler as Handler, options, postLoginApi(current), contextPromise);
    return holder.runtime;
  }

  /** Runs one login for `user`. Never throws: failures of the action become `denied`. Logins run one at a time. */
  login(user: ExportedUser, context: LoginContext = {}): Promise<LoginOutcome> {
    const result = this.queue.then(() =>
      this.run(user, context).catch((err: unknown) => this.failed(user, `the local runtime could not run this login: ${describe(err)}`)),
    );
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async run(user: ExportedUser, context: LoginContext): Promise<LoginOutcome> {
    const state = newLoginState();
    await this.runInto(user, state, this.timeoutMs, undefined, context);
    return this.outcome(user, state);
  }

  /**
   * Runs the action for `user`, recording into `state` (a flow passes the same state to each action).
   * Sets `state.denied` when the action denies, throws or takes longer than `timeoutMs` (the reason
   * then starts with `timedOut`); never throws.
   */
  async runInto(
    user: ExportedUser,
    state: LoginState,
    timeoutMs: number,
    timedOut = `the action did not finish within ${timeoutMs} ms`,
    context: LoginContext = {},
  ): Promise<void> {
    this.state = state;
    try {
      const result = this.handler(this.event(user, context), this.api);
      if (isThenable(result)) {
        // Most handlers have settled by now; only a pending one pays for a timer.
        const first = await this.contextPromise.race([result, this.contextPromise.resolve(PENDING)]);
        if (first === PENDING) await withTimeout(result, timeoutMs);
      }
    } catch (err) {
      state.denied =
        err instanceof TimeoutError
          ? `${timedOut}; Auth0 fails the login`
          : `the action threw ${describe(err)}; Auth0 fails the login`;
    } finally {
      this.state = undefined;
    }
  }

  /** What Auth0 issues once every action has run: the claims its rules keep, or the reason the login fails. */
  outcome(user: ExportedUser, state: LoginState): LoginOutcome {
    const user_id = userId(user);
    const denied = (reason: string, dropped: DroppedClaim[] = []): LoginOutcome => this.failed(user, reason, dropped, state.logs);
    if (state.denied !== null) return denied(state.denied);
    const dropped: DroppedClaim[] = [];
    const id = this.issue("id", state.id, dropped);
    const access = this.issue("access", state.access, dropped);
    for (const [label, token] of [["ID", id], ["access", access]] as const) {
      if (token.bytes > MAX_CUSTOM_CLAIMS_BYTES) {
        return denied(`the ${label} token's custom claims are ${token.bytes} bytes, over Auth0's ${MAX_CUSTOM_CLAIMS_BYTES}-byte limit; Auth0 fails the login`, dropped);
      }
    }
    return new Outcome(user_id, null, id.json, access.json, dropped, state.logs, { id: id.bytes, access: access.bytes }, { id: id.count, access: access.count });
  }

  /** The outcome of a login that fails: no token is issued. */
  failed(user: ExportedUser, reason: string, dropped: DroppedClaim[] = [], logs: string[] = []): LoginOutcome {
    return new Outcome(userId(user), reason, "{}", "{}", dropped, logs, { id: 0, access: 0 }, { id: 0, access: 0 });
  }

  /** The claims Auth0 would put in the token, as JSON, and their size as Auth0 counts it (0 if none). */
  private issue(token: TokenKind, set: Map<string, unknown>, dropped: DroppedClaim[]): { json: string; bytes: number; count: number } {
    let json = "";
    let count = 0;
    for (const [claim, value] of set) {
      const name = this.name(token, claim);
      const serialized = name.problem === undefined ? claimJson(value) : { problem: name.problem };
      if (serialized.json === undefined) {
        dropped.push({ token, claim, reason: serialized.problem as string });
        continue;
      }
      json += (json === "" ? "" : ",") + name.json + ":" + serialized.json;
      count++;
    }
    return { json: `{${json}}`, bytes: json === "" ? 0 : Buffer.byteLength(json) + 2, count };
  }

  /** Auth0's verdict on a claim name for a token, and the name as JSON; cached, names repeat. */
  private name(token: TokenKind, claim: string): { problem?: string; json: string } {
    const cache = this.names[token];
    let known = cache.get(claim);
    if (known === undefined) {
      known = { problem: claimNameProblem(claim, token, this.claimContext), json: JSON.stringify(claim) };
      cache.set(claim, known);
    }
    return known;
  }

  private event(user: ExportedUser, context: LoginContext): unknown {
    const event = Object.create(this.eventParts) as Record<string, unknown>;
    if (context.protocol !== undefined) event.transaction = { ...transaction(), protocol: context.protocol };
    event.user = { ...user, app_metadata: user.app_metadata === undefined ? {} : user.app_metadata, user_metadata: user.user_metadata === undefined ? {} : user.user_metadata };
    event.secrets = this.secrets;
    return event;
  }

  /**
   * The rest of the event, built on first read for each login (most actions read only `user`): each
   * login gets its own objects, so what one action run changes never leaks into the next.
   */
  private readonly eventParts = lazyParts({
    client: () => ({ client_id: this.client.client_id, name: this.client.name, metadata: {} }),
    connection: () => ({ id: "con_preview", name: "Username-Password-Authentication", strategy: "auth0", metadata: {} }),
    tenant: () => ({ id: "preview" }),
    request: () => ({ ip: "127.0.0.1", hostname: "localhost", method: "GET", language: "en", user_agent: "preview", query: {}, body: {}, geoip: {} }),
    transaction,
    authentication: () => ({ methods: [{ name: "pwd", timestamp: "1970-01-01T00:00:00.000Z" }] }),
    authorization: () => ({ roles: [] }),
    resource_server: () => (this.claimContext.audience ? { identifier: this.claimContext.audience } : undefined),
    stats: () => ({ logins_count: 1 }),
  });
}

/** event.transaction of an interactive login; a context's protocol replaces its protocol. */
function transaction(): Record<string, unknown> {
  return { id: "preview", protocol: "oidc-basic-profile", requested_scopes: ["openid", "profile", "email"], prompt: ["login"], locale: "en", ui_locales: [] };
}

/** A prototype whose getters build each part once per object that inherits it. */
function lazyParts(parts: Record<string, () => unknown>): object {
  const proto = {};
  for (const [name, make] of Object.entries(parts)) {
    Object.defineProperty(proto, name, {
      enumerable: true,
      get(this: object) {
        const value = make();
        Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
        return value;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, name, { value, enumerable: true, writable: true, configurable: true });
      },
    });
  }
  return proto;
}

class TimeoutError extends Error {}

async function withTimeout(result: PromiseLike<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), timeoutMs);
  });
  try {
    await Promise.race([result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A login's outcome. The claims as objects are parsed from their JSON on first read, and kept: the
 * preview's --json output needs only the JSON. Getters on the prototype, not closures per outcome,
 * which cost more in garbage collection than the parsing they save.
 */
class Outcome implements LoginOutcome {
  private parsed?: { idToken?: Record<string, unknown>; accessToken?: Record<string, unknown>; userinfo?: Record<string, unknown> };

  constructor(
    readonly user_id: string,
    readonly denied: string | null,
    idJson: string,
    accessJson: string,
    readonly dropped: DroppedClaim[],
    readonly logs: string[],
    readonly bytes: { readonly id: number; readonly access: number },
    readonly counts: { readonly id: number; readonly access: number },
  ) {
    this.json = { id: idJson, access: accessJson };
  }

  readonly json: { readonly id: string; readonly access: string };

  // Parsed back from the JSON, the claims are plain data detached from the action's objects, and
  // even a "__proto__" claim is an ordinary key.
  get idToken(): Record<string, unknown> {
    return ((this.parsed ??= {}).idToken ??= JSON.parse(this.json.id) as Record<string, unknown>);
  }

  get accessToken(): Record<string, unknown> {
    return ((this.parsed ??= {}).accessToken ??= JSON.parse(this.json.access) as Record<string, unknown>);
  }

  get userinfo(): Record<string, unknown> {
    return ((this.parsed ??= {}).userinfo ??= JSON.parse(this.json.id) as Record<string, unknown>);
  }
}

/** Compiles the code as a CommonJS module inside `context`, with the FAST_GLOBALS as parameters. */
function compileWrapper(code: string, filename: string, context: vm.Context): (...args: unknown[]) => void {
  const wrap = (globals: readonly string[]) =>
    new vm.Script(`(function (exports, require, module, __filename, __dirname${globals.map((g) => `, ${g}`).join("")}) {${code}\n})`, { filename });
  try {
    const values = vm.runInContext(`[${FAST_GLOBALS.join(", ")}]`, context) as unknown[];
    const fn = wrap(FAST_GLOBALS).runInContext(context) as (...args: unknown[]) => void;
    return (...args: unknown[]) => fn(...args, ...values);
  } catch (err) {
    // Code that declares one of those names itself (`const Buffer = ...`) can't take it as a
    // parameter: run it as written. A real syntax error is thrown again from there.
    if (describe(err).startsWith("SyntaxError")) return wrap([]).runInContext(context) as (...args: unknown[]) => void;
    throw err;
  }
}

/** The post-login api, built once; every call records into the login in progress. */
function postLoginApi(current: () => LoginState | undefined): unknown {
  const record = (token: "id" | "access") => (name: string, value: unknown) => void current()?.[token].set(String(name), value);
  const noop = () => undefined;
  return {
    access: {
      deny: (reason: unknown) => {
        const state = current();
        if (state && state.denied === null) state.denied = `api.access.deny: ${String(reason)}`;
      },
    },
    idToken: { setCustomClaim: record("id") },
    accessToken: { setCustomClaim: record("access"), addScope: noop, removeScope: noop },
    multifactor: { enable: noop },
    user: { setAppMetadata: noop, setUserMetadata: noop },
    redirect: { sendUserTo: noop, encodeToken: () => "", validateToken: () => ({}) },
    authentication: { challengeWith: noop, challengeWithAny: noop, enrollWith: noop, enrollWithAny: noop, recordMethod: noop, setPrimaryUser: noop },
    cache: { get: noop, set: () => ({ type: "success" }), delete: () => ({ type: "success" }) },
    session: { revoke: noop, setExpiresAt: noop, setIdleExpiresAt: noop },
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** A one-line description of anything thrown; never throws itself (an action can throw anything). */
function describe(err: unknown): string {
  try {
    if (err && typeof err === "object" && "message" in err) {
      const name = (err as { name?: unknown }).name;
      return `${typeof name === "string" ? name : "Error"}: ${String((err as { message: unknown }).message)}`;
    }
    return String(err);
  } catch {
    return "a value that can't be printed";
  }
}

/** The user's id as text, whatever the export holds there. */
function userId(user: ExportedUser): string {
  const id: unknown = user?.user_id;
  if (typeof id === "string") return id;
  if (id === undefined || id === null) return "";
  try {
    return JSON.stringify(id) ?? "";
  } catch {
    return "(unprintable user_id)";
  }
}
