import { SEVEN_PLUS, SEVEN_PLUS_LINE_HEIGHT } from './font-data';

/** An RGB colour, each channel 0–255. */
export type Rgb = readonly [number, number, number];

/**
 * A small raster the screens are drawn on: `width` × `height` pixels, 3 bytes (RGB)
 * each in `data`, row by row. A grey canvas stores every colour as its luma, so a
 * layout can use the same colours for a colour and a grey model.
 */
export class Canvas {
  readonly data: Uint8Array;
  /** Per channel, what the display shows of each 8-bit value (see quantize); none: every value as it is. */
  private readonly levels?: readonly [Uint8Array, Uint8Array, Uint8Array];

  /**
   * `depth`: the display's bits per pixel. Each colour is then quantised as it is
   * drawn (a frame holds a handful of colours), rather than every pixel afterwards:
   * that loop over the whole frame was the costliest step of a board's first frame,
   * run while the board starts, before V8 has compiled it.
   */
  constructor(
    readonly width: number,
    readonly height: number,
    readonly color: boolean,
    background: Rgb = [255, 255, 255],
    readonly depth?: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`canvas size ${width}x${height}`);
    }
    if (depth !== undefined) this.levels = channelLevels(color, depth);
    this.data = new Uint8Array(width * height * 3);
    this.fill(background);
  }

  /** The colour as this canvas stores it: its luma on a grey canvas, quantised to the depth given. */
  ink(c: Rgb): Rgb {
    const t = this.levels;
    if (this.color) return t ? [t[0][c[0]]!, t[1][c[1]]!, t[2][c[2]]!] : c;
    let y = luma(c);
    if (t) y = t[0][y]!;
    return [y, y, y];
  }

  get(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  set(x: number, y: number, c: Rgb): void {
    this.put(x, y, this.ink(c));
  }

  private put(x: number, y: number, k: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = k[0];
    this.data[i + 1] = k[1];
    this.data[i + 2] = k[2];
  }

  fill(c: Rgb): void {
    this.rect(0, 0, this.width, this.height, c);
  }

  /** A filled rectangle, clipped to the canvas. */
  rect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const k = this.ink(c);
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    if (x1 <= x0 || y1 <= y0) return;
    // One row drawn, the others copied: the background and bars are most of a frame.
    const first = (y0 * this.width + x0) * 3;
    const len = (x1 - x0) * 3;
    if (k[0] === k[1] && k[1] === k[2]) this.data.fill(k[0], first, first + len);
    else for (let i = first; i < first + len; i += 3) { this.data[i] = k[0]; this.data[i + 1] = k[1]; this.data[i + 2] = k[2]; }
    for (let yy = y0 + 1; yy < y1; yy++) this.data.copyWithin((yy * this.width + x0) * 3, first, first + len);
  }

  /** A rectangle's 1-pixel outline. */
  frame(x: number, y: number, w: number, h: number, c: Rgb): void {
    this.rect(x, y, w, 1, c);
    this.rect(x, y + h - 1, w, 1, c);
    this.rect(x, y, 1, h, c);
    this.rect(x + w - 1, y, 1, h, c);
  }

  /** A 1-pixel line (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), sx = x0 < x1 ? 1 : -1;
    const dy = -Math.abs(y1 - y0), sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x0, y0, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** Copies `src` with its top-left corner at (x, y), clipped. */
  blit(src: Canvas, x: number, y: number): void {
    for (let sy = 0; sy < src.height; sy++) {
      for (let sx = 0; sx < src.width; sx++) this.set(x + sx, y + sy, src.get(sx, sy));
    }
  }

  /**
   * Draws `s` with its top-left at (x, y) in the bitmap font, each font pixel a
   * `scale` × `scale` block; characters the font lacks are drawn as a box. Returns
   * the width drawn, in pixels.
   */
  text(x: number, y: number, s: string, c: Rgb, scale = 1): number {
    const k = this.ink(c);
    let cx = x;
    for (const ch of s) {
      const g = SEVEN_PLUS[ch] ?? SEVEN_PLUS['']!;
      const [offset, w, rows] = g;
      for (let r = 0; r < rows.length; r++) {
        const bits = rows[r]!;
        for (let col = 0; col < w; col++) {
          if (!(bits & (1 << (w - 1 - col)))) continue;
          if (scale === 1) this.put(cx + col, y + offset + r, k);
          else this.rect(cx + col * scale, y + (offset + r) * scale, scale, scale, k);
        }
      }
      cx += (w + 1) * scale;
    }
    return Math.max(0, cx - x - scale);
  }

  /** Copies this canvas's pixels to a new RGBA buffer (what a PNG decoder gives, to compare with). */
  toRgba(): Buffer {
    const out = Buffer.alloc(this.width * this.height * 4);
    for (let i = 0, j = 0; i < this.data.length; i += 3, j += 4) {
      out[j] = this.data[i]!;
      out[j + 1] = this.data[i + 1]!;
      out[j + 2] = this.data[i + 2]!;
      out[j + 3] = 255;
    }
    return out;
  }

  /** One byte a pixel: a grey canvas's luma (its three channels are equal). */
  grey(into?: Buffer): Buffer {
    const n = this.width * this.height;
    const out = into && into.length === n ? into : Buffer.allocUnsafe(n);
    for (let i = 0, j = 0; j < n; i += 3, j++) out[j] = this.data[i]!;
    return out;
  }

  /** Whether a picture for `screen` can be drawn on this canvas (render's `into`). */
  fits(width: number, height: number, color: boolean, depth?: number): boolean {
    return this.width === width && this.height === height && this.color === color && this.depth === depth;
  }

  /** Same size and pixels. */
  equals(o: Canvas | undefined): boolean {
    return !!o && o.width === this.width && o.height === this.height && Buffer.from(o.data.buffer, o.data.byteOffset, o.data.length).equals(Buffer.from(this.data.buffer, this.data.byteOffset, this.data.length));
  }
}

