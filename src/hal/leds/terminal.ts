import type { Logger } from '../../log/logger';
import { timelineOf, type LedPattern } from './pattern';
import type { Leds } from './types';

/**
 * An LED on a board with none (the `sim` board, a lab): one line each time the
 * pattern changes, `LED ACT: downloading (blink 2 Hz)`, never one per blink.
 */
export class TerminalLeds implements Leds {
  readonly kind = 'terminal';
  private pattern: LedPattern | undefined;
  private closed = false;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly out?: { write(text: string): unknown },
  ) {}

  set(pattern: LedPattern): void {
    if (this.closed || pattern === this.pattern) return;
    this.pattern = pattern;
    const line = `LED ${this.name}: ${pattern} (${timelineOf(pattern).text})`;
    if (this.out) this.out.write(line + '\n');
    else this.log.not(line);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** No LED at all. */
export class NoLeds implements Leds {
  readonly kind = 'none';
  set(): void {}
  async close(): Promise<void> {}
}
