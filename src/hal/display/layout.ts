import type { ModelProfile } from '../../profiles';
import type { BoardPhase, ComponentView, ShareRole, UpgradeView } from '../view';
import { Canvas, FONT_HEIGHT, fitText, textWidth, type Rgb } from './canvas';
import { drawPfsIcon, pfsIconSize } from './icon';

/** The model's display, as `boards/models/*.json` give it. */
export type Screen = ModelProfile['screen'];

/** Below this the compact layout is used (a 7940's 133×65, a 7906's 192×64, a 128×64 OLED). */
const COMPACT_W = 240;
const COMPACT_H = 160;

interface Palette {
  bg: Rgb;
  ink: Rgb;
  dim: Rgb;
  bar: Rgb;
  barInk: Rgb;
  track: Rgb;
  fill: Rgb;
  done: Rgb;
  busy: Rgb;
  bad: Rgb;
  rule: Rgb;
}

// Grey models get a light screen with a dark title bar like the 7961's; the 7970's
// colour screen a navy bar. Greys are picked to stay apart at 4 bits (16 levels).
const GREY: Palette = {
  bg: [238, 238, 238], ink: [0, 0, 0], dim: [85, 85, 85], bar: [51, 51, 51], barInk: [255, 255, 255],
  track: [255, 255, 255], fill: [102, 102, 102], done: [34, 34, 34], busy: [153, 153, 153], bad: [0, 0, 0], rule: [153, 153, 153],
};
const COLOUR: Palette = {
  bg: [240, 244, 250], ink: [16, 24, 40], dim: [80, 96, 120], bar: [24, 56, 112], barInk: [255, 255, 255],
  track: [255, 255, 255], fill: [48, 128, 208], done: [32, 144, 64], busy: [224, 160, 32], bad: [200, 32, 32], rule: [160, 176, 200],
};
// 1 bit: black ink on white (an OLED lights the ink, see ssd1306.ts).
const MONO: Palette = {
  bg: [255, 255, 255], ink: [0, 0, 0], dim: [0, 0, 0], bar: [0, 0, 0], barInk: [255, 255, 255],
  track: [255, 255, 255], fill: [0, 0, 0], done: [0, 0, 0], busy: [0, 0, 0], bad: [0, 0, 0], rule: [0, 0, 0],
};

function paletteFor(screen: Screen): Palette {
  if (screen.color) return COLOUR;
  return screen.depth <= 1 ? MONO : GREY;
}

/** What the screen says of a component's state: `Waiting`, `1024 of 2048 KB  50%`, `Verifying`, `Done 100%`, `Failed`. */
export function stateText(c: ComponentView, compact = false): string {
  switch (c.state) {
    case 'waiting': return 'Waiting';
    case 'downloading': {
      const kb = `${Math.floor(c.bytes / 1024)}${compact ? '/' : ' of '}${Math.ceil(c.size / 1024)} KB`;
      return compact ? kb : `${kb}  ${percent(c)}%`;
    }
    case 'verifying': return 'Verifying';
    case 'done': return 'Done 100%';
    case 'failed': return 'Failed';
  }
}

/** Whole percent held, 100 only once the component is complete. */
export function percent(c: ComponentView): number {
  if (c.state === 'done') return 100;
  if (c.size <= 0) return 0;
  return Math.min(c.bytes >= c.size ? 100 : 99, Math.floor((c.bytes * 100) / c.size));
}

const ROLE: Record<ShareRole, string> = { root: 'Root', parent: 'Parent', child: 'Child', tftp: 'Direct TFTP' };

/** The board's part in sharing the file: `Root`, `Parent, to 2`, `Child`, `Direct TFTP`. */
export function roleText(c: ComponentView): string {
  return ROLE[c.role] + (c.children > 0 ? `, to ${c.children}` : '');
}

const TITLE: Record<BoardPhase, string> = {
  booting: 'Starting',
  config: 'Requesting configuration',
  upgrading: 'Upgrading firmware',
  serving: 'Sharing firmware',
  done: 'Upgrade complete',
  current: 'Load is current',
  error: 'Upgrade failed',
};

/** The screen's heading for a phase. */
export function titleText(view: UpgradeView): string {
  return TITLE[view.phase];
}

/**
 * Draws the upgrade (or error) screen for `view` on a display of the model's
 * geometry: `screen.width` × `screen.height`, quantised to `screen.depth` bits,
 * greys only unless `screen.color`. Pure: the same view gives the same pixels.
 * `into`: a canvas to draw on again (cleared first) when it has the screen's geometry.
 */
