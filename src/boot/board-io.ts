import type { Logger } from '../log/logger';
import type { BoardProfile, ModelProfile } from '../profiles';
import { openConsole, type ConsoleSink } from '../hal/console/console';
import { openDisplay, type Display } from '../hal/display/index';
import { openLeds, patternOf, type Leds } from '../hal/leds/leds';
import type { UpgradeProgress } from './progress';

/** How often the screen and LEDs follow the upgrade (the png back-end writes at most once a second). */
const REFRESH_MS = 250;

/**
 * Opens the board's console: from here on every log line goes to it as well as to
 * standard output. A console that cannot be opened is a warning, never a reason not
 * to boot.
 */
export async function attachConsole(board: BoardProfile, root: string, log: Logger): Promise<ConsoleSink | undefined> {
  try {
    const sink = await openConsole(board.console, { root, boardName: board.board, log });
    if (sink) log.addSink(sink);
    return sink;
  } catch (e) {
    // The error already names the console and its path ("console rpi4 /dev/serial0: cannot open …"): said once.
    log.wrn(`${(e as Error).message}; logging to standard output only`);
    return undefined;
  }
}

/**
 * The board's screen and LEDs, following an upgrade's progress. A back-end that
 * cannot start (no addon, no device) is replaced by none with one warning: a phone
 * with a broken screen still upgrades.
 */
export class BoardFace {
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly display: Display | undefined,
    private readonly leds: Leds | undefined,
    private readonly progress: UpgradeProgress,
  ) {}

  static async open(board: BoardProfile, model: ModelProfile, root: string, progress: UpgradeProgress, log: Logger, opts: { display?: boolean; leds?: boolean } = {}): Promise<BoardFace> {
    const hal = log.child('HAL');
    let display: Display | undefined;
    let leds: Leds | undefined;
    if (opts.display !== false && board.display.backend !== 'none') {
      try {
        display = await openDisplay(board.display, { root, boardName: board.board, screen: model.screen, log: hal });
      } catch (e) {
        hal.wrn(`display ${board.display.backend}: ${(e as Error).message}; no screen`);
      }
    }
    if (opts.leds !== false && board.leds.backend !== 'none') {
      try {
        leds = await openLeds(board.leds, { root, boardName: board.board, log: hal });
      } catch (e) {
        hal.wrn(`LEDs ${board.leds.backend}: ${(e as Error).message}; no LEDs`);
      }
    }
    const face = new BoardFace(display, leds, progress);
    if (display || leds) {
      progress.onChange(() => void face.refresh());
      face.timer = setInterval(() => void face.refresh(), REFRESH_MS);
      face.timer.unref();
      await face.refresh();
    }
    return face;
  }

  /** Shows the progress as it stands (also called on every phase change). */
  async refresh(): Promise<void> {
    const view = this.progress.view();
    this.leds?.set(patternOf(view));
    await this.display?.show(view);
  }

  /** Draws the last picture and lets go of the devices (the screen keeps it until the reboot). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refresh();
    await Promise.all([this.display?.close(), this.leds?.close()]);
  }
}
