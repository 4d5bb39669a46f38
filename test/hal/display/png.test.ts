import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { openDisplay, PngDisplay, render } from '../../../src/hal/display';
import { silentLogger } from '../../../src/log/logger';
import { screenOf, upgradeView } from './views';
import { FakeTimers } from '../../helpers/fake-timers';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-display-'));
const screen = screenOf('CP-7961G');

function progressed(bytes: number) {
  const v = upgradeView();
  return { ...v, components: v.components.map((c, i) => (i === 2 ? { ...c, bytes } : c)) };
}

test('openDisplay png: the file under the root holds the screen, grey, at the model geometry', async () => {
  const root = await temp();
  try {
    const d = await openDisplay({ backend: 'png', path: 'out/screen.png' }, { root, boardName: 'sim', screen, log: silentLogger });
    assert.is(d.kind, 'png');
    await d.show(upgradeView());
    await d.close();
    const png = PNG.sync.read(await readFile(join(root, 'out', 'screen.png')));
    assert.is(png.width, 320);
    assert.is(png.height, 222);
    assert.equal([...png.data], [...render(upgradeView(), screen).toRgba()]);
    assert.equal(await readdir(join(root, 'out')), ['screen.png'], 'no temporary file left');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: frame after frame, each file holds its own picture (the canvases drawn on again keep nothing of earlier frames)', async () => {
  const root = await temp();
  try {
    const path = join(root, 'screen.png');
    const d = await PngDisplay.open(path, screen, silentLogger, { minIntervalMs: 0 });
    const views = [upgradeView(), progressed(1_048_576), { ...upgradeView(), phase: 'error' as const, error: 'flash gone' }, progressed(2_000_000), progressed(0)];
    // Shown without waiting for each write: later frames are drawn (on the canvases of
    // earlier ones) while earlier files are still being written. What each file was
    // encoded from is recorded as it is encoded.
    const encoded: Buffer[] = [];
    const write = PNG.sync.write;
    PNG.sync.write = (png, options) => {
      encoded.push(Buffer.from(png.data));
      return write(png, options);
    };
    try {
      await Promise.all(views.map((v) => d.show(v)));
      await d.settled();
    } finally {
      PNG.sync.write = write;
    }
    assert.equal(encoded.map((b) => [...b]), views.map((v) => [...render(v, screen).grey()]), 'every file its own frame');
    assert.equal([...PNG.sync.read(await readFile(path)).data], [...render(views.at(-1)!, screen).toRgba()]);
    for (const v of views) {
      await d.show(v);
      await d.settled();
      assert.equal([...PNG.sync.read(await readFile(path)).data], [...render(v, screen).toRgba()], `${v.phase} ${v.components[2]?.bytes}`);
    }
    assert.is(d.draws, 2 * views.length);
    await d.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: each write replaces the file by rename (a new inode), never rewrites it in place', async () => {
  const root = await temp();
  try {
    const path = join(root, 'screen.png');
    const d = await PngDisplay.open(path, screen, silentLogger, { minIntervalMs: 0 });
    await d.show(progressed(0));
    const a = await stat(path);
    await d.show(progressed(1_048_576));
    const b = await stat(path);
    assert.is(d.writes, 2);
    assert.is.not(a.ino, b.ino);
    await d.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: identical frames are not written; a 250 ms refresh writes once a second; a phase change at once; close writes the last', async () => {
  const root = await temp();
  try {
    let now = 0;
    const path = join(root, 'screen.png');
    const d = await PngDisplay.open(path, screen, silentLogger, { minIntervalMs: 1000, now: () => now });
    await d.show(progressed(0));
    assert.is(d.writes, 1);
    for (let i = 0; i < 8; i++) {
      now += 250;
      await d.show(progressed(0));
    }
    assert.is(d.writes, 1, 'nothing changed: nothing written');
    now += 250;
    await d.show(progressed(65_536));
    assert.is(d.writes, 2, 'a change after a quiet second is drawn at once');
    for (let i = 2; i <= 4; i++) {
      now += 250;
      await d.show(progressed(i * 65_536));
    }
    assert.is(d.writes, 2, 'held back within the second');
    now += 250;
    await d.show(progressed(5 * 65_536));
    assert.is(d.writes, 3, 'the second is over');
    now += 10;
    await d.show({ ...progressed(5 * 65_536), phase: 'serving' });
    assert.is(d.writes, 4, 'a phase change is drawn at once');
    now += 10;
    const last = { ...progressed(6 * 65_536), phase: 'serving' as const };
    await d.show(last);
    assert.is(d.writes, 4);
    await d.close();
    assert.is(d.writes, 5, 'close draws the frame held back');
    const png = PNG.sync.read(await readFile(path));
    assert.equal([...png.data], [...render(last, screen).toRgba()]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: a view refreshed every 250 ms while it changes is drawn once a second, not at every refresh', async () => {
  const root = await temp();
  try {
    let now = 0;
    const d = await PngDisplay.open(join(root, 'screen.png'), screen, silentLogger, { minIntervalMs: 1000, now: () => now });
    for (let i = 0; i <= 16; i++, now += 250) await d.show(progressed(i * 65_536));
    // Drawn at 0, 1, 2, 3 and 4 s; the 12 refreshes in between are held back undrawn.
    assert.is(d.draws, 5);
    assert.is(d.writes, 5);
    await d.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: a frame held back is written when its interval ends, without another show', async () => {
  const root = await temp();
  try {
    const clock = new FakeTimers();
    const d = await PngDisplay.open(join(root, 'screen.png'), screen, silentLogger, { minIntervalMs: 50, clock });
    await d.show(progressed(0));
    await d.show(progressed(65_536));
    assert.is(d.writes, 1);
    clock.advance(49);
    await d.settled();
    assert.is(d.writes, 1, 'held back until the interval ends');
    clock.advance(1);
    await d.settled();
    assert.is(d.writes, 2, 'written when the interval ended');
    await d.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: the colour 7970 is written as RGB', async () => {
  const root = await temp();
  try {
    const d = await openDisplay({ backend: 'png', path: 's.png' }, { root, boardName: 'sim', screen: screenOf('CP-7970G'), log: silentLogger });
    await d.show(upgradeView('CP-7970G'));
    await d.close();
    const raw = await readFile(join(root, 's.png'));
    assert.is(raw[25], 2, 'IHDR colour type 2 (RGB)');
    assert.is(PNG.sync.read(raw).height, 234);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('png: a back-end with a path missing is a DisplayError naming the board', async () => {
  try {
    await openDisplay({ backend: 'png' }, { root: '/', boardName: 'b1', screen, log: silentLogger });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, 'PFS_ERR_DISPLAY');
    assert.match((e as Error).message, /b1/);
  }
});

test('none: shows nothing, closes', async () => {
  const d = await openDisplay({ backend: 'none' }, { root: '/', boardName: 'b', screen, log: silentLogger });
  assert.is(d.kind, 'none');
  await d.show(upgradeView());
  await d.close();
});

test.run();
