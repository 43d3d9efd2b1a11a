// The time limit of a login: Auth0 ends a flow after 20 s; Node can't keep a timer past 2^31 - 1 ms.
import { FLOW_TIMEOUT_MS } from "../auth0/facts";

/** A login takes at most Auth0's flow limit by default. */
export const DEFAULT_TIMEOUT_MS = FLOW_TIMEOUT_MS;
/** The longest delay a Node timer takes. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The one rule of a time limit, for every flag and option that takes one: a whole number of
 * milliseconds from 1 to MAX_TIMEOUT_MS. Node fires a longer timer at once (it must fit in 32 bits).
 */
export function isTimerMs(timeoutMs: number): boolean {
  return Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS;
}

/** Throws RangeError unless `timeoutMs` is a whole number of milliseconds a Node timer can keep. */
export function checkTimeoutMs(timeoutMs: number): number {
  if (!isTimerMs(timeoutMs)) {
    throw new RangeError(
      `timeoutMs: ${timeoutMs} is not a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`,
    );
  }
  return timeoutMs;
}

export class TimeoutError extends Error {}

export async function withTimeout(result: PromiseLike<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), timeoutMs);
  });
  try {
    await Promise.race([result, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
