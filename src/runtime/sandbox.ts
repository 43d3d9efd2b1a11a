// Loads an action's compiled code into its own SES Compartment (Hardened JavaScript) as a CommonJS
// module. The realm must have been locked down first (src/sandbox/lockdown.ts, in a sandbox worker):
// then the shared intrinsics are frozen, Function and eval are tamed, and the code reaches only what
// this file hands it: its console (to the login's logs), timers owned by its login, a process stub,
// a fetch that refuses, and require() of a list of built-ins and of its declared npm dependencies,
// whose code (bundled by src/compile/dependencies.ts) runs in the same Compartment.
import { builtinModules, createRequire } from "node:module";
import { format } from "node:util";
import { ActionLoadError } from "../errors";
import { describe } from "./describe";
import { hostGlobals } from "./host-globals";
import { EffectsRecord, type OutboundCall } from "./effects";
import type { Handler, LoginState } from "./types";
import { packageOf } from "../package-name";

/**
 * Globals handed to the action as wrapper parameters: the Compartment's own values, read as local
 * variables instead of through SES's scope proxy, which made every `JSON` or `Object` lookup a proxy
 * trap, which slowed every handler (docs/measured.md#figures-behind-the-code). Code that declares one of these names itself runs without them.
 */
const FAST_GLOBALS = [
  "JSON",
  "Object",
  "Array",
  "Number",
  "String",
  "Boolean",
  "Math",
  "Promise",
  "Error",
  "TypeError",
  "Symbol",
  "Date",
  "RegExp",
  "Map",
  "Set",
  "Buffer",
  "console",
];

/**
 * Node's built-in modules an action may require: those that give no reach beyond the worker's own
 * memory. Refused: fs, child_process, net, http(s), dns, tls, dgram, http2 (files, processes and the
 * network), vm, worker_threads, module, inspector, v8 (a realm or a thread outside the sandbox), os,
 * process, diagnostics_channel, async_hooks, cluster and the rest (the host's state).
 */
const BUILTINS: ReadonlySet<string> = new Set([
  "assert",
  "buffer",
  "crypto",
  "events",
  "path",
  "punycode",
  "querystring",
  "stream",
  "string_decoder",
  "url",
  "util",
  "zlib",
  "timers",
]);

export interface LoadedAction {
  /** The action's exports.onExecutePostLogin. */
  readonly handler: Handler;
  /** Its exports.onContinuePostLogin, if it has one: what /continue runs after a redirect. */
  readonly continueHandler?: Handler;
}

/** The login the action's code runs for right now (set by the runtime): its console lines go there. */
export interface LoginSlot {
  state: LoginState | undefined;
}

export interface LoadOptions {
  /** Name shown in stack traces. */
  readonly filename: string;
  /** npm packages declared as the action's dependencies. */
  readonly dependencies: readonly string[];
  /** The declared dependencies the code requires, each bundled into one CommonJS module (by specifier). */
  readonly modules?: Readonly<Record<string, string>>;
  readonly slot: LoginSlot;
  /** Origins (scheme://host:port) fetch may reach; any other call is refused. @default none */
  readonly allowFetch?: readonly string[];
  /** The most a call may take (the login's time limit). @default 20000 */
  readonly callTimeoutMs?: number;
}

/** True once SES's lockdown() has run in this realm: the only realm actions may be loaded into. */
export function isLockedDown(): boolean {
  return (
    typeof globalThis.harden === "function" && Object.isFrozen(Object.prototype) && Object.isFrozen(Function.prototype)
  );
}

