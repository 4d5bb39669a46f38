import type { BoardProfile, ModelProfile } from '../../profiles';
import { PfsError } from '../../errors';
import type { Logger } from '../../log/logger';
import type { PfsNative } from '../native';
import type { UpgradeView } from '../view';

/**
 * A board's screen. `show` draws the view (the caller calls it about every 250 ms
 * and on each phase change; a back-end skips frames that would not change what is
 * shown, and may hold a frame back to spare the CPU, never the last one); `close`
 * draws what is pending and releases the device. Neither throws for a frame that
 * could not be drawn: that is logged, a screen never stops an upgrade.
 */
export interface Display {
  /** `fbdev`, `ssd1306`, `terminal`, `png` or `none`. */
  readonly kind: string;
  show(view: UpgradeView): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDisplayOptions {
  /** Every path of the board file is under it (`/` on a real board, the board's folder in a lab). */
  root: string;
  boardName: string;
  /** The phone model's display: the picture's geometry and depth. */
  screen: ModelProfile['screen'];
  log: Logger;
  /** Injected for tests; else the addon, where the back-end needs it. */
  native?: PfsNative;
  /** `terminal`: where the text goes (standard output by default); redrawn in place when `isTTY`. */
  out?: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** `png`: the least time between two writes of a changing screen, ms (default 1000). */
  minIntervalMs?: number;
}

export type DisplayConfig = BoardProfile['display'];

export type DisplayErrorCode = 'PFS_ERR_DISPLAY';

/** A display that cannot be opened or driven: the board, the device, the reason. */
export class DisplayError extends PfsError {
  constructor(
    readonly boardName: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('PFS_ERR_DISPLAY', `display of board ${boardName} at ${path}: ${reason}`, options);
  }
}
