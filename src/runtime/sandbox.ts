// Loads an action's compiled code into an isolated vm context as a CommonJS module: its console goes
// to the login's logs, require() reaches only Node's built-ins and the declared npm dependencies.
import { builtinModules, createRequire } from "node:module";
import { format } from "node:util";
import vm from "node:vm";
import { ActionLoadError } from "../errors";
import { describe } from "./describe";
import type { Handler, LoginState } from "./types";

const hostRequire = createRequire(__filename);
const BUILTINS = new Set(builtinModules);
/**
 * Globals handed to the action as wrapper parameters: the context's own objects, so behaviour is the
 * same, but read as local variables instead of through node's vm global interceptor, which made
 * every `JSON` or `Object` lookup a call into C++ (3x slower handlers).
 */
const FAST_GLOBALS = ["JSON", "Object", "Array", "Number", "String", "Boolean", "Math", "Promise", "Error", "TypeError", "Symbol", "Date", "RegExp", "Map", "Set", "Buffer", "console"];

export interface LoadedAction {
  /** The action's exports.onExecutePostLogin. */
  readonly handler: Handler;
}

/** The login the action's code runs for right now (set by the runtime): its console lines go there. */
export interface LoginSlot {
  state: LoginState | undefined;
}

/** Loads `code`; console lines go to `slot`'s login. Throws ActionLoadError when it fails to load or has no handler. */
export function loadAction(code: string, options: { filename: string; dependencies: readonly string[]; slot: LoginSlot }): LoadedAction {
  const declared = new Set(options.dependencies);
  const globals = sandboxGlobals(options.slot);
  const sandboxRequire = (id: string): unknown => {
    const bare = id.startsWith("node:") ? id.slice(5) : id;
    // The same stub as the global: the real one would let an action end the preview or the tenant.
    if (bare === "process") return globals.process;
    if (BUILTINS.has(bare)) return hostRequire(id);
    const pkg = id.startsWith("@") ? id.split("/").slice(0, 2).join("/") : id.split("/")[0];
    if (!declared.has(pkg)) throw new Error(`Cannot find module '${id}': it is not declared in the action's dependencies`);
    return hostRequire(id);
  };
  const context = vm.createContext(globals);
  const filename = options.filename;
  const module = { exports: {} as Record<string, unknown> };
  try {
    compileWrapper(code, filename, context)(module.exports, sandboxRequire, module, filename, ".");
  } catch (err) {
    throw new ActionLoadError(`action failed to load: ${describe(err)}`);
  }
  const handler = module.exports.onExecutePostLogin;
  if (typeof handler !== "function") {
    throw new ActionLoadError("action does not export onExecutePostLogin: post-login actions need exports.onExecutePostLogin = async (event, api) => {...}");
  }
  return { handler: handler as Handler };
}

/** What the action sees as its globals: Node's, but console captured, timers owned, no network. */
function sandboxGlobals(slot: LoginSlot): Record<string, unknown> {
  const capture = (...args: unknown[]) => void slot.state?.logs.push(format(...args));
  // A timer's callback runs as the login that set it: what it prints goes to that login's logs, not
  // to the login running when it fires (a later user's). A timer set outside any login prints nowhere.
  const owned = (callback: unknown): unknown => {
    if (typeof callback !== "function") return callback;
    const owner = slot.state;
    return (...args: unknown[]) => {
      const running = slot.state;
      slot.state = owner;
      try {
        return callback(...args);
      } finally {
        slot.state = running;
      }
    };
  };
  return {
    console: { log: capture, info: capture, warn: capture, error: capture, debug: capture },
    Buffer,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
    setTimeout: (callback: unknown, ...rest: unknown[]) => (setTimeout as (...a: unknown[]) => unknown)(owned(callback), ...rest),
    clearTimeout,
    setInterval: (callback: unknown, ...rest: unknown[]) => (setInterval as (...a: unknown[]) => unknown)(owned(callback), ...rest),
    clearInterval,
    setImmediate: (callback: unknown, ...rest: unknown[]) => (setImmediate as (...a: unknown[]) => unknown)(owned(callback), ...rest),
    clearImmediate,
    queueMicrotask,
    structuredClone,
    fetch: () => {
      const refused = Promise.reject(new Error("fetch is not available in the local preview"));
      // Handled here too: an action that never awaits its fetch must not end the process.
      refused.catch(() => undefined);
      return refused;
    },
    process: { env: {} },
  };
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
