// Errors of the constructs: each message starts with the construct's path (e.g. "prod/app_metadata_claims"),
// so a user with several environments knows which one to fix. A member of the error family (exit 2):
// a mistake in src/environments.ts ends npm run synth and cdktf synth with one line.
import type { IConstruct } from "constructs";
import { type CodeOfExit, ToolError } from "../errors";

/** A bad prop, named with the construct's path (or, before there is one, what is being built): "<path>: <prop>: <value> ...; <fix>". */
export class ConstructPropError extends ToolError {
  declare readonly code: CodeOfExit<2>;

  constructor(scope: IConstruct | string, code: CodeOfExit<2>, message: string) {
    super(code, `${typeof scope === "string" ? scope : scope.node.path}: ${message}`);
  }
}

/** Runs `check` and names `scope`'s path in the ToolError of exit 2 it throws (checks shared with the cdktf-free preview). */
export function atPath<T>(scope: IConstruct, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ToolError && !(err instanceof ConstructPropError) && err.exitCode === 2)
      throw new ConstructPropError(scope, err.code as CodeOfExit<2>, err.message);
    throw err;
  }
}
