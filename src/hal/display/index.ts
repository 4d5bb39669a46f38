import { join } from 'node:path';
import { FbdevDisplay } from './fbdev';
import { PngDisplay } from './png';
import { Ssd1306Display } from './ssd1306';
import { NoDisplay, TerminalDisplay } from './terminal';
import { DisplayError, type Display, type DisplayConfig, type OpenDisplayOptions } from './types';

export { Canvas, luma, quantize, textWidth, type Rgb } from './canvas';
export { render, stateText, roleText, titleText, percent, currentComponent, type Screen } from './layout';
export { DisplayError, type Display, type DisplayConfig, type DisplayErrorCode, type OpenDisplayOptions } from './types';
export { FbdevDisplay, fbGeometry, packFrame, unpackPixel } from './fbdev';
export { PngDisplay, encodePng } from './png';
export { Ssd1306Display, SSD1306_SCREEN, decodeSsd1306 } from './ssd1306';
export { NoDisplay, TerminalDisplay, terminalLines } from './terminal';

/** I2C address of an SSD1306 module with its address pin low (the common one). */
export const SSD1306_DEFAULT_ADDRESS = 0x3c;

/**
 * The board's screen as its board file names it (`display` in boards/<board>.json),
 * every path under `o.root`, drawing pictures of `o.screen`'s geometry. Throws a
 * DisplayError naming the board and the device when the device cannot be opened,
 * a NativeUnavailableError for `fbdev` and `ssd1306` where the addon is missing
 * (the caller may fall back to `none`).
 */
export async function openDisplay(cfg: DisplayConfig, o: OpenDisplayOptions): Promise<Display> {
  const log = o.log;
  switch (cfg.backend) {
    case 'png': {
      if (!cfg.path) throw new DisplayError(o.boardName, '(none)', 'the png back-end needs display.path, e.g. screen.png');
      return PngDisplay.open(join(o.root, cfg.path), o.screen, log, { minIntervalMs: o.minIntervalMs });
    }
    case 'fbdev': {
      if (!cfg.device) throw new DisplayError(o.boardName, '(none)', 'the fbdev back-end needs display.device, e.g. /dev/fb0');
      return FbdevDisplay.open(join(o.root, cfg.device), o.screen, log, { boardName: o.boardName, native: o.native });
    }
    case 'ssd1306': {
      if (!cfg.device) throw new DisplayError(o.boardName, '(none)', 'the ssd1306 back-end needs display.device, e.g. /dev/i2c-1');
      return Ssd1306Display.open(join(o.root, cfg.device), cfg.address ?? SSD1306_DEFAULT_ADDRESS, log, { boardName: o.boardName, native: o.native });
    }
    case 'terminal':
      return new TerminalDisplay(o.out ?? process.stdout);
    case 'none':
      return new NoDisplay();
  }
}
