// What a sandbox worker is doing, in memory shared by the worker and its host: whether it is loading
// or running a login, which flow and which action, since when. The worker writes it at each login
// and each action (a few nanoseconds); the host reads it on a timer, to end a worker stuck in code
// that never yields (`while (true) {}`), which no timer inside the worker can interrupt.

/** What the worker is doing. */
export const Phase = { Idle: 0, Loading: 1, Running: 2 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Four Int32 slots, then one Float64 (8-byte aligned) for the start time. */
const PHASE = 0;
const FLOW = 1;
const STEP = 2;
const INDEX = 3;
const BYTES = 24;

export class Pulse {
  private readonly ints: Int32Array;
  private readonly since: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    this.ints = new Int32Array(buffer, 0, 4);
    this.since = new Float64Array(buffer, 16, 1);
  }

  /** Loading action `step` of flow `flow` (0 the flow under review, 1 the one compared with), from now. */
  loading(flow: number, step: number): void {
    this.set(Phase.Loading, flow, step, Date.now());
  }

  /** A login of flow `flow` starts now, with its first action: the user at `index` of what the worker was sent. */
  login(flow: number, index = 0): void {
    this.ints[INDEX] = index;
    this.set(Phase.Running, flow, 0, Date.now());
  }

  /** The running login (or load) has reached action `step` of its flow; the clock runs on. */
  step(step: number): void {
    this.ints[STEP] = step;
  }

  idle(): void {
    this.ints[PHASE] = Phase.Idle;
  }

  /** What the worker does now: phase, flow, action, user, and the milliseconds since it started. */
  read(now = Date.now()): { phase: Phase; flow: number; step: number; index: number; elapsedMs: number } {
    return { phase: this.ints[PHASE] as Phase, flow: this.ints[FLOW], step: this.ints[STEP], index: this.ints[INDEX], elapsedMs: now - this.since[0] };
  }

  private set(phase: Phase, flow: number, step: number, since: number): void {
    this.since[0] = since;
    this.ints[FLOW] = flow;
    this.ints[STEP] = step;
    this.ints[PHASE] = phase;
  }
}
