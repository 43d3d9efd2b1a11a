// The one error family of this project's tools. Every foreseeable failure is a ToolError with a
// stable `code` from ERROR_CODES, which fixes its exit status; the message names the field, the value
// and the fix. docs/errors.md says, per code, what it means and what to do (__tests__/error-codes.test.ts
// keeps the two in step). Every command ends through commandExit (src/command-line.ts), which prints
// `<command>: <message>` and exits with the code's status.

/**
 * Every code a tool reports, with the exit status it ends with. A code names one cause a pipeline may
 * branch on; the message says the rest. `verdict: true`: a result verify reports (its --json `code`),
 * never thrown.
 */
export const ERROR_CODES = {
  // Flags and input: exit 2, nothing written.
  ERR_USAGE: { exit: 2 }, // a flag unknown, missing, malformed or out of range, or two that don't go together
  ERR_INPUT_UNREADABLE: { exit: 2 }, // a file that can't be opened or read whole
  ERR_INPUT_INVALID: { exit: 2 }, // a file read whole that is not what the flag takes (the line named when known)
  ERR_INPUT_TOO_LARGE: { exit: 2 }, // a file, line or gzip past its size limit
  ERR_USER_UNKNOWN: { exit: 2 }, // verify --users: the user who logged in is not in the file
  ERR_EXPECTATION: { exit: 2 }, // verify: the expected claims can't be computed from the source given
  ERR_SECRET_MISSING: { exit: 2 }, // an action's secret with no value
  ERR_SECRET_TOO_LONG: { exit: 2 }, // a secret's value longer than Auth0 takes
  ERR_SECRETS_FILE: { exit: 2 }, // a --secrets-file line that is not NAME=VALUE, or sets a name twice
  ERR_TRIGGER_UNSUPPORTED: { exit: 2 }, // a flow of a trigger other than post-login, asked to run locally
  ERR_TMPDIR: { exit: 2 }, // preview --json: TMPDIR can't hold the output until the input is read
  ERR_OUTPUT_FILE: { exit: 2 }, // a file a flag names can't be written
  ERR_TERRAFORM_MISSING: { exit: 2 }, // terraform is not on PATH
  ERR_PORT_IN_USE: { exit: 2 }, // local tenant: the port is taken
  ERR_CERT_DIR: { exit: 2 }, // local tenant: --cert-dir can't be written, or its CA key is open to others
  ERR_LOCAL_DEPLOY: { exit: 2 }, // local tenant: an action its Actions API refuses
  // The configuration (src/environments.ts, construct props): exit 2, at synth.
  ERR_STACK_NAME: { exit: 2 },
  ERR_BACKEND: { exit: 2 },
  ERR_NAMESPACE_INVALID: { exit: 2 }, // not an http(s) URL, or holds a space or control character
  ERR_NAMESPACE_RESERVED: { exit: 2 }, // auth0.com, webtask.io, webtask.run, urn:auth0
  ERR_NAMESPACE_VARIABLE: { exit: 2 },
  ERR_CLAIM_KEY: { exit: 2 },
  ERR_TOKEN_KIND: { exit: 2 },
  ERR_FLOW_MODE: { exit: 2 },
  ERR_FLOW_ACTIONS: { exit: 2 }, // none, too many, one listed twice, or written for another trigger
  ERR_HAND_BOUND: { exit: 2 }, // an action bound by hand: in append mode, or without an id or name
  ERR_RESOURCE_NAME: { exit: 2 },
  ERR_ACTION_ENTRY: { exit: 2 },
  ERR_ACTION_NAME: { exit: 2 },
  ERR_ACTION_RUNTIME: { exit: 2 },
  ERR_ACTION_TRIGGER: { exit: 2 },
  ERR_ACTION_SECRETS: { exit: 2 },
  ERR_ACTION_DEPENDENCIES: { exit: 2 },
  ERR_ADOPT_ID: { exit: 2 },
  // An action's code: exit 2.
  ERR_ACTION_COMPILE: { exit: 2 }, // esbuild can't compile it, or its output names this machine
  ERR_ACTION_TOO_LARGE: { exit: 2 }, // over Auth0's 100,000 bytes
  ERR_ACTION_LOAD: { exit: 2 }, // fails to load, never finishes loading, or exports no handler
  ERR_DEPENDENCY_BUNDLE: { exit: 2 }, // a declared npm dependency that can't be bundled for the sandbox
  ERR_SANDBOX_STOPPED: { exit: 2 }, // a sandbox worker ran out of memory or crashed: the run is incomplete
  // Reaching a server: exit 3.
  ERR_TIMEOUT: { exit: 3 }, // no answer (or no login) within --timeout
  ERR_UNREACHABLE: { exit: 3 },
  ERR_TLS: { exit: 3 }, // an untrusted certificate, or https to a plain-http server
  ERR_BODY_TOO_LARGE: { exit: 3 }, // an answer over 1 MiB
  ERR_ANSWER_INVALID: { exit: 3 }, // an answer that is not what the protocol says (not JSON, not a JWKS, ...)
  ERR_CALLBACK_LISTEN: { exit: 3 }, // verify can't listen on the redirect URI for the callback
  ERR_REGISTRY_UNREACHABLE: { exit: 3 }, // the Terraform registry can't be reached
  // A tenant that refuses, or a token that fails its checks: exit 3.
  ERR_DISCOVERY: { exit: 3 },
  ERR_ISSUER_MISMATCH: { exit: 3 }, // discovery names another issuer than --domain
  ERR_LOGIN_REFUSED: { exit: 3 },
  ERR_TOKEN_MISSING: { exit: 3 },
  ERR_TOKEN_FORMAT: { exit: 3 }, // not a JWT
  ERR_TOKEN_SIGNATURE: { exit: 3 }, // unsigned, an algorithm a tenant doesn't use, or no key of the JWKS
  ERR_TOKEN_ISSUER: { exit: 3 },
  ERR_TOKEN_AUDIENCE: { exit: 3 },
  ERR_TOKEN_EXPIRED: { exit: 3 },
  ERR_TOKEN_CLOCK: { exit: 3 }, // iat or nbf in the future
  ERR_TOKEN_NONCE: { exit: 3 },
  ERR_TOKEN_SUBJECT: { exit: 3 }, // no sub, or tokens for different subjects
  ERR_TOKEN_INVALID: { exit: 3 }, // any other failed check
  ERR_USERINFO_REFUSED: { exit: 3 },
  ERR_IDENTITY_MISMATCH: { exit: 3 }, // who logged in is not who the tokens or records are for
  ERR_MANAGEMENT_REFUSED: { exit: 3 },
  // The provider lock: exit 1.
  ERR_LOCK_FILE: { exit: 1 },
  ERR_PROVIDER_CONSTRAINT: { exit: 1 },
  ERR_TERRAFORM_FAILED: { exit: 1 },
  // Results, not failures: verify's verdicts other than MATCH.
  ERR_CLAIMS_MISMATCH: { exit: 1, verdict: true },
  ERR_DRIFT: { exit: 1, verdict: true },
  ERR_NOT_CHECKED: { exit: 4, verdict: true },
  // preview's verdict when the flow under review can't load: Auth0 would deny every login.
  ERR_EVERY_LOGIN_DENIED: { exit: 1, verdict: true },
} as const satisfies Record<`ERR_${string}`, { readonly exit: 1 | 2 | 3 | 4; readonly verdict?: true }>;

