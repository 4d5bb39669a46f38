// How long this process could not run its callbacks: busy in one long stretch (a
// hash, a flash write, a lab's many boards), or not scheduled at all on a loaded
// machine. A sender that takes silence for loss must not count that time: a report
// that arrived meanwhile is read later, and in a lab the emulated WAN and the board
// that sends the report were held up too. Measured by a tick that notes how late it
// runs; it ticks only while someone waits.

/** The tick's period, ms. */
const TICK_MS = 10;
/** Lateness a tick is allowed before it counts (a loop's ordinary jitter), ms. */
const SLACK_MS = 5;

export class LoopStallMeter {
  private timer?: NodeJS.Timeout;
  private waiters = 0;
  private lastTick = 0;
  /** Stalled ms summed over the ticks so far. */
  private total = 0;

  /** Starts measuring (if it was not) for one waiter; call what it returns when done (twice is harmless). */
  enter(): () => void {
    if (this.waiters++ === 0) this.start();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (--this.waiters === 0) this.stop();
    };
  }

  /**
   * A reading to compare later readings with: stalled ms since the meter started,
   * the stretch still under way included. Readings only grow.
   */
  reading(): number {
    if (!this.timer) return this.total;
    return this.total + Math.max(0, performance.now() - this.lastTick - TICK_MS - SLACK_MS);
  }

  private start(): void {
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.total += Math.max(0, now - this.lastTick - TICK_MS - SLACK_MS);
      this.lastTick = now;
    }, TICK_MS);
    this.timer.unref();
  }

  private stop(): void {
    // What the stretch under way held up is kept, so readings still only grow.
    this.total = this.reading();
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The process's one meter: there is one event loop to be held up. */
export const loopStalls = new LoopStallMeter();
