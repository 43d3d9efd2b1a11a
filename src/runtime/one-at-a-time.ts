// Logins of one runtime run one after another: the api records into the runtime's current login,
// so a second login must not start while the first still awaits. Shared by both runtimes.
import { describe } from "./describe";
import type { LoginOutcome } from "./types";

export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `login` once every earlier one has settled; a rejection becomes `failed`'s outcome, never an error. */
  run(login: () => Promise<LoginOutcome>, failed: (reason: string) => LoginOutcome): Promise<LoginOutcome> {
    const result = this.tail.then(() => login().catch((err: unknown) => failed(`the local runtime could not run this login: ${describe(err)}`)));
    this.tail = result.catch(() => undefined);
    return result;
  }
}
