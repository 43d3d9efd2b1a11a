// The one error family of this project's tools: each error carries the exit code its CLI ends with,
// and a message that names the field, the value and the fix. Library code throws these; the CLIs
// print `<command>: <message>` and exit with `exitCode` (see src/command-line.ts).

/** Base of every foreseeable failure: a one-line message and the exit code to end with. */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, variables, files or input: exit 2, and nothing written to stdout. */
export class UsageError extends ToolError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A tenant, a server or a token that can't be reached or fails its checks: exit 3. */
export class AuthError extends ToolError {
  constructor(message: string) {
    super(message, 3);
  }
}

/** An action's code that can't be loaded (too large, fails to load, no handler): bad input, exit 2. */
export class ActionLoadError extends UsageError {}

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

/**
 * A sandbox worker that stopped (ran out of memory, crashed, or was ended by its deadline while
 * loading): the run can't be trusted to be complete, so it fails, exit 2, naming the action.
 */
export class SandboxError extends ToolError {
  constructor(message: string) {
    super(message, 2);
  }
}
