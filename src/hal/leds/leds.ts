import { basename, join } from 'node:path';
import type { BoardProfile } from '../../profiles';
import { GpioLeds } from './gpio';
import { SysfsLeds } from './sysfs';
import { NoLeds, TerminalLeds } from './terminal';
import { LedError, type Leds, type OpenLedsOptions } from './types';

export { LedError, realTimers, type LedErrorCode, type LedTimers, type Leds, type OpenLedsOptions } from './types';
export { LED_PATTERNS, levelAt, msToNextChange, patternOf, periodOf, simpleBlink, timelineOf, type LedPattern, type LedTimeline } from './pattern';
export { parseTriggers } from './sysfs';

/**
 * The board's LED as its board file names it (`leds` in boards/<board>.json), every
 * path under `o.root`. Throws a LedError naming the board and the path when the LED
 * is not there or cannot be driven, a NativeUnavailableError for `gpio` without the addon.
 */
export async function openLeds(cfg: BoardProfile['leds'], o: OpenLedsOptions): Promise<Leds> {
  switch (cfg.backend) {
    case 'sysfs': {
      if (!cfg.path) throw new LedError('PFS_ERR_LED', o.boardName, '(none)', 'the sysfs back-end needs leds.path, e.g. /sys/class/leds/ACT');
      return SysfsLeds.open(join(o.root, cfg.path), o.boardName, o.log, o.timers);
    }
    case 'gpio': {
      if (!cfg.device || cfg.line === undefined) throw new LedError('PFS_ERR_LED', o.boardName, cfg.device ?? '(none)', 'the gpio back-end needs leds.device and leds.line');
      return GpioLeds.open(join(o.root, cfg.device), cfg.line, o.boardName, o.log, o.native, o.timers);
    }
    case 'terminal':
      return new TerminalLeds(cfg.path ? basename(cfg.path) : 'ACT', o.log, o.out);
    case 'none':
      return new NoLeds();
  }
}
