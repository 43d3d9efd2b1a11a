// What every CLI here does the same way: `--help`/`-h` prints the whole usage on stdout and exits 0
// with no side effect; an unknown flag or a bad value exits 2 with the usage; and every command ends
// through commandExit, which maps a failure to its exit status and says it in one escaped line on
// stderr (docs/errors.md), never with a stack trace.
import { parseArgs } from "node:util";
import { errorJson, escapeControl, INTERNAL_ERROR, ToolError, UsageError } from "./errors";

type OptionSpec = { type: "string" | "boolean"; short?: string; default?: string | boolean; multiple?: boolean };
type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K] extends { multiple: true }
      ? string[] | undefined
      : O[K] extends { default: string }
        ? string
        : string | undefined;
};

export interface Command<O extends Record<string, OptionSpec>> {
  /** As typed by a user, e.g. "preview" for `npm run preview`. */
  readonly name: string;
  /** The full usage: the synopsis, then one line per flag. Printed by --help. */
  readonly usage: string;
  readonly options: O;
}

/** Where a CLI writes: the process's streams, or a test's. */
export interface Output {
  write(text: string): unknown;
}

/**
 * Parses `argv` against `command.options`. Returns undefined when --help was asked for (the usage is
 * then already printed on `stdout`); throws UsageError (exit 2, with the usage) for an unknown flag or a bad value.
 */
export function readCommandLine<O extends Record<string, OptionSpec>>(
  command: Command<O>,
  argv: string[] = process.argv.slice(2),
  stdout: Output = process.stdout,
): Values<O> | undefined {
  if (argv.includes("--help") || argv.includes("-h")) {
    stdout.write(command.usage.trimEnd() + "\n");
    return undefined;
  }
  try {
    const { values } = parseArgs({ args: argv, options: command.options, strict: true, allowPositionals: false }) as {
      values: Record<string, unknown>;
    };
    // A boolean flag that was not given is false, so callers never see undefined for one.
    for (const [flag, spec] of Object.entries(command.options))
      if (spec.type === "boolean" && values[flag] === undefined) values[flag] = false;
    return values as unknown as Values<O>;
  } catch (err) {
    throw new UsageError("ERR_USAGE", (err as Error).message, { detail: command.usage });
  }
}

export interface ExitOptions {
  /** The exit status of a failure that is no ToolError (a bug): one a command's results never use. @default 1 */
  readonly unexpected?: number;
  /** Where the failure is said. @default process.stderr */
  readonly stderr?: Output;
  /** Whether the failure is said as one JSON object, for a command run with --json. @default false */
  readonly json?: boolean;
  /**
   * Applied to everything said (verify removes its secrets). A bug's stack is then never printed,
   * even with CLAIMS_DEBUG=1: it could hold what the filter is not told of.
   */
  readonly filter?: (text: string) => string;
}

/**
 * The one way every command ends: runs `main` and returns its exit status. A ToolError is said as
 * `<name>: <message>` (control characters escaped; its detail, such as the usage, on the lines below),
 * or with `json` as {"command","code","exit","error"}, and ends with its code's status; anything else
 * is a bug: said the same way with code ERR_INTERNAL, exit `unexpected`, the stack only with CLAIMS_DEBUG=1.
 */
export function commandExit(
  name: string,
  main: () => Promise<number | void> | number | void,
  options: ExitOptions = {},
): Promise<number> {
  const { unexpected = 1, stderr = process.stderr, json = false, filter = (text: string) => text } = options;
  return Promise.resolve()
    .then(main)
    .then(
      (code) => (typeof code === "number" ? code : 0),
      (err: unknown) => {
        const known = err instanceof ToolError ? err : undefined;
        const exit = known?.exitCode ?? unexpected;
        const message = known
          ? known.message
          : `unexpected error: ${err instanceof Error ? err.message : String(err)} (a bug: please report it${options.filter ? "" : "; CLAIMS_DEBUG=1 shows the stack"})`;
        if (json) stderr.write(filter(errorJson(name, known?.code ?? INTERNAL_ERROR, exit, message)) + "\n");
        else {
          const detail = known?.detail?.trimEnd().split("\n").map(escapeControl).join("\n");
          stderr.write(filter(`${name}: ${escapeControl(message)}\n${detail ? `${detail}\n` : ""}`));
        }
        if (!known && !options.filter && process.env.CLAIMS_DEBUG === "1" && err instanceof Error)
          stderr.write(`${err.stack}\n`);
        return exit;
      },
    );
}
