import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Canvas, percent, quantize, render, roleText, stateText, textWidth, type Screen } from '../../../src/hal/display';
import { drawPfsIcon, pfsIconSize } from '../../../src/hal/display/icon';
import { wrap } from '../../../src/hal/display/layout';
import type { ComponentView } from '../../../src/hal/view';
import { allModels, errorView, screenOf, upgradeView } from './views';

const c = (state: ComponentView['state'], bytes: number, size = 2_097_152): ComponentView =>
  ({ name: 'apps41.sbn', size, bytes, state, role: 'child', children: 0 });

test('state text: waiting, KB of total and %, verifying, done 100 %, failed', () => {
  assert.is(stateText(c('waiting', 0)), 'Waiting');
  assert.is(stateText(c('downloading', 1_048_576)), '1024 of 2048 KB  50%');
  assert.is(stateText(c('downloading', 1_048_576), true), '1024/2048 KB');
  assert.is(stateText(c('verifying', 2_097_152)), 'Verifying');
  assert.is(stateText(c('done', 2_097_152)), 'Done 100%');
  assert.is(stateText(c('failed', 10)), 'Failed');
});

test('percent: floors, reaches 100 only with every byte, done is 100', () => {
  assert.is(percent(c('downloading', 2_097_151)), 99);
  assert.is(percent(c('downloading', 2_097_152)), 100);
  assert.is(percent(c('downloading', 0, 0)), 0);
  assert.is(percent(c('done', 0)), 100);
});

test('roles: root, parent with its children, child, direct TFTP', () => {
  assert.is(roleText({ ...c('done', 0), role: 'root', children: 0 }), 'Root');
  assert.is(roleText({ ...c('done', 0), role: 'root', children: 2 }), 'Root, to 2');
  assert.is(roleText({ ...c('done', 0), role: 'parent', children: 1 }), 'Parent, to 1');
  assert.is(roleText({ ...c('done', 0), role: 'child' }), 'Child');
  assert.is(roleText({ ...c('done', 0), role: 'tftp' }), 'Direct TFTP');
});

test('every model: the screen has its geometry, only greys on grey models, no more levels than its depth', () => {
  for (const model of allModels()) {
    const screen = screenOf(model);
    for (const view of [upgradeView(model), errorView(model), { ...upgradeView(model), components: [], phase: 'config' as const }]) {
      const pic = render(view, screen);
      assert.is(pic.width, screen.width, model);
      assert.is(pic.height, screen.height, model);
      const levels = new Set<number>();
      for (let i = 0; i < pic.data.length; i += 3) {
        const [r, g, b] = [pic.data[i]!, pic.data[i + 1]!, pic.data[i + 2]!];
        if (!screen.color) {
          assert.ok(r === g && g === b, `${model}: grey pixels only`);
          levels.add(r);
        }
      }
      if (!screen.color) assert.ok(levels.size <= 2 ** screen.depth && levels.size >= 2, `${model}: ${levels.size} greys at ${screen.depth} bits`);
    }
  }
});

test('a 7961 and a 7970 draw different pictures: colour and height', () => {
  const a = render(upgradeView('CP-7961G'), screenOf('CP-7961G'));
  const b = render(upgradeView('CP-7970G'), screenOf('CP-7970G'));
  assert.is(a.height, 222);
  assert.is(b.height, 234);
  assert.not.ok(a.color);
  assert.ok(b.color);
  const coloured = (() => { for (let i = 0; i < b.data.length; i += 3) if (b.data[i] !== b.data[i + 2]) return true; return false; })();
  assert.ok(coloured, 'the 7970 screen has colour');
});

/** Pixels that differ between two same-size pictures, as a bounding box. */
function diffBox(a: Canvas, b: Canvas): { x0: number; y0: number; x1: number; y1: number; n: number } {
  const box = { x0: Infinity, y0: Infinity, x1: -1, y1: -1, n: 0 };
  for (let y = 0; y < a.height; y++) for (let x = 0; x < a.width; x++) {
    const p = a.get(x, y), q = b.get(x, y);
    if (p[0] !== q[0] || p[1] !== q[1] || p[2] !== q[2]) {
      box.n++;
      box.x0 = Math.min(box.x0, x); box.y0 = Math.min(box.y0, y);
      box.x1 = Math.max(box.x1, x); box.y1 = Math.max(box.y1, y);
    }
  }
  return box;
}

test('the PFS icon: only while sharing is on, and only in the top-right corner', () => {
  for (const screen of [screenOf('CP-7961G'), screenOf('CP-7970G'), screenOf('CP-7940G'), { width: 128, height: 64, depth: 1, color: false }] as Screen[]) {
    const on = render(upgradeView(), screen);
    const off = render({ ...upgradeView(), pfs: false }, screen);
    const d = diffBox(on, off);
    assert.ok(d.n > 10, `${screen.width}x${screen.height}: the icon is drawn`);
    assert.ok(d.x0 >= screen.width - 30 && d.y1 < 20, `${screen.width}x${screen.height}: the icon stays in the top-right corner (${JSON.stringify(d)})`);
  }
});

