// What a sandbox worker is doing, in memory shared by the worker and its host: whether it is loading
// or running a login, which flow, which action, which user, and a count of the loads and logins it
// started. The worker writes a few integers at each login and each action (no clock: reading one
// cost more than the rest); the host reads them on a timer and times a load or login itself, from
// when it first saw it, to end a worker stuck in code that never yields (`while (true) {}`), which no
// timer inside the worker can interrupt. Written through a DataView: in a locked-down realm, where
// Object.prototype is frozen, V8 stores into a typed array's elements far slower (docs/measured.md#figures-behind-the-code).

/** What the worker is doing. */
export const Phase = { Idle: 0, Loading: 1, Running: 2 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Byte offsets of the Int32 slots. */
const PHASE = 0;
const FLOW = 4;
const STEP = 8;
const INDEX = 12;
const COUNT = 16;
const BYTES = 20;

/** What the worker does now, as the host reads it. */
export interface PulseReading {
  readonly phase: Phase;
  readonly flow: number;
  readonly step: number;
  /** The user's place in what the worker was sent (a login). */
  readonly index: number;
  /** Which load or login this is: a new number each time one starts. */
  readonly count: number;
}

export class Pulse {
  private readonly view: DataView;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BYTES)) {
    this.view = new DataView(buffer, 0, BYTES);
  }

  /** Loading action `step` of flow `flow` (0 the flow under review, 1 the one compared with) starts now. */
  loading(flow: number, step: number): void {
    this.start(Phase.Loading, flow, step, 0);
  }

  /** A login of flow `flow` starts now, with its first action: the user at `index` of what the worker was sent. */
  login(flow: number, index = 0): void {
    this.start(Phase.Running, flow, 0, index);
  }

  /** The running login has reached action `step` of its flow; its time runs on. */
  step(step: number): void {
    this.view.setInt32(STEP, step);
  }

  idle(): void {
    this.view.setInt32(PHASE, Phase.Idle);
  }

  read(): PulseReading {
    const view = this.view;
    return {
      phase: view.getInt32(PHASE) as Phase,
      flow: view.getInt32(FLOW),
      step: view.getInt32(STEP),
      index: view.getInt32(INDEX),
      count: view.getInt32(COUNT),
    };
  }

  private start(phase: Phase, flow: number, step: number, index: number): void {
    const view = this.view;
    view.setInt32(FLOW, flow);
    view.setInt32(STEP, step);
    view.setInt32(INDEX, index);
    view.setInt32(COUNT, (view.getInt32(COUNT) + 1) | 0);
    view.setInt32(PHASE, phase);
  }
}
