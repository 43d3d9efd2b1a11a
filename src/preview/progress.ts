// The preview's progress line on stderr: users done, users/s and the time left, redrawn in place.

export /** Users done, users/s and the time left, on one line of stderr, redrawn; only when stderr is a terminal. */
class Progress {
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly label: string,
    private readonly fraction: () => number,
    private readonly done: () => number,
  ) {
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }

  /** A progress line on `stream` (stderr), or none when it is not a terminal. */
  static start(
    stream: NodeJS.WritableStream,
    label: string,
    fraction: () => number,
    done: () => number,
  ): Progress | undefined {
    return (stream as { isTTY?: boolean }).isTTY ? new Progress(stream, label, fraction, done) : undefined;
  }

  private draw(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const users = this.done();
    const f = this.fraction();
    const eta = users > 0 && f > 0 && f < 1 ? `, about ${Math.ceil((seconds * (1 - f)) / f)} s left` : "";
    this.stream.write(
      `\r\x1b[K${this.label}: ${users.toLocaleString("en-US")} users, ${Math.round(users / Math.max(seconds, 0.001)).toLocaleString("en-US")} users/s${eta}`,
    );
  }

  stop(): void {
    clearInterval(this.timer);
    this.stream.write("\r\x1b[K");
  }
}
