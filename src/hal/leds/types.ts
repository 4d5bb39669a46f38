import type { Logger } from '../../log/logger';
import type { PfsNative } from '../native';
import { PfsError } from '../../errors';
import type { LedPattern } from './pattern';

/**
 * The board's status LED. `set` is cheap and idempotent (the boot calls it every
 * ~250 ms with the same pattern): only a change of pattern touches the hardware.
 * Blinking runs on its own (the kernel's timer trigger, or an unref()ed timer), so
 * the LED never keeps the process alive. `close` stops it and gives the LED back as
 * it was found (on a Pi, the ACT LED goes back to its `mmc0` trigger). A failure
 * while running is logged once and the LED is left alone: it never stops a boot.
 */
export interface Leds {
  /** The back-end: `sysfs`, `gpio`, `terminal`, `none`. */
  readonly kind: string;
  set(pattern: LedPattern): void;
  close(): Promise<void>;
}

/** Time and timers for the software blinker; tests pass a fake clock. */
export interface LedTimers {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Must not keep the process alive (unref). */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: LedTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface OpenLedsOptions {
  /** The board's root folder: every path of the board file is taken under it (`/` on a real board). */
  root: string;
  /** For messages: the board file's name (rpi4, sim). */
  boardName: string;
  /** Where the terminal back-end prints and every back-end warns. */
  log: Logger;
  /** Tests: a fake clock for the software blinker. */
  timers?: LedTimers;
  /** Tests: a stand-in for the native addon (gpio). */
  native?: PfsNative;
  /** Terminal back-end: print here (`write(line + '\n')`) instead of through `log`. */
  out?: { write(text: string): unknown };
}

export type LedErrorCode = 'PFS_ERR_LED' | 'PFS_ERR_LED_MISSING';

/** `LED <board> <path>: <reason>`; `code` PFS_ERR_LED_MISSING when the LED or its device is not there. */
export class LedError extends PfsError {
  constructor(
    code: LedErrorCode,
    readonly board: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(code, `LED ${board} ${path}: ${reason}`, options);
  }
}
