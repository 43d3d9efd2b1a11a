// Reads a sandbox worker's pulse every CHECK_MS and ends the worker when a load or a login has run
// past its deadline (timed from when it was first seen, so up to CHECK_MS late): code that never yields (`while (true) {}`) blocks every timer inside the worker, so
// only another thread can stop it. A login that waits (a promise that never settles) is ended by the
// runtime's own timer first, within the same deadline; this one fires a little later.
import { Phase, type Pulse, type PulseReading } from "./pulse";

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
  /** The load or login seen running, and when it was first seen (the worker keeps no clock). */
  private seen: { count: number; phase: Phase; since: number } | undefined;

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
    this.seen = undefined;
  }

  private check(): void {
    const now = Date.now();
    const reading: PulseReading = this.pulse.read();
    const { phase, flow, step, index, count } = reading;
    if (phase === Phase.Idle) {
      this.seen = undefined;
      return;
    }
    if (this.seen?.count !== count || this.seen.phase !== phase) this.seen = { count, phase, since: now };
    const limitMs = this.deadline(phase, flow);
    // Seen up to CHECK_MS after it started: it has run at least this long.
    if (limitMs === undefined || now - this.seen.since <= limitMs + GRACE_MS) return;
    this.stop();
    this.overrun({ phase, flow, step, index, limitMs });
  }
}
