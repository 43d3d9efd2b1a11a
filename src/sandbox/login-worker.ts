// The worker side of a Sandbox (host.ts): loads compiled flows into the locked-down realm when told,
// then runs the logins its host sends, one at a time, telling the pulse which flow and action run so
// that the host can end a login (or a load) stuck in code that never yields.
import { parentPort, workerData } from "node:worker_threads";
import { ActionLoadError } from "../errors";
import { type CompiledFlow, loadCompiledFlow } from "../runtime/compiled-flow";
import type { ContinueRequest, FlowRuntime } from "../runtime/flow-runtime";
import { describe } from "../runtime/describe";
import type { ExportedUser, LoginContext, LoginOutcome } from "../runtime/types";
import { Pulse } from "./pulse";

export const LOGINS_KIND = "claims-sandbox-logins";

export interface LoginWorkerData {
  readonly kind: typeof LOGINS_KIND;
  readonly pulse: SharedArrayBuffer;
}

/** What the host asks: load a flow under a number, run a login of one, resume a login a redirect paused, or forget a flow. */
export type WorkerRequest =
  | { readonly id: number; readonly load: CompiledFlow; readonly flow: number }
  | { readonly id: number; readonly login: ExportedUser; readonly flow: number; readonly context: LoginContext }
  | {
      readonly id: number;
      readonly resume: string;
      readonly flow: number;
      readonly user: ExportedUser;
      readonly request: ContinueRequest;
    }
  | { readonly id: number; readonly unload: number };

/**
 * The answer to request `id`: done, a login's outcome, an action of the flow that can't load (its
 * place in the flow), no login paused with that state, or a failure of the worker's own (a bug:
 * never the action's doing).
 */
export type WorkerAnswer =
  | { readonly id: number; readonly done: true }
  | { readonly id: number; readonly notPaused: true }
  | { readonly id: number; readonly outcome: LoginOutcome }
  | { readonly id: number; readonly loadError: string; readonly code: ActionLoadError["code"]; readonly step: number }
  | { readonly id: number; readonly failure: string };

/** Loads flow number `which` under `pulse`, which hears which action loads and, later, runs. */
export function loadUnderPulse(flow: CompiledFlow, pulse: Pulse, which: number): FlowRuntime {
  const runtime = loadCompiledFlow(flow, {
    loading: (step) => pulse.loading(which, step),
    step: (step) => pulse.step(step),
  });
  pulse.idle();
  return runtime;
}

export function serveLogins(): void {
  const port = parentPort!;
  const pulse = new Pulse((workerData as LoginWorkerData).pulse);
  const flows = new Map<number, FlowRuntime>();
  const answer = async (request: WorkerRequest): Promise<WorkerAnswer> => {
    if ("unload" in request) {
      flows.delete(request.unload);
      return { id: request.id, done: true };
    }
    if ("load" in request) {
      try {
        flows.set(request.flow, loadUnderPulse(request.load, pulse, request.flow));
      } catch (err) {
        if (!(err instanceof ActionLoadError)) throw err;
        const step = pulse.read().step;
        pulse.idle();
        return { id: request.id, loadError: err.message, code: err.code, step };
      }
      return { id: request.id, done: true };
    }
    const runtime = flows.get(request.flow);
    if (runtime === undefined) throw new Error(`sandbox worker: no flow ${request.flow} is loaded`);
    pulse.login(request.flow);
    let outcome =
      "resume" in request
        ? runtime.resume(request.resume, request.user, request.request)
        : runtime.loginNow(request.login, request.context);
    if (outcome === undefined) {
      pulse.idle();
      return { id: request.id, notPaused: true };
    }
    if (outcome instanceof Promise) outcome = await outcome;
    pulse.idle();
    return { id: request.id, outcome };
  };
  // One request at a time, in the order sent (the host sends one at a time anyway); every request
  // gets an answer, so the host never waits for one that can't come.
  let queue: Promise<void> = Promise.resolve();
  port.on("message", (request: WorkerRequest) => {
    queue = queue.then(async () => {
      let reply: WorkerAnswer;
      try {
        reply = await answer(request);
      } catch (err) {
        pulse.idle();
        reply = { id: request.id, failure: describe(err) };
      }
      port.postMessage(reply);
    });
  });
}
