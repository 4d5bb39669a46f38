import { closeSync, openSync, writeSync } from 'node:fs';
import type { Logger } from '../../log/logger';
import { requireNative, type FbInfo, type PfsNative } from '../native';
import type { UpgradeView } from '../view';
import type { Canvas, Rgb } from './canvas';
import { render, type Screen } from './layout';
import { DisplayError, type Display } from './types';

/** Bits per pixel the fbdev back-end packs: RGB565, RGB888 and xRGB8888 (any channel order). */
export const FB_DEPTHS = [16, 24, 32] as const;

/**
 * The canvas as `info`'s framebuffer holds it: `lineLength` × `yres` bytes, the
 * picture scaled (a whole factor when it fits, nearest-neighbour when the
 * framebuffer is smaller) and centred on black, each pixel packed little-endian
 * with the red, green and blue fields at their offsets and lengths.
 */
export function packFrame(c: Canvas, info: FbInfo): Buffer {
  const bpp = info.bitsPerPixel;
  if (!(FB_DEPTHS as readonly number[]).includes(bpp)) throw new RangeError(`framebuffer depth ${bpp} bpp (supported: ${FB_DEPTHS.join(', ')})`);
  const bytes = bpp / 8;
  // Not Buffer.alloc: a small one may sit at an odd offset in the shared pool.
  const out = Buffer.from(new ArrayBuffer(info.lineLength * info.yres));
  const f = Math.min(info.xres / c.width, info.yres / c.height);
  const scale = f >= 1 ? Math.floor(f) : f;
  const w = Math.floor(c.width * scale);
  const h = Math.floor(c.height * scale);
  const ox = Math.floor((info.xres - w) / 2);
  const oy = Math.floor((info.yres - h) / 2);
  const alpha = info.transp.length > 0 ? ((2 ** info.transp.length - 1) * 2 ** info.transp.offset) : 0;
  const black = packPixel([0, 0, 0], info) + alpha;
  const src = new Float64Array(c.width * c.height);
  const cache = new Map<number, number>();
  for (let i = 0, j = 0; i < src.length; i++, j += 3) {
    const key = (c.data[j]! << 16) | (c.data[j + 1]! << 8) | c.data[j + 2]!;
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = packPixel([c.data[j]!, c.data[j + 1]!, c.data[j + 2]!], info) + alpha));
    src[i] = v;
  }
  const xmap = new Int32Array(info.xres);
  for (let x = 0; x < info.xres; x++) xmap[x] = x >= ox && x < ox + w ? Math.min(c.width - 1, Math.floor((x - ox) / scale)) : -1;
  // Whole words where the layout allows (every Linux board here is little-endian).
  const words = bytes === 4 && info.lineLength % 4 === 0 ? new Uint32Array(out.buffer, out.byteOffset, out.length / 4)
    : bytes === 2 && info.lineLength % 2 === 0 ? new Uint16Array(out.buffer, out.byteOffset, out.length / 2) : undefined;
  let prevSy = -2;
  // Rows from the same source row are copies; a whole-factor scale makes most rows so.
  for (let y = 0; y < info.yres; y++) {
    const row = y * info.lineLength;
    const sy = y >= oy && y < oy + h ? Math.min(c.height - 1, Math.floor((y - oy) / scale)) : -1;
    if (sy === prevSy) {
      out.copy(out, row, row - info.lineLength, row - info.lineLength + info.xres * bytes);
      continue;
    }
    prevSy = sy;
    const base = sy * c.width;
    if (words) {
      const w0 = row / bytes;
      for (let x = 0; x < info.xres; x++) {
        const sx = xmap[x]!;
        words[w0 + x] = sy >= 0 && sx >= 0 ? src[base + sx]! : black;
      }
      continue;
    }
    for (let x = 0; x < info.xres; x++) {
      const sx = xmap[x]!;
      out.writeUIntLE(sy >= 0 && sx >= 0 ? src[base + sx]! : black, row + x * bytes, bytes);
    }
  }
  return out;
}

function packPixel(c: Rgb, info: FbInfo): number {
  return field(c[0], info.red) + field(c[1], info.green) + field(c[2], info.blue);
}

function field(v: number, f: { offset: number; length: number }): number {
  return f.length === 0 ? 0 : (v >> (8 - f.length)) * 2 ** f.offset;
}

