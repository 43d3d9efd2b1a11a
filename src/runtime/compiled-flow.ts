// A post-login flow compiled but not loaded: plain data that crosses into a sandbox worker thread
// (src/sandbox/), the only place where its actions' code is loaded and run.
import { FlowRuntime } from "./flow-runtime";
import { PostLoginRuntime, type PostLoginRuntimeOptions } from "./post-login-runtime";

/** One action of a compiled flow. */
export interface CompiledStep {
  /** The action's name, used in the reason of a login it fails. */
  readonly name: string;
  /** Where its code comes from, for reports. */
  readonly source: string;
  /** The compiled code: the bytes of auth0_action.code. */
  readonly code: string;
  readonly options: PostLoginRuntimeOptions;
  /** Its npm dependencies as declared (with versions), for a deploy. @default - the names in options, unversioned */
  readonly dependencies?: readonly { readonly name: string; readonly version: string }[];
}

/** A flow's actions in the order they run, compiled (esbuild runs once, outside the sandbox). */
export interface CompiledFlow {
  readonly steps: readonly CompiledStep[];
  /** The whole flow's time limit. @default Auth0's 20 s */
  readonly timeoutMs?: number;
}

/** Hears which action of a flow loads, and later runs: the sandbox's pulse (src/sandbox/pulse.ts). */
export interface FlowPulse {
  loading(step: number): void;
  step(step: number): void;
}

/**
 * Loads a compiled flow into the local runtime; throws ActionLoadError when an action can't load.
 * Only in a sandbox worker (src/runtime/sandbox.ts refuses anywhere else).
 */
export function loadCompiledFlow(flow: CompiledFlow, pulse?: FlowPulse): FlowRuntime {
  const steps = flow.steps.map(({ name, options }, i) => {
    pulse?.loading(i);
    return { name, runtime: PostLoginRuntime.load(options) };
  });
  return new FlowRuntime(steps, flow.timeoutMs, pulse);
}
