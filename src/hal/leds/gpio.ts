import { closeSync, openSync } from 'node:fs';
import { requireNative, type PfsNative } from '../native';
import type { Logger } from '../../log/logger';
import { Blinker } from './blinker';
import type { LedPattern } from './pattern';
import { LedError, type LedTimers, type Leds } from './types';

/**
 * An LED on a GPIO line, through the character device (`/dev/gpiochip0`) and the
 * native addon's line request; driven from a timer at each edge. `close` turns it
 * off and releases the line.
 */
export class GpioLeds implements Leds {
  readonly kind = 'gpio';
  private readonly blinker: Blinker;
  private pattern: LedPattern | undefined;
  private failed = false;
  private closed = false;

  private constructor(
    private readonly native: PfsNative,
    private readonly device: string,
    private readonly line: number,
    private readonly chipFd: number,
    private readonly lineFd: number,
    private readonly board: string,
    private readonly log: Logger,
    timers: LedTimers | undefined,
  ) {
    this.blinker = new Blinker((l) => native.gpioSetValues(lineFd, device, [l]), (e) => this.fail(e), timers);
  }

  static open(device: string, line: number, board: string, log: Logger, native?: PfsNative, timers?: LedTimers): GpioLeds {
    const n = native ?? requireNative(`LED back-end gpio (board ${board}, ${device} line ${line})`);
    let chipFd: number;
    try {
      chipFd = openSync(device, 'r+');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new LedError(code === 'ENOENT' ? 'PFS_ERR_LED_MISSING' : 'PFS_ERR_LED', board, device, `cannot open the GPIO chip (${code})`, { cause: e });
    }
    try {
      const lineFd = n.gpioRequestOutputs(chipFd, device, [line], 'pfs', [0]);
      return new GpioLeds(n, device, line, chipFd, lineFd, board, log, timers);
    } catch (e) {
      closeSync(chipFd);
      throw new LedError('PFS_ERR_LED', board, device, `cannot take line ${line} as an output (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  }

  set(pattern: LedPattern): void {
    if (this.closed || this.failed || pattern === this.pattern) return;
    this.pattern = pattern;
    this.blinker.run(pattern);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blinker.stop();
    try {
      if (!this.failed) this.native.gpioSetValues(this.lineFd, this.device, [0]);
    } catch {
      // Releasing the line below is what matters; the kernel drops its value anyway.
    } finally {
      closeSync(this.lineFd);
      closeSync(this.chipFd);
    }
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.blinker.stop();
    this.log.wrn(`LED ${this.board} ${this.device} line ${this.line}: cannot drive it any more (${(e as NodeJS.ErrnoException).code ?? e}); the LED is left as it is`);
  }
}
