// A local post-login runtime: loads an action's compiled code once into an isolated vm context and
// runs onExecutePostLogin per user with a post-login v3 event and api, then applies Auth0's claim
// rules to compute what the ID token, the access token and /userinfo would carry.
import { builtinModules, createRequire } from "node:module";
import { format } from "node:util";
import vm from "node:vm";
import { MAX_ACTION_CODE_BYTES } from "../compile-action";
import { ClaimContext, claimNameProblem, claimValueProblem, claimsBytes, MAX_CUSTOM_CLAIMS_BYTES, TokenName } from "./claim-rules";

/** Auth0 ends a flow after 20 s; the login fails. */
export const DEFAULT_TIMEOUT_MS = 20_000;

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
  readonly token: TokenName;
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
}

/** The action can't be deployed or loaded at all, so every login would fail. */
export class ActionLoadError extends Error {}

type Handler = (event: unknown, api: unknown) => unknown;
const PENDING = Symbol("pending");
const hostRequire = createRequire(__filename);
const BUILTINS = new Set(builtinModules);

export class PostLoginRuntime {
  private readonly handler: Handler;
  private readonly secrets: Readonly<Record<string, string>>;
  private readonly timeoutMs: number;
  private readonly client: { readonly client_id: string; readonly name: string };
  private readonly claimContext: ClaimContext;
  private logs: string[] = [];

  private constructor(handler: Handler, options: PostLoginRuntimeOptions) {
    this.handler = handler;
    this.secrets = Object.freeze({ ...(options.secrets ?? {}) });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = options.client ?? { client_id: "preview-client", name: "Preview" };
    this.claimContext = { audience: options.audience };
  }

