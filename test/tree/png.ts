// Just enough PNG reading to compare two screenshots loosely: 8-bit RGB or RGBA,
// not interlaced (what Chromium writes), to a grid of mean grey levels.
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** Grey level 0..255 per pixel, row by row. */
  grey: Uint8Array;
}

export function readPng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || interlace !== 0 || (colour !== 2 && colour !== 6)) throw new Error(`PNG kind not read here (depth ${depth}, colour ${colour}, interlace ${interlace})`);
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(body);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const cur = Buffer.alloc(stride);
  const prev = Buffer.alloc(stride);
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const x = line[i]!;
      let v: number;
      if (f === 0) v = x;
      else if (f === 1) v = x + a;
      else if (f === 2) v = x + b;
      else if (f === 3) v = x + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      cur[i] = v & 255;
    }
    for (let x = 0; x < width; x++) grey[y * width + x] = Math.round(0.299 * cur[x * channels]! + 0.587 * cur[x * channels + 1]! + 0.114 * cur[x * channels + 2]!);
    cur.copy(prev);
  }
  return { width, height, grey };
}

/**
 * How far apart two screenshots are, loosely: both cut into `cells` x `cells`
 * blocks (`cells` across, as many down as keep them square), and the share of
 * blocks whose mean grey differs by more than `by` levels (0..1). A digit that
 * changes or text that moves by a pixel moves a block's mean a little; a box, a
 * tree or a section that is missing or elsewhere moves many blocks a lot.
 */
export function looseDistance(a: Image, b: Image, cells = 24, by = 16): number {
  const side = Math.max(1, Math.floor(a.width / cells));
  const means = (img: Image) => {
    const out: number[] = [];
    for (let y0 = 0; y0 + side <= img.height; y0 += side) {
      for (let x0 = 0; x0 + side <= img.width; x0 += side) {
        let sum = 0;
        for (let y = y0; y < y0 + side; y++) for (let x = x0; x < x0 + side; x++) sum += img.grey[y * img.width + x]!;
        out.push(sum / (side * side));
      }
    }
    return out;
  };
  const ma = means(a);
  const mb = means(b);
  if (ma.length !== mb.length) return 1;
  return ma.filter((v, i) => Math.abs(v - mb[i]!) > by).length / ma.length;
}
