// Logins of one runtime run one after another: the api records into the runtime's current login,
// so a second login (or batch of logins) must not start while the first still awaits: the sandbox's
// host and the local tenant's deployed flow queue theirs here.

export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` once every earlier one has settled; its result (or rejection) is the returned promise's. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