export function render(view: UpgradeView, screen: Screen, into?: Canvas): Canvas {
  // A display drawing frame after frame hands its last canvas back: a frame is 200 KB
  // (RGB), and new ones each second piled up as garbage the collector, seeing little
  // JavaScript allocated, left for seconds (a display alone, 60 frames: 5 MiB more at its peak).
  const p = paletteFor(screen);
  const c = into?.fits(screen.width, screen.height, screen.color, screen.depth) ? into : new Canvas(screen.width, screen.height, screen.color, p.bg, screen.depth);
  if (c === into) c.fill(p.bg);
  if (screen.width < COMPACT_W || screen.height < COMPACT_H) compactLayout(c, view, p);
  else fullLayout(c, view, p);
  return c;
}

/** The component the compact screens follow: the first one not done, else the last. */
export function currentComponent(view: UpgradeView): ComponentView | undefined {
  return view.components.find((x) => x.state !== 'done') ?? view.components.at(-1);
}

function fullLayout(c: Canvas, view: UpgradeView, p: Palette): void {
  const s = Math.max(1, Math.floor(Math.min(c.width / 320, c.height / 222)));
  const W = c.width;
  const pad = 6 * s;
  const inner = W - 2 * pad;

  // Title bar: the model, and the PFS icon in the top-right corner.
  const barH = 17 * s;
  c.rect(0, 0, W, barH, p.bar);
  c.text(pad, 5 * s, view.model, p.barInk, s);
  if (view.pfs) {
    const icon = pfsIconSize(s);
    drawPfsIcon(c, W - pad - icon.w, Math.floor((barH - icon.h) / 2), s, p.barInk);
  }

  let y = barH + 6 * s;
  const title = titleText(view);
  c.text(pad, y, fitText(title, inner, 2 * s), view.phase === 'error' ? p.bad : p.ink, 2 * s);
  y += (FONT_HEIGHT + 5) * 2 * s;

  const label = (name: string, value: string) => {
    c.text(pad, y, name, p.dim, s);
    c.text(pad + 34 * s, y, fitText(value, inner - 34 * s, s), p.ink, s);
    y += 11 * s;
  };
  if (view.target) label('Load', view.target);
  label(view.target ? 'From' : 'Load', view.running ?? 'none');
  y += 2 * s;
  c.rect(pad, y, inner, s, p.rule);
  y += 5 * s;

  const footH = 15 * s;
  const footY = c.height - footH;
  if (view.phase === 'error') {
    errorBody(c, view, p, s, pad, y, footY);
  } else if (view.components.length === 0) {
    const msg = { booting: 'Please wait', config: 'Contacting the TFTP server', current: 'No upgrade needed' }[view.phase as string] ?? '';
    c.text(pad, y + 4 * s, msg, p.dim, s);
  } else {
    components(c, view.components, p, s, pad, inner, y, footY - 3 * s);
  }

  // Footer: how far the whole load is.
  c.rect(0, footY, W, footH, p.bar);
  c.text(pad, footY + 4 * s, footerText(view), p.barInk, s);
}

function footerText(view: UpgradeView): string {
  const n = view.components.length;
  if (view.phase === 'error') return 'Restart to try again';
  if (n === 0) return view.pfs ? 'Peer Firmware Sharing on' : view.phase === 'current' ? 'Ready' : 'Please wait';
  const done = view.components.filter((x) => x.state === 'done').length;
  const kb = (b: number) => (b >= 10 * 1024 * 1024 ? `${(b / 1048576).toFixed(1)} MB` : `${Math.floor(b / 1024)} KB`);
  const held = view.components.reduce((a, x) => a + (x.state === 'done' ? x.size : Math.min(x.bytes, x.size)), 0);
  const size = view.components.reduce((a, x) => a + x.size, 0);
  return `${done} of ${n} files done   ${kb(held)} of ${kb(size)}`;
}

function components(c: Canvas, list: ComponentView[], p: Palette, s: number, pad: number, inner: number, top: number, bottom: number): void {
  const two = 25 * s;
  const one = 12 * s;
  const room = bottom - top;
  if (list.length * two <= room) {
    // Two lines a file: its name and role, then a bar and the state.
    let y = top;
    for (const x of list) {
      const role = roleText(x);
      const rw = textWidth(role, s);
      c.text(pad, y, fitText(x.name, inner - rw - 8 * s, s), p.ink, s);
      c.text(pad + inner - rw, y, role, p.dim, s);
      const barY = y + 11 * s;
      const state = stateText(x);
      const barW = Math.floor(inner * 0.45);
      bar(c, x, p, pad, barY, barW, 9 * s, s);
      c.text(pad + barW + 8 * s, barY + s, fitText(state, inner - barW - 8 * s, s), x.state === 'failed' ? p.bad : p.ink, s);
      y += two;
    }
    return;
  }
  // One line a file: name, state, role; the rest summed up if even that overflows.
  const fit = Math.max(1, Math.floor(room / one));
  const shown = list.length <= fit ? list : list.slice(0, fit - 1);
  let y = top;
  const nameW = Math.floor(inner * 0.42);
  const stateW = Math.floor(inner * 0.36);
  for (const x of shown) {
    c.text(pad, y, fitText(x.name, nameW - 4 * s, s), p.ink, s);
    c.text(pad + nameW, y, fitText(stateText(x), stateW - 4 * s, s), x.state === 'failed' ? p.bad : p.ink, s);
    c.text(pad + nameW + stateW, y, fitText(roleText(x), inner - nameW - stateW, s), p.dim, s);
    y += one;
  }
  if (shown.length < list.length) c.text(pad, y, `+ ${list.length - shown.length} more`, p.dim, s);
}