/** Height of a line of text at scale 1: capitals and digits, without descenders. */
export const FONT_HEIGHT = SEVEN_PLUS_LINE_HEIGHT;
/** Rows below the baseline that descenders (g, j, p, q, y) reach at scale 1. */
export const FONT_DESCENT = 2;

/** Width in pixels of `s` drawn at `scale`. */
export function textWidth(s: string, scale = 1): number {
  let w = 0;
  for (const ch of s) w += ((SEVEN_PLUS[ch] ?? SEVEN_PLUS['']!)[1] + 1) * scale;
  return Math.max(0, w - scale);
}

/** `s` cut (with a trailing `..`) so that it fits in `max` pixels. */
export function fitText(s: string, max: number, scale = 1): string {
  if (textWidth(s, scale) <= max) return s;
  let t = s;
  while (t.length > 0 && textWidth(t + '..', scale) > max) t = t.slice(0, -1);
  return t.length ? t + '..' : '';
}

/** ITU-R BT.601 luma, 0–255. */
export function luma(c: Rgb): number {
  return Math.round(0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]);
}

/** 8-bit values to what `bits` bits show: levels spread evenly over 0–255 (1 bit = a threshold). */
const levelTables = new Map<number, Uint8Array>();
function levelTable(bits: number): Uint8Array {
  const b = Math.min(8, Math.max(1, bits));
  let t = levelTables.get(b);
  if (!t) {
    const levels = 2 ** b - 1;
    t = new Uint8Array(256);
    for (let v = 0; v < 256; v++) t[v] = Math.round((Math.round((v / 255) * levels) / levels) * 255);
    levelTables.set(b, t);
  }
  return t;
}

/**
 * The canvas as a display of `depth` bits per pixel shows it: `depth` bits of grey
 * on a grey model (levels spread evenly over 0–255, 1 bit = a threshold), and on a
 * colour model `depth`/3 bits per channel (16 bits: 5-6-5, 24 and 32: 8-8-8).
 * A new canvas; the one given is left as it is.
 */
export function quantize(src: Canvas, depth: number): Canvas {
  const out = new Canvas(src.width, src.height, src.color);
  out.data.set(src.data);
  return quantizeInPlace(out, depth);
}

/** The level tables of the three channels for a display of `depth` bits per pixel. */
function channelLevels(color: boolean, depth: number): [Uint8Array, Uint8Array, Uint8Array] {
  if (!color) {
    const t = levelTable(depth);
    return [t, t, t];
  }
  const bits = depth >= 24 ? [8, 8, 8] : depth === 16 ? [5, 6, 5] : Array<number>(3).fill(Math.max(1, Math.floor(depth / 3)));
  return bits.map(levelTable) as [Uint8Array, Uint8Array, Uint8Array];
}

function quantizeInPlace(c: Canvas, depth: number): Canvas {
  const d = c.data;
  const [r, g, b] = channelLevels(c.color, depth);
  for (let i = 0; i < d.length; i += 3) {
    d[i] = r[d[i]!]!;
    d[i + 1] = g[d[i + 1]!]!;
    d[i + 2] = b[d[i + 2]!]!;
  }
  return c;
}