test('a component row changes with its state and nothing else moves', () => {
  const screen = screenOf('CP-7961G');
  const v = upgradeView();
  const w = { ...v, components: v.components.map((x, i) => (i === 3 ? { ...x, state: 'downloading' as const, bytes: 262_144 } : x)) };
  const d = diffBox(render(v, screen), render(w, screen));
  assert.ok(d.n > 0);
  // dsp (the 4th file) only: its bar and state line, plus the footer's total.
  const rowTop = 17 + 6 + 24 + 22 + 2 + 6 + 3 * 25;
  assert.ok(d.y0 >= rowTop, `first change at ${d.y0}, the row starts at ${rowTop}`);
});

test('more components than fit: one line each, then a count of the rest', () => {
  const v = upgradeView();
  const many = { ...v, components: Array.from({ length: 30 }, (_, i) => ({ ...v.components[i % 5]!, name: `file${i}.sbn` })) };
  const pic = render(many, screenOf('CP-7961G'));
  assert.is(pic.height, 222);
});

test('the icon is the same glyph at every scale', () => {
  for (const s of [0, 1, 2]) {
    const { w, h } = pfsIconSize(s);
    const cv = new Canvas(w + 2, h + 2, false);
    drawPfsIcon(cv, 1, 1, s, [0, 0, 0]);
    for (let x = 0; x < cv.width; x++) assert.equal(cv.get(x, 0), [255, 255, 255], 'nothing outside its box');
    let ink = 0;
    for (let y = 0; y < cv.height; y++) for (let x = 0; x < cv.width; x++) if (cv.get(x, y)[0] === 0) ink++;
    assert.ok(ink > 10);
  }
});

test('canvas: text width, wrapping, clipping and quantising', () => {
  assert.is(textWidth('A'), 5);
  assert.is(textWidth('AA'), 11);
  assert.is(textWidth('AA', 2), 22);
  assert.equal(wrap('aaa bbb ccc', textWidth('aaa bbb')), ['aaa bbb', 'ccc']);
  assert.ok(wrap('x'.repeat(50), 40).every((l) => textWidth(l) <= 40));
  const cv = new Canvas(4, 4, false);
  cv.rect(-2, -2, 10, 3, [0, 0, 0]);
  assert.equal(cv.get(3, 0), [0, 0, 0]);
  assert.equal(cv.get(3, 1), [255, 255, 255]);
  cv.set(0, 3, [200, 0, 0]);
  assert.equal(cv.get(0, 3), [60, 60, 60], 'a grey canvas keeps the luma');
  assert.equal(quantize(cv, 1).get(0, 3), [0, 0, 0]);
  assert.equal(quantize(cv, 2).get(0, 3), [85, 85, 85]);
  const rgb = new Canvas(1, 1, true, [200, 100, 50]);
  assert.equal(quantize(rgb, 12).get(0, 0), [204, 102, 51]);
});

test('a screen is quantised as it is drawn: the same pixels as quantising the whole frame afterwards', () => {
  // render() gives the canvas the display's depth (no pass over every pixel after);
  // a frame drawn at full depth and quantised afterwards must look the same. (At 1 bit
  // the layout takes its black-and-white palette, so there is no full-depth twin.)
  for (const [model, depths] of [['CP-7941G', [2, 4]], ['CP-7961G', [2, 4]], ['CP-7970G', [12, 16, 24]]] as const) {
    for (const depth of depths) {
      const screen = { ...screenOf(model), depth };
      const view = upgradeView(model);
      const drawn = render(view, screen);
      const after = quantize(render(view, { ...screen, depth: 24 }), depth);
      assert.ok(drawn.equals(after), `${model} at ${depth} bits`);
    }
  }
  const grey = new Canvas(2, 1, false, [255, 255, 255], 2);
  grey.set(0, 0, [200, 0, 0]);
  assert.equal(grey.get(0, 0), [85, 85, 85], 'luma 60 shown with 2 bits');
  assert.equal(new Canvas(1, 1, true, [200, 100, 50], 12).get(0, 0), [204, 102, 51]);
});

test.run();

test('render into a used canvas: the same pixels as a new one, on the same canvas; another geometry gets a new one', () => {
  for (const model of allModels()) {
    const screen = screenOf(model);
    const used = render(errorView(model), screen);
    const again = render(upgradeView(model), screen, used);
    assert.ok(again === used, `${model}: drawn on the canvas given`);
    assert.ok(again.equals(render(upgradeView(model), screen)), `${model}: nothing of the error screen left`);
  }
  const small = render(upgradeView('CP-7911G'), screenOf('CP-7911G'));
  const big = render(upgradeView('CP-7961G'), screenOf('CP-7961G'), small);
  assert.ok(big !== small, 'a canvas of another size is not drawn on');
  assert.is(big.width, 320);
});
