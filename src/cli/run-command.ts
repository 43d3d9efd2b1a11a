// The process side of every command: its status (commandExit, src/command-line.ts) becomes the
// process's exit code. Here, in src/cli/, because only command entry points touch the process's exit.
import { commandExit, type ExitOptions } from "../command-line";

/** Runs `main` through commandExit; the process ends with its status once nothing else is pending. */
export function runCommand(
  name: string,
  main: () => Promise<number | void> | number | void,
  options?: ExitOptions,
): void {
  void commandExit(name, main, options).then((code) => {
    process.exitCode = code;
  });
}