/** Loads `code` into a new Compartment; throws ActionLoadError when it fails to load or has no handler. */
export function loadAction(code: string, options: LoadOptions): LoadedAction {
  if (!isLockedDown()) {
    // A safety net, not a user error: action code is untrusted and runs only in a locked-down worker.
    throw new Error("actions run only in a sandbox worker (src/cli/sandbox-worker.ts): this realm is not locked down");
  }
  const compartment = new Compartment({ globals: sandboxGlobals(options.slot, outbound(options)), __options__: true });
  const globals = compartment.globalThis as Record<string, unknown>;
  // Node's alias, which npm packages test for; defined here since it must be this Compartment's own.
  Object.defineProperty(globals, "global", { value: globals, writable: true, configurable: true });
  const require = sandboxRequire(compartment, options);
  const module = { exports: {} as Record<string, unknown> };
  try {
    runModule(compartment, code, options.filename, module, require);
  } catch (err) {
    throw new ActionLoadError("ERR_ACTION_LOAD", `action failed to load: ${describe(err)}`);
  }
  const handler = module.exports.onExecutePostLogin;
  if (typeof handler !== "function") {
    throw new ActionLoadError(
      "ERR_ACTION_LOAD",
      "action does not export onExecutePostLogin: post-login actions need exports.onExecutePostLogin = async (event, api) => {...}",
    );
  }
  const continueHandler = module.exports.onContinuePostLogin;
  return {
    handler: handler as Handler,
    continueHandler: typeof continueHandler === "function" ? (continueHandler as Handler) : undefined,
  };
}

/** Runs `code` as a CommonJS module of `compartment` (`this` is module.exports, as in Node). */
function runModule(
  compartment: Compartment,
  code: string,
  filename: string,
  module: { exports: unknown },
  require: (id: string) => unknown,
): void {
  const wrap = (names: readonly string[]) =>
    `(function (exports, require, module, __filename, __dirname${names.map((g) => `, ${g}`).join("")}) {${code}\n})`;
  let fn: (...args: unknown[]) => unknown;
  let values: unknown[] = [];
  try {
    fn = compartment.evaluate(wrap(FAST_GLOBALS)) as typeof fn;
    values = compartment.evaluate(`[${FAST_GLOBALS.join(", ")}]`) as unknown[];
  } catch (err) {
    // Code that declares one of those names itself (`const Buffer = ...`) can't take it as a
    // parameter: run it as written. A real syntax error is thrown again from there.
    if (!describe(err).startsWith("SyntaxError")) throw err;
    fn = compartment.evaluate(wrap([])) as typeof fn;
  }
  Reflect.apply(fn, module.exports, [module.exports, require, module, filename, ".", ...values]);
}

/** require() as the action sees it: the allowed built-ins, its declared dependencies, nothing else. */
function sandboxRequire(compartment: Compartment, options: LoadOptions): (id: string) => unknown {
  const declared = new Set(options.dependencies);
  const loaded = new Map<string, unknown>();
  const require = (id: string): unknown => {
    if (typeof id !== "string") throw new TypeError(`require: the module id must be a string, got ${typeof id}`);
    const bare = id.startsWith("node:") ? id.slice(5) : id;
    if (bare === "process") return (compartment.globalThis as Record<string, unknown>).process;
    if (bare === "timers") return timersModule(compartment);
    if (BUILTINS.has(bare) || BUILTINS.has(bare.split("/")[0])) return builtin(bare);
    if (id.startsWith("node:") || isNodeBuiltin(bare)) {
      throw new Error(
        `Cannot load '${id}' in the local sandbox: it reaches files, processes, the network or the host; the sandbox allows ${[...BUILTINS].join(", ")} (see docs/sandbox.md)`,
      );
    }
    if (!declared.has(packageOf(id)))
      throw new Error(`Cannot find module '${id}': it is not declared in the action's dependencies`);
    if (loaded.has(id)) return (loaded.get(id) as { exports: unknown }).exports;
    const source = options.modules?.[id];
    if (source === undefined)
      throw new Error(
        `Cannot find module '${id}': the dependency is declared but was not bundled for the sandbox (a require() with a computed name?)`,
      );
    const module = { exports: {} as unknown };
    loaded.set(id, module);
    runModule(compartment, source, `${id} (bundled)`, module, require);
    return module.exports;
  };
  return harden(require);
}

const hostRequire = createRequire(__filename);
const NODE_BUILTINS: ReadonlySet<string> = new Set(builtinModules);
/** Captured once: an action may replace util.format on the module object it requires. */
const formatText = format;

