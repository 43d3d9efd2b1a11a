// Locks down the realm of a sandbox worker thread (SES, Hardened JavaScript): every shared JavaScript
// intrinsic frozen, Function and eval tamed, so code run in a Compartment reaches only what it is
// handed. Imported first by the worker's entry (src/cli/sandbox-worker.ts), so that every other module
// of the bundle is evaluated in the locked-down realm. docs/sandbox.md says what this guarantees.
import "ses";
import { hostGlobals } from "../runtime/host-globals";

lockdown({
  // Error stacks stay readable (the login's reason names where an action threw); a Compartment still
  // can't reach V8's stack-trace hooks.
  errorTaming: "unsafe",
  // The worker's own console is not handed to actions (they get one that writes to their login's logs).
  consoleTaming: "unsafe",
  // Uncaught errors and rejections are the worker's to handle (src/sandbox/login-worker.ts), not SES's
  // reporter's: it would print to the worker's stdout, the preview's --json output.
  errorTrapping: "none",
  unhandledRejectionTrapping: "none",
  reporting: "none",
  // toLocaleString and friends as Node runs them in Auth0, not SES's locale-free versions: no
  // authority is involved, only output that must match.
  localeTaming: "unsafe",
  // Assignments that would otherwise hit a frozen prototype's property (the "override mistake", e.g.
  // `this.name = "X"` in an Error subclass) keep working, as in Node.
  overrideTaming: "moderate",
});

// The host classes every action gets as globals: frozen with their prototypes, so no action can
// change what the worker's own code (batches are decoded and spooled with Buffer) or another action
// calls. Node's built-in modules are not frozen (their EventEmitter prototypes would break Node):
// an action gets a frozen copy of a module object instead (src/runtime/sandbox.ts).
harden(Object.values(hostGlobals()));
