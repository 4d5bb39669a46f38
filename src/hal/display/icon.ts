import type { Canvas, Rgb } from './canvas';

/**
 * The PFS icon: a small tree (one node above, two below), the shape of Peer
 * Firmware Sharing's distribution. Drawn in the top-right corner while sharing is
 * on. `scale` 0 is the compact 9×8 form for small screens; 1, 2, … the full 17×11
 * form with each pixel a `scale` × `scale` block.
 */
export function pfsIconSize(scale: number): { w: number; h: number } {
  return scale <= 0 ? { w: 9, h: 8 } : { w: 17 * scale, h: 11 * scale };
}

export function drawPfsIcon(c: Canvas, x: number, y: number, scale: number, ink: Rgb): void {
  const s = Math.max(1, scale);
  const r = (rx: number, ry: number, w: number, h: number) => c.rect(x + rx * s, y + ry * s, w * s, h * s, ink);
  if (scale <= 0) {
    r(3, 0, 3, 2);
    r(4, 2, 1, 1);
    r(1, 3, 7, 1);
    r(1, 4, 1, 2);
    r(7, 4, 1, 2);
    r(0, 6, 3, 2);
    r(6, 6, 3, 2);
    return;
  }
  r(6, 0, 5, 4);
  r(8, 4, 1, 2);
  r(2, 5, 13, 1);
  r(2, 6, 1, 1);
  r(14, 6, 1, 1);
  r(0, 7, 5, 4);
  r(12, 7, 5, 4);
}
