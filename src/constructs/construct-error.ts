// Errors of the constructs: each message starts with the construct's path (e.g. "prod/app_metadata_claims"),
// so a user with several environments knows which one to fix.
import type { IConstruct } from "constructs";

/** A bad prop, named with the construct's path: "<path>: <prop>: <value> ...; <fix>". */
export class ConstructPropError extends Error {
  constructor(scope: IConstruct, message: string) {
    super(`${scope.node.path}: ${message}`);
    this.name = "ConstructPropError";
  }
}

/** Runs `check` and names `scope`'s path in any plain Error it throws (checks shared with the cdktf-free preview). */
export function atPath<T>(scope: IConstruct, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ConstructPropError || !(err instanceof Error)) throw err;
    throw new ConstructPropError(scope, err.message);
  }
}