/** A failure that is none of the above: a bug. Its exit status is the command's (see commandExit). */
export const INTERNAL_ERROR = "ERR_INTERNAL";

export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes a ToolError can carry (the verdicts are results, never thrown). */
export type ThrownCode = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends { verdict: true } ? never : C }[ErrorCode];
/** The thrown codes of exit status `E`. */
export type CodeOfExit<E extends number> = {
  [C in ThrownCode]: (typeof ERROR_CODES)[C]["exit"] extends E ? C : never;
}[ThrownCode];

/**
 * Base of every foreseeable failure: a stable code, the exit status it fixes, a one-line message, and
 * (`detail`) lines printed below it, such as a command's usage or a tool's own output.
 */
export abstract class ToolError extends Error {
  readonly exitCode: number;
  readonly detail?: string;

  protected constructor(
    readonly code: ThrownCode,
    message: string,
    options: { readonly detail?: string } = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.exitCode = ERROR_CODES[code].exit;
    this.detail = options.detail;
  }
}

/** Bad flags, variables, files or input: exit 2, and nothing written to stdout. */
export class UsageError extends ToolError {
  declare readonly code: CodeOfExit<2>;

  constructor(code: CodeOfExit<2>, message: string, options?: { readonly detail?: string }) {
    super(code, message, options);
  }
}

/** An action's code that can't be loaded (too large, fails to load, no handler): bad input, exit 2. */
export class ActionLoadError extends ToolError {
  declare readonly code: CodeOfExit<2>;

  constructor(code: CodeOfExit<2>, message: string) {
    super(code, message);
  }
}

/**
 * A sandbox worker that stopped (ran out of memory, crashed, or was ended by its deadline while
 * loading): the run can't be trusted to be complete, so it fails, exit 2, naming the action.
 */
export class SandboxError extends ToolError {
  declare readonly code: CodeOfExit<2>;

  constructor(code: CodeOfExit<2>, message: string) {
    super(code, message);
  }
}

/** A server that can't be reached, answers too late, too much, or not in its protocol: exit 3. */
export class NetworkError extends ToolError {
  declare readonly code: CodeOfExit<3>;

  constructor(code: CodeOfExit<3>, message: string) {
    super(code, message);
  }
}

/** A tenant that refuses a login or a token, or a token that fails its checks: exit 3. */
export class AuthError extends ToolError {
  declare readonly code: CodeOfExit<3>;

  constructor(code: CodeOfExit<3>, message: string) {
    super(code, message);
  }
}

/** The provider lock can't be made or trusted (npm run lock, and every synthesis): exit 1. */
export class LockError extends ToolError {
  declare readonly code: CodeOfExit<1>;

  constructor(code: CodeOfExit<1>, message: string, options?: { readonly detail?: string }) {
    super(code, message, options);
  }
}

/**
 * `text` with control characters (C0, DEL, C1, and the line/paragraph separators) written as escapes,
 * so a message that quotes input can't move the cursor, recolour or rewrite the terminal.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * `value` as one line of JSON that is safe on a terminal: JSON.stringify leaves DEL, the C1 controls
 * and U+2028/U+2029 as they are; here they are \u escapes too, which a JSON reader decodes back.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** A failure said as one JSON line, as a command run with --json says it on stderr. */
export function errorJson(
  command: string,
  code: ErrorCode | typeof INTERNAL_ERROR,
  exit: number,
  message: string,
): string {
  return jsonLine({ command, code, exit, error: message });
}

/** A value quoted for a message: JSON-quoted strings, control characters escaped, long values cut. */
export function quote(value: unknown, max = 200): string {
  const text = typeof value === "string" ? JSON.stringify(value) : String(value);
  const safe = escapeControl(text);
  return safe.length > max ? `${safe.slice(0, max - 3)}...` : safe;
}

/** `text` safe inside HTML: the five characters that could end an element or an attribute, as entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
