import { levelAt, msToNextChange, type LedPattern } from './pattern';
import { realTimers, type LedTimers } from './types';

/**
 * Plays a pattern by calling `write(level)` at each edge, timed from the moment
 * `run` was called. Each edge is computed from the clock, not by adding up timer
 * delays, so a late timer never makes the pattern drift.
 */
export class Blinker {
  private timer: unknown;
  private pattern: LedPattern = 'off';
  private start = 0;
  private level: 0 | 1 | undefined;

  constructor(
    private readonly write: (level: 0 | 1) => void,
    private readonly onError: (e: unknown) => void,
    private readonly timers: LedTimers = realTimers,
  ) {}

  /** Starts `pattern` from its beginning (on, for every blinking pattern). */
  run(pattern: LedPattern): void {
    this.stop();
    this.pattern = pattern;
    this.start = this.timers.now();
    this.level = undefined;
    this.tick();
  }

  stop(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const t = this.timers.now() - this.start;
    const level = levelAt(this.pattern, t);
    if (level !== this.level) {
      try {
        this.write(level);
      } catch (e) {
        this.onError(e);
        return;
      }
      this.level = level;
    }
    const next = msToNextChange(this.pattern, t);
    if (next !== undefined) this.timer = this.timers.setTimeout(this.tick, next);
  };
}
