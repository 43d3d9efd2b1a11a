// Reads a sandbox worker's pulse on a timer and ends the worker when a load or a login has run past
// its deadline: code that never yields (`while (true) {}`) blocks every timer inside the worker, so
// only another thread can stop it. A login that waits (a promise that never settles) is ended by the
// runtime's own timer first, within the same deadline; this one fires a little later.
import { Phase, type Pulse } from "./pulse";

/** How often the pulse is read. */
const CHECK_MS = 100;
/** How long past a deadline the watchdog waits for the runtime's own timer. */
export const GRACE_MS = 500;

/** The time limit of what the worker is doing (loading or running flow `flow`), or undefined for none. */
export type Deadline = (phase: Phase, flow: number) => number | undefined;

/** What the worker was doing when its deadline passed. */
export interface Overrun {
  readonly phase: Phase;
  readonly flow: number;
  readonly step: number;
  /** The user's place in what the worker was sent (a login). */
  readonly index: number;
  readonly limitMs: number;
}

export class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pulse: Pulse,
    private readonly deadline: Deadline,
    private readonly overrun: (what: Overrun) => void,
  ) {}

  /** Starts reading the pulse (again); the timer never keeps the process alive by itself. */
  start(): void {
    this.timer ??= setInterval(() => this.check(), CHECK_MS).unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    const { phase, flow, step, index, elapsedMs } = this.pulse.read();
    if (phase === Phase.Idle) return;
    const limitMs = this.deadline(phase, flow);
    if (limitMs === undefined || elapsedMs <= limitMs + GRACE_MS) return;
    this.stop();
    this.overrun({ phase, flow, step, index, limitMs });
  }
}
