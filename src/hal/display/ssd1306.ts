import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from '../../log/logger';
import { requireNative, type PfsNative } from '../native';
import type { UpgradeView } from '../view';
import { luma, type Canvas } from './canvas';
import { render, type Screen } from './layout';
import { DisplayError, type Display } from './types';

/** The panel: 128 × 64, one bit a pixel. */
export const SSD1306_SCREEN: Screen = { width: 128, height: 64, depth: 1, color: false };

/**
 * Power-on sequence for a 128×64 module with its charge pump (the data sheet's
 * application note, as common modules need it): display off, clock, multiplex 64,
 * offset 0, start line 0, charge pump on, page addressing, segment remap and COM
 * scan reversed (the usual mounting), COM pins, contrast, precharge, VCOMH, resume
 * from RAM, normal (not inverted), display on.
 */
export const SSD1306_INIT: readonly number[] = [
  0xae, 0xd5, 0x80, 0xa8, 0x3f, 0xd3, 0x00, 0x40, 0x8d, 0x14, 0x20, 0x02,
  0xa1, 0xc8, 0xda, 0x12, 0x81, 0xcf, 0xd9, 0xf1, 0xdb, 0x40, 0xa4, 0xa6, 0xaf,
];

/**
 * One I2C transaction of commands: each byte behind its own control byte 0x80
 * (Co = 1, D/C# = 0), so the stream says by itself where every command is.
 */
export function commandBytes(cmds: readonly number[]): Buffer {
  const b = Buffer.alloc(cmds.length * 2);
  cmds.forEach((c, i) => { b[2 * i] = 0x80; b[2 * i + 1] = c; });
  return b;
}

/** One I2C transaction of display data: control byte 0x40 (Co = 0, D/C# = 1), then the bytes. */
export function dataBytes(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(0x40), data]);
}

/**
 * The canvas as the panel's RAM: 8 pages of 128 bytes, bit 0 the page's top row; a
 * bit is set (the pixel lit) where the picture has ink (luma below half).
 */
export function toPages(c: Canvas): Uint8Array[] {
  const pages: Uint8Array[] = [];
  for (let p = 0; p < 8; p++) {
    const page = new Uint8Array(128);
    for (let x = 0; x < 128; x++) {
      let b = 0;
      for (let bit = 0; bit < 8; bit++) {
        const y = p * 8 + bit;
        if (x < c.width && y < c.height && luma(c.get(x, y)) < 128) b |= 1 << bit;
      }
      page[x] = b;
    }
    pages.push(page);
  }
  return pages;
}

/** Commands with one argument byte, and with two. */
const ARGS1 = new Set([0x81, 0x20, 0xa8, 0xd3, 0xd5, 0xd9, 0xda, 0xdb, 0x8d]);
const ARGS2 = new Set([0x21, 0x22]);

/**
 * What a panel shows after the byte stream `stream` (as the back-end writes it,
 * transactions back to back): its RAM as 128 × 64 pixels (1 lit), whether it is on,
 * and the commands seen. Understands the control bytes 0x80 (a command byte),
 * 0xC0 (a data byte) and 0x40 (data: the rest of a page, 128 bytes at most up to
 * the next control byte the back-end never leaves out); page addressing only.
 */
export function decodeSsd1306(stream: Buffer): { on: boolean; pixels: Uint8Array; commands: number[] } {
  const ram = new Uint8Array(8 * 128);
  const commands: number[] = [];
  let on = false;
  let page = 0;
  let col = 0;
  let args = 0;
  const data = (b: number) => {
    ram[page * 128 + col] = b;
    col = (col + 1) % 128;
  };
  for (let i = 0; i < stream.length; ) {
    const ctl = stream[i++]!;
    if (ctl === 0x80) {
      const c = stream[i++]!;
      commands.push(c);
      if (args > 0) { args--; continue; }
      if (ARGS1.has(c)) args = 1;
      else if (ARGS2.has(c)) args = 2;
      else if (c === 0xae) on = false;
      else if (c === 0xaf) on = true;
      else if (c >= 0xb0 && c <= 0xb7) page = c - 0xb0;
      else if (c <= 0x0f) col = (col & 0xf0) | c;
      else if (c >= 0x10 && c <= 0x1f) col = (col & 0x0f) | ((c & 0x0f) << 4);
    } else if (ctl === 0xc0) {
      data(stream[i++]!);
    } else if (ctl === 0x40) {
      const n = Math.min(128, stream.length - i);
      for (let k = 0; k < n; k++) data(stream[i++]!);
    } else {
      throw new Error(`ssd1306 stream: control byte 0x${ctl.toString(16)} at ${i - 1}`);
    }
  }
  const pixels = new Uint8Array(128 * 64);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 128; x++) pixels[y * 128 + x] = (ram[(y >> 3) * 128 + x]! >> (y & 7)) & 1;
  return { on, pixels, commands };
}

/**
 * A 128×64 SSD1306 OLED on /dev/i2c-N at `address` (0x3c by default): the addon
 * sets the address (I2C_SLAVE), then every write() is one I2C transaction. Draws
 * the compact screen (model, load, the current file's bar and %, the PFS icon) and
 * sends only the pages that changed. With `emulate`, the device is a plain file
 * that receives the byte stream (tests): no addon needed.
 */
export class Ssd1306Display implements Display {
  readonly kind = 'ssd1306';
  /** Data transactions sent (one per changed page). */
  pageWrites = 0;
  private pages: Uint8Array[] | undefined;
  private closed = false;
  private lastKey = '';

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly log: Logger,
  ) {}

  static async open(path: string, address: number, log: Logger, o: { boardName?: string; native?: PfsNative; emulate?: boolean } = {}): Promise<Ssd1306Display> {
    const native = o.emulate ? undefined : (o.native ?? requireNative('display back-end ssd1306'));
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      throw new DisplayError(o.boardName ?? '-', path, `cannot open the I2C bus: ${(e as Error).message}`, { cause: e });
    }
    try {
      native?.i2cSetAddress(fd, path, address);
      writeSync(fd, commandBytes(SSD1306_INIT));
    } catch (e) {
      closeSync(fd);
      throw new DisplayError(o.boardName ?? '-', path, `no SSD1306 answering at 0x${address.toString(16)}: ${(e as Error).message}`, { cause: e });
    }
    log.inf(`display ssd1306 ${path} at 0x${address.toString(16)}${o.emulate ? ' (file)' : ''}`);
    return new Ssd1306Display(path, fd, log);
  }

  async show(view: UpgradeView): Promise<void> {
    if (this.closed) return;
    // The same view draws the same picture: not drawn again (the caller refreshes every 250 ms).
    const key = JSON.stringify(view);
    if (key === this.lastKey) return;
    this.lastKey = key;
    const pages = toPages(render(view, SSD1306_SCREEN));
    try {
      for (let p = 0; p < 8; p++) {
        if (this.pages && Buffer.from(this.pages[p]!).equals(Buffer.from(pages[p]!))) continue;
        writeSync(this.fd, commandBytes([0xb0 + p, 0x00, 0x10]));
        writeSync(this.fd, dataBytes(pages[p]!));
        this.pageWrites++;
      }
      this.pages = pages;
    } catch (e) {
      this.pages = undefined;
      this.lastKey = '';
      this.log.wrn(`display ssd1306 ${this.path}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