/** The pixel at (x, y) of a packed frame, each channel widened back to 8 bits. */
export function unpackPixel(frame: Buffer, info: FbInfo, x: number, y: number): Rgb {
  const bytes = info.bitsPerPixel / 8;
  const v = frame.readUIntLE(y * info.lineLength + x * bytes, bytes);
  const field = (f: { offset: number; length: number }) => {
    if (f.length === 0) return 0;
    const raw = Math.floor(v / 2 ** f.offset) % 2 ** f.length;
    return Math.round((raw * 255) / (2 ** f.length - 1));
  };
  return [field(info.red), field(info.green), field(info.blue)];
}

/** A framebuffer's geometry with the usual channel layout: RGB565 at 16 bpp, xRGB (blue lowest) at 24 and 32. */
export function fbGeometry(xres: number, yres: number, bitsPerPixel: 16 | 24 | 32): FbInfo {
  const lineLength = xres * (bitsPerPixel / 8);
  const ch = bitsPerPixel === 16
    ? { red: { offset: 11, length: 5 }, green: { offset: 5, length: 6 }, blue: { offset: 0, length: 5 } }
    : { red: { offset: 16, length: 8 }, green: { offset: 8, length: 8 }, blue: { offset: 0, length: 8 } };
  return { xres, yres, xresVirtual: xres, yresVirtual: yres, bitsPerPixel, lineLength, smemLen: lineLength * yres, ...ch, transp: { offset: 0, length: 0 } };
}

/**
 * The Linux framebuffer (/dev/fb0): the addon reads its geometry (FBIOGET_*SCREENINFO)
 * and maps it; each changed frame is packed and copied into the mapping. Given
 * `info`, the device is taken to be a plain file of that geometry and written with
 * fs instead (tests, a board whose framebuffer cannot be mapped): no addon needed.
 */
export class FbdevDisplay implements Display {
  readonly kind = 'fbdev';
  /** Frames drawn so far. */
  frames = 0;
  private last: Canvas | undefined;
  /** The canvas the next frame is drawn on: never `last`, which the next frame is compared with. */
  private spare: Canvas | undefined;
  private closed = false;
  private lastKey = '';

  private constructor(
    readonly path: string,
    readonly info: FbInfo,
    private readonly fd: number,
    private readonly map: Buffer | undefined,
    private readonly screen: Screen,
    private readonly log: Logger,
  ) {}

  static async open(path: string, screen: Screen, log: Logger, o: { boardName?: string; info?: FbInfo; native?: PfsNative } = {}): Promise<FbdevDisplay> {
    const native = o.info ? undefined : (o.native ?? requireNative('display back-end fbdev'));
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      throw new DisplayError(o.boardName ?? '-', path, `cannot open the framebuffer: ${(e as Error).message}`, { cause: e });
    }
    try {
      const info = o.info ?? native!.fbInfo(fd, path);
      if (!(FB_DEPTHS as readonly number[]).includes(info.bitsPerPixel)) {
        throw new DisplayError(o.boardName ?? '-', path, `${info.bitsPerPixel} bits per pixel is not supported (${FB_DEPTHS.join(', ')})`);
      }
      const map = native ? native.mmap(fd, path, info.lineLength * info.yres) : undefined;
      log.inf(`display fbdev ${path}: ${info.xres}x${info.yres} ${info.bitsPerPixel} bpp${map ? '' : ' (file)'}`);
      return new FbdevDisplay(path, info, fd, map, screen, log);
    } catch (e) {
      closeSync(fd);
      if (e instanceof DisplayError) throw e;
      throw new DisplayError(o.boardName ?? '-', path, (e as Error).message, { cause: e });
    }
  }

  async show(view: UpgradeView): Promise<void> {
    if (this.closed) return;
    // The same view draws the same picture: not drawn again (the caller refreshes every 250 ms).
    const key = JSON.stringify(view);
    if (key === this.lastKey) return;
    this.lastKey = key;
    // Drawn on the canvas before last (render's `into`): a new 200 KB canvas at every
    // refresh would be garbage the collector leaves for seconds.
    const frame = render(view, this.screen, this.spare);
    this.spare = frame;
    if (frame.equals(this.last)) return;
    this.spare = this.last;
    this.last = frame;
    const packed = packFrame(frame, this.info);
    try {
      if (this.map) packed.copy(this.map);
      else writeSync(this.fd, packed, 0, packed.length, 0);
      this.frames++;
    } catch (e) {
      this.last = undefined;
      this.lastKey = '';
      this.log.wrn(`display fbdev ${this.path}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