function bar(c: Canvas, x: ComponentView, p: Palette, bx: number, by: number, w: number, h: number, s: number): void {
  c.rect(bx, by, w, h, p.track);
  c.frame(bx, by, w, h, p.dim);
  const innerW = w - 2 * s - 2 * s;
  const fillW = Math.round((innerW * percent(x)) / 100);
  const colour = x.state === 'done' ? p.done : x.state === 'verifying' ? p.busy : x.state === 'failed' ? p.bad : p.fill;
  const fw = x.state === 'verifying' ? innerW : fillW;
  if (fw > 0) c.rect(bx + 2 * s, by + 2 * s, fw, h - 4 * s, colour);
}

function errorBody(c: Canvas, view: UpgradeView, p: Palette, s: number, pad: number, top: number, bottom: number): void {
  // A warning sign, then the reason wrapped on as many lines as fit.
  const size = 24 * s;
  const x0 = pad;
  const y0 = top + 2 * s;
  for (let i = 0; i < size; i++) {
    const half = Math.floor((i * size) / (2 * size));
    c.rect(x0 + size / 2 - half, y0 + i, 2 * half + 1, 1, p.bad);
  }
  c.rect(x0 + size / 2 - s, y0 + 8 * s, 3 * s, 9 * s, p.bg);
  c.rect(x0 + size / 2 - s, y0 + 19 * s, 3 * s, 3 * s, p.bg);
  const tx = x0 + size + 10 * s;
  const lines = wrap(view.error ?? 'Unknown error', c.width - tx - pad, s);
  const max = Math.max(1, Math.floor((bottom - top - 4 * s) / (11 * s)));
  lines.slice(0, max).forEach((l, i) => c.text(tx, top + 4 * s + i * 11 * s, l, p.ink, s));
}

/** `text` broken into lines of at most `max` pixels, at spaces where it can be, else mid-word. */
export function wrap(text: string, max: number, scale = 1): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, scale) <= max) {
      line = next;
      continue;
    }
    if (line) out.push(line);
    line = word;
    while (textWidth(line, scale) > max && line.length > 1) {
      let cut = line.length - 1;
      while (cut > 1 && textWidth(line.slice(0, cut), scale) > max) cut--;
      out.push(line.slice(0, cut));
      line = line.slice(cut);
    }
  }
  if (line) out.push(line);
  return out;
}

function compactLayout(c: Canvas, view: UpgradeView, p: Palette): void {
  const W = c.width;
  // Model and the PFS icon, over a rule.
  c.text(0, 0, fitText(view.model, W - 14, 1), p.ink);
  if (view.pfs) {
    const icon = pfsIconSize(0);
    drawPfsIcon(c, W - icon.w, 0, 0, p.ink);
  }
  c.rect(0, 9, W, 1, p.ink);
  c.text(0, 12, fitText(view.target ?? view.running ?? 'no load', W, 1), p.ink);

  if (view.phase === 'error') {
    c.text(0, 22, 'Upgrade failed', p.ink);
    wrap(view.error ?? 'Unknown error', W, 1).slice(0, 3).forEach((l, i) => c.text(0, 32 + i * 10, l, p.ink));
    return;
  }
  const cur = currentComponent(view);
  if (!cur || view.phase !== 'upgrading') {
    c.text(0, 22, fitText(titleText(view), W, 1), p.ink);
    if (cur) c.text(0, 32, `${view.components.filter((x) => x.state === 'done').length} of ${view.components.length} files done`, p.ink);
    return;
  }
  const idx = `${view.components.indexOf(cur) + 1}/${view.components.length}`;
  const iw = textWidth(idx);
  c.text(0, 22, fitText(cur.name, W - iw - 4, 1), p.ink);
  c.text(W - iw, 22, idx, p.ink);
  const pct = cur.state === 'done' ? '100%' : `${percent(cur)}%`;
  const pw = textWidth('100%');
  bar(c, cur, p, 0, 32, W - pw - 4, 8, 1);
  c.text(W - textWidth(pct), 33, pct, p.ink);
  const st = cur.state === 'downloading' ? stateText(cur, true) : stateText(cur);
  c.text(0, 44, fitText(st, W, 1), p.ink);
  c.text(0, 54, fitText(roleText(cur), W, 1), p.ink);
}