function isNodeBuiltin(id: string): boolean {
  return NODE_BUILTINS.has(id) || NODE_BUILTINS.has(id.split("/")[0]);
}

const facades = new Map<string, unknown>();

/**
 * The built-in module `id`. A module that is an object comes as a frozen copy (crypto without
 * setEngine, which loads a native library from a path): an action can't replace what the worker or
 * another action calls. The classes inside are the worker's own (freezing them breaks Node).
 */
function builtin(id: string): unknown {
  const real = hostRequire(id) as Record<string, unknown>;
  if (typeof real === "function") return real;
  let facade = facades.get(id);
  if (facade === undefined) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(real)) {
      if (id === "crypto" && key === "setEngine") continue;
      Object.defineProperty(copy, key, { get: () => real[key], enumerable: true });
    }
    facade = Object.freeze(copy);
    facades.set(id, facade);
  }
  return facade;
}

function timersModule(compartment: Compartment): unknown {
  const g = compartment.globalThis as Record<string, unknown>;
  return Object.freeze({
    setTimeout: g.setTimeout,
    clearTimeout: g.clearTimeout,
    setInterval: g.setInterval,
    clearInterval: g.clearInterval,
    setImmediate: g.setImmediate,
    clearImmediate: g.clearImmediate,
  });
}

/** A timer as the action sees it: Node's Timeout methods, but no way into Node's timer lists. */
interface TimerHandle {
  ref(): TimerHandle;
  unref(): TimerHandle;
  hasRef(): boolean;
  refresh(): TimerHandle;
  [Symbol.toPrimitive](): number;
}

/**
 * fetch as the action sees it: a call to an --allow-fetch origin goes out (bounded by the login's
 * time limit, redirects not followed, so it can't be led to another origin); any other is refused,
 * naming the URL. Each call, its method, URL and status, is recorded in the login that made it.
 */
function outbound(options: LoadOptions): (slot: LoginSlot) => (input: unknown, init?: unknown) => Promise<unknown> {
  const allowed = new Set(options.allowFetch ?? []);
  const timeoutMs = options.callTimeoutMs ?? 20_000;
  return (slot) => (input, init) => {
    const owner = slot.state;
    const record = (call: OutboundCall) => owner && (owner.effects ??= new EffectsRecord()).call(call);
    const request =
      typeof input === "object" && input !== null && "url" in input
        ? (input as { url: unknown; method?: unknown })
        : undefined;
    const given = (init ?? {}) as RequestInit;
    const method = (
      typeof given.method === "string" ? given.method : typeof request?.method === "string" ? request.method : "GET"
    ).toUpperCase();
    let url: URL;
    try {
      url = new URL(String(request?.url ?? input));
    } catch {
      return refuse(new TypeError(`fetch ${String(input)}: not an absolute URL`));
    }
    if (!allowed.has(url.origin)) {
      record({ method, url: url.href, status: "refused" });
      const why =
        allowed.size === 0
          ? "the local sandbox makes no network calls (allow an origin with --allow-fetch)"
          : `${url.origin} is not an --allow-fetch origin`;
      return refuse(new TypeError(`fetch ${url.href}: ${why}`));
    }
    const signal = given.signal
      ? AbortSignal.any([given.signal, AbortSignal.timeout(timeoutMs)])
      : AbortSignal.timeout(timeoutMs);
    return fetch(request ? (input as Request) : url.href, { ...given, redirect: "manual", signal }).then(
      (response) => {
        record({ method, url: url.href, status: response.status });
        return response;
      },
      (err: unknown) => {
        record({ method, url: url.href, status: `failed: ${describe(err)}` });
        throw err;
      },
    );
  };
}

/** A rejected promise the action may never await: handled here too, so it leaves no unhandled rejection. */
function refuse(err: Error): Promise<never> {
  const refused = Promise.reject(err);
  refused.catch(() => undefined);
  return refused;
}

