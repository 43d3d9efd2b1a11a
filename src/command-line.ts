// What every CLI here does the same way: `--help`/`-h` prints the whole usage on stdout and exits 0
// with no side effect; an unknown flag or a bad value exits 2 with the usage; a foreseeable failure
// is one line `<command>: <message>` (control characters escaped), never a stack trace.
import { parseArgs } from "node:util";
import { escapeControl, ToolError, UsageError } from "./errors";

type OptionSpec = { type: "string" | "boolean"; short?: string; default?: string | boolean; multiple?: boolean };
type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K]["type"] extends "boolean" ? boolean : O[K] extends { multiple: true } ? string[] | undefined : O[K] extends { default: string } ? string : string | undefined;
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
export function readCommandLine<O extends Record<string, OptionSpec>>(command: Command<O>, argv: string[] = process.argv.slice(2), stdout: Output = process.stdout): Values<O> | undefined {
  if (argv.includes("--help") || argv.includes("-h")) {
    stdout.write(command.usage.trimEnd() + "\n");
    return undefined;
  }
  try {
    const { values } = parseArgs({ args: argv, options: command.options, strict: true, allowPositionals: false }) as { values: Record<string, unknown> };
    // A boolean flag that was not given is false, so callers never see undefined for one.
    for (const [flag, spec] of Object.entries(command.options)) if (spec.type === "boolean" && values[flag] === undefined) values[flag] = false;
    return values as unknown as Values<O>;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${command.usage.trimEnd()}`);
  }
}

/**
 * Runs a CLI's `main` and ends the process with its exit code. A ToolError prints `<name>: <message>`
 * on stderr and exits with its code; anything else is a bug: one line, exit `unexpectedExit`, and the
 * stack only with CLAIMS_DEBUG=1.
 */
export function runCommand(name: string, main: () => Promise<number | void> | number | void, unexpectedExit = 1): void {
  void commandExit(name, main, unexpectedExit).then((code) => {
    process.exitCode = code;
  });
}

/** What runCommand does, for a caller that keeps the process: the exit code; failures written to `stderr`. */
export function commandExit(name: string, main: () => Promise<number | void> | number | void, unexpectedExit = 1, stderr: Output = process.stderr): Promise<number> {
  return Promise.resolve()
    .then(main)
    .then(
      (code) => (typeof code === "number" ? code : 0),
      (err: unknown) => {
        if (err instanceof ToolError) {
          stderr.write(`${name}: ${escapeControl(err.message).replace(/\\n/g, "\n")}\n`);
          return err.exitCode;
        }
        const message = err instanceof Error ? err.message : String(err);
        stderr.write(`${name}: unexpected error: ${escapeControl(message)} (a bug: please report it; CLAIMS_DEBUG=1 shows the stack)\n`);
        if (process.env.CLAIMS_DEBUG === "1" && err instanceof Error) stderr.write(`${err.stack}\n`);
        return unexpectedExit;
      },
    );
}
