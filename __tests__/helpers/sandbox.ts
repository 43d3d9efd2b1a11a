// Actions as the tests run them: loaded into one sandbox worker per test file (src/sandbox/host.ts),
// the only place action code runs, as the preview, the local tenant and the contract run it.
import { bundleDependencies } from "../../src/compile/dependencies";
import type { CompiledFlow } from "../../src/runtime/compiled-flow";
import type { PostLoginRuntimeOptions } from "../../src/runtime/post-login-runtime";
import type { ExportedUser, LoginContext, LoginOutcome } from "../../src/runtime/types";
import { Sandbox, type SandboxedFlow } from "../../src/sandbox/host";

/** One action of a test flow: its code and runtime options; `name` defaults to "action N". */
export type ActionSpec = Partial<PostLoginRuntimeOptions> & { readonly code: string; readonly name?: string };

/** A compiled flow of `actions` in order, their declared dependencies bundled; `timeoutMs` bounds the whole flow. */
export function testFlow(actions: readonly ActionSpec[], timeoutMs?: number): CompiledFlow {
  return {
    steps: actions.map(({ name, ...options }, i) => {
      const stepName = name ?? `action ${i + 1}`;
      const modules = bundleDependencies(options.code, options.dependencies ?? [], stepName);
      return { name: stepName, source: `${stepName}.js`, code: options.code, options: { ...options, modules } };
    }),
    timeoutMs,
  };
}

function isList(action: ActionSpec | readonly ActionSpec[]): action is readonly ActionSpec[] {
  return Array.isArray(action);
}

/**
 * A sandbox for this test file, closed after its tests: call at the top level of the file. `load`
 * loads one action (its options' timeoutMs bounding the login) or a flow of several.
 */
export function useSandbox() {
  let sandbox: Sandbox | undefined;
  afterAll(() => sandbox?.close());
  const get = () => (sandbox ??= new Sandbox());
  return {
    sandbox: get,
    load: (action: ActionSpec | readonly ActionSpec[], timeoutMs?: number): Promise<SandboxedFlow> =>
      get().load(isList(action) ? testFlow(action, timeoutMs) : testFlow([action], timeoutMs ?? action.timeoutMs)),
    /** Loads `action`, runs one login of `user`, unloads it. */
    once: async (action: ActionSpec, user: ExportedUser, context?: LoginContext): Promise<LoginOutcome> => {
      const flow = await get().load(testFlow([action], action.timeoutMs));
      try {
        return await flow.login(user, context);
      } finally {
        await flow.close();
      }
    },
  };
}

/** The sandbox of the test file that imports this helper (each file has its own module registry). */
const shared = useSandbox();

/** Loads one action, or a flow of several, into this test file's sandbox. */
export const loadInSandbox = shared.load;
/** Loads one action into this test file's sandbox, runs one login of `user`, unloads it. */
export const loginOnce = shared.once;