  /** Loads the code once; throws ActionLoadError when Auth0 would refuse it or it fails to load. */
  static load(options: PostLoginRuntimeOptions): PostLoginRuntime {
    const bytes = Buffer.byteLength(options.code, "utf8");
    if (bytes > MAX_ACTION_CODE_BYTES) {
      throw new ActionLoadError(`action code is ${bytes} bytes; Auth0 refuses action code over ${MAX_ACTION_CODE_BYTES} bytes`);
    }
    const declared = new Set(options.dependencies ?? []);
    let runtime: PostLoginRuntime | undefined;
    const capture = (...args: unknown[]) => runtime?.logs.push(format(...args));
    const sandboxConsole = { log: capture, info: capture, warn: capture, error: capture, debug: capture };
    const sandboxRequire = (id: string): unknown => {
      const bare = id.startsWith("node:") ? id.slice(5) : id;
      if (BUILTINS.has(bare)) return hostRequire(id);
      const pkg = id.startsWith("@") ? id.split("/").slice(0, 2).join("/") : id.split("/")[0];
      if (!declared.has(pkg)) {
        throw new Error(`Cannot find module '${id}': it is not declared in the action's dependencies`);
      }
      return hostRequire(id);
    };
    const context = vm.createContext({
      console: sandboxConsole,
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
    const module = { exports: {} as Record<string, unknown> };
    const filename = options.filename ?? "action.js";
    try {
      const wrapper = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${options.code}\n})`, { filename });
      const fn = wrapper.runInContext(context) as (...args: unknown[]) => void;
      fn(module.exports, sandboxRequire, module, filename, ".");
    } catch (err) {
      throw new ActionLoadError(`action failed to load: ${describe(err)}`);
    }
    const handler = (module.exports as Record<string, unknown>).onExecutePostLogin;
    if (typeof handler !== "function") {
      throw new ActionLoadError("action does not export onExecutePostLogin: post-login actions need exports.onExecutePostLogin = async (event, api) => {...}");
    }
    runtime = new PostLoginRuntime(handler as Handler, options);
    return runtime;
  }

  /** Runs one login for `user`. Never throws: failures of the action become `denied`. */
  async login(user: ExportedUser): Promise<LoginOutcome> {
    const logs: string[] = (this.logs = []);
    const set: Record<TokenName, Map<string, unknown>> = { id: new Map(), access: new Map() };
    let denied: string | null = null;
    const event = this.event(user);
    const api = postLoginApi(set, (reason) => {
      if (denied === null) denied = `api.access.deny: ${reason}`;
    });
    try {
      const result = this.handler(event, api);
      if (isThenable(result)) {
        // Most handlers have settled by now; only a pending one pays for a timer.
        const first = await Promise.race([result, Promise.resolve(PENDING)]);
        if (first === PENDING) {
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise((_, reject) => {
            timer = setTimeout(() => reject(new TimeoutError()), this.timeoutMs);
          });
          try {
            await Promise.race([result, timeout]);
          } finally {
            clearTimeout(timer);
          }
        }
      }
    } catch (err) {
      denied =
        err instanceof TimeoutError
          ? `the action did not finish within ${this.timeoutMs} ms; Auth0 fails the login`
          : `the action threw ${describe(err)}; Auth0 fails the login`;
    }
    this.logs = [];
    const outcome = (idToken: Record<string, unknown>, accessToken: Record<string, unknown>, dropped: DroppedClaim[]): LoginOutcome => ({
      user_id: String(user.user_id ?? ""),
      denied,
      idToken,
      accessToken,
      userinfo: { ...idToken },
      dropped,
      logs,
    });
    if (denied !== null) return outcome({}, {}, []);
    const dropped: DroppedClaim[] = [];
    const idToken = this.keep("id", set.id, dropped);
    const accessToken = this.keep("access", set.access, dropped);
    for (const [token, claims] of [["ID", idToken], ["access", accessToken]] as const) {
      const bytes = claimsBytes(claims);
      if (bytes > MAX_CUSTOM_CLAIMS_BYTES) {
        denied = `the ${token} token's custom claims are ${bytes} bytes, over Auth0's ${MAX_CUSTOM_CLAIMS_BYTES}-byte limit; Auth0 fails the login`;
        return outcome({}, {}, dropped);
      }
    }
    return outcome(idToken, accessToken, dropped);
  }

  private keep(token: TokenName, claims: Map<string, unknown>, dropped: DroppedClaim[]): Record<string, unknown> {
    const kept: Record<string, unknown> = {};
    for (const [claim, value] of claims) {
      const reason = claimNameProblem(claim, token, this.claimContext) ?? claimValueProblem(value);
      if (reason === undefined) {
        Object.defineProperty(kept, claim, { value: JSON.parse(JSON.stringify(value)), enumerable: true, writable: true, configurable: true });
      } else {
        dropped.push({ token, claim, reason });
      }
    }
    return kept;
  }

  private event(user: ExportedUser): unknown {
    const metadata = (value: unknown) => (value === undefined ? {} : value);
    return {
      user: { ...user, app_metadata: metadata(user.app_metadata), user_metadata: metadata(user.user_metadata) },
      secrets: this.secrets,
      client: { client_id: this.client.client_id, name: this.client.name, metadata: {} },
      connection: { id: "con_preview", name: "Username-Password-Authentication", strategy: "auth0", metadata: {} },
      tenant: { id: "preview" },
      request: { ip: "127.0.0.1", hostname: "localhost", method: "GET", language: "en", user_agent: "preview", query: {}, body: {}, geoip: {} },
      transaction: {
        id: "preview",
        protocol: "oidc-basic-profile",
        requested_scopes: ["openid", "profile", "email"],
        prompt: ["login"],
        locale: "en",
        ui_locales: [],
      },
      authentication: { methods: [{ name: "pwd", timestamp: "1970-01-01T00:00:00.000Z" }] },
      authorization: { roles: [] },
      resource_server: this.claimContext.audience ? { identifier: this.claimContext.audience } : undefined,
      stats: { logins_count: 1 },
    };
  }
}

class TimeoutError extends Error {}

function postLoginApi(set: Record<TokenName, Map<string, unknown>>, deny: (reason: string) => void): unknown {
  const recorder = (token: TokenName) => ({
    setCustomClaim(name: string, value: unknown) {
      set[token].set(String(name), value);
    },
  });
  const noop = () => undefined;
  return {
    access: { deny: (reason: unknown) => deny(String(reason)) },
    idToken: recorder("id"),
    accessToken: { ...recorder("access"), addScope: noop, removeScope: noop },
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

function describe(err: unknown): string {
  if (err && typeof err === "object" && "message" in err) {
    const name = (err as { name?: unknown }).name;
    return `${typeof name === "string" ? name : "Error"}: ${String((err as { message: unknown }).message)}`;
  }
  return String(err);
}