/** What the action sees as its globals: console captured, timers owned by the login, no network but its allowed origins, no process. */
function sandboxGlobals(slot: LoginSlot, fetchFor: ReturnType<typeof outbound>): Record<string, unknown> {
  const capture = (...args: unknown[]) => void slot.state?.logs.push(formatText(...args));
  // A callback runs as the login that set it: what it prints goes to that login's logs, not to the
  // login running when it fires (a later user's). A throw fails that login if it is still running,
  // as an uncaught exception fails an execution in Auth0; it never ends the worker.
  const owned = (callback: unknown): ((...args: unknown[]) => unknown) => {
    if (typeof callback !== "function")
      throw new TypeError(`The "callback" argument must be of type function. Received ${typeof callback}`);
    const owner = slot.state;
    return (...args: unknown[]) => {
      const running = slot.state;
      slot.state = owner;
      try {
        return Reflect.apply(callback, undefined, args) as unknown;
      } catch (err) {
        if (owner !== undefined && owner.denied === null)
          owner.denied = `the action threw ${describe(err)} in a callback; Auth0 fails the login`;
        return undefined;
      } finally {
        slot.state = running;
      }
    };
  };
  const timers = new Map<number, { handle: NodeJS.Timeout | NodeJS.Immediate; clear: (h: never) => void }>();
  let next = 1;
  const track = (handle: NodeJS.Timeout | NodeJS.Immediate, clear: (h: never) => void): TimerHandle => {
    const id = next++;
    timers.set(id, { handle, clear });
    const timer = handle as NodeJS.Timeout;
    const view: TimerHandle = {
      ref: () => (timer.ref?.(), view),
      unref: () => (timer.unref?.(), view),
      hasRef: () => timer.hasRef?.() ?? true,
      refresh: () => (timer.refresh?.(), view),
      [Symbol.toPrimitive]: () => id,
    };
    return Object.freeze(view);
  };
  const untrack = (value: unknown) => {
    const id = typeof value === "number" ? value : typeof value === "object" && value !== null ? Number(value) : NaN;
    const entry = timers.get(id);
    if (entry === undefined) return;
    timers.delete(id);
    entry.clear(entry.handle as never);
  };
  const once = (
    schedule: (cb: () => void) => NodeJS.Timeout | NodeJS.Immediate,
    clear: (h: never) => void,
    callback: unknown,
    args: unknown[],
  ): TimerHandle => {
    const run = owned(callback);
    // A timer's callback runs on a later turn, when `view` is set.
    const view: TimerHandle = track(
      schedule(() => {
        timers.delete(Number(view));
        run(...args);
      }),
      clear,
    );
    return view;
  };
  const delay = (ms: unknown) => (typeof ms === "number" ? ms : Number(ms));
  const process = {
    env: {},
    nextTick: (callback: unknown, ...args: unknown[]) => queueMicrotask(() => void owned(callback)(...args)),
  };
  return {
    console: harden({ log: capture, info: capture, warn: capture, error: capture, debug: capture, trace: capture }),
    // The host's classes, hardened (frozen with their prototypes) by the worker at its start
    // (src/sandbox/lockdown.ts): shared by every action of the worker and by its own code.
    ...hostGlobals(),
    setTimeout: (callback: unknown, ms?: unknown, ...args: unknown[]) =>
      once((cb) => setTimeout(cb, delay(ms)), clearTimeout, callback, args),
    clearTimeout: untrack,
    setInterval: (callback: unknown, ms?: unknown, ...args: unknown[]) => {
      const run = owned(callback);
      return track(
        setInterval(() => run(...args), delay(ms)),
        clearInterval,
      );
    },
    clearInterval: untrack,
    setImmediate: (callback: unknown, ...args: unknown[]) =>
      once((cb) => setImmediate(cb), clearImmediate, callback, args),
    clearImmediate: untrack,
    queueMicrotask: (callback: unknown) => queueMicrotask(owned(callback)),
    structuredClone,
    fetch: fetchFor(slot),
    // Date and Math as the host has them: a Compartment's own have no clock and no randomness.
    Date,
    Math,
    process,
  };
}
