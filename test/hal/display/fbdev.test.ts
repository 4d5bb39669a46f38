import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FbdevDisplay, fbGeometry, openDisplay, packFrame, render, unpackPixel } from '../../../src/hal/display';
import { Canvas } from '../../../src/hal/display/canvas';
import { loadNative, NativeUnavailableError, type FbInfo, type PfsNative } from '../../../src/hal/native';
import { silentLogger } from '../../../src/log/logger';
import { screenOf, upgradeView } from './views';
import { testOptional } from '../../helpers/ci';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-fb-'));
const screen = screenOf('CP-7961G');

/** Every pixel of the picture, as the framebuffer shows it at (ox, oy) scaled by `k`, within `tol` per channel. */
function assertShows(frame: Buffer, info: FbInfo, pic: Canvas, ox: number, oy: number, k: number, tol: number): void {
  for (let y = 0; y < pic.height; y += 3) {
    for (let x = 0; x < pic.width; x += 3) {
      const want = pic.get(x, y);
      const got = unpackPixel(frame, info, ox + x * k + (k - 1), oy + y * k + (k - 1));
      for (let ch = 0; ch < 3; ch++) {
        if (Math.abs(got[ch]! - want[ch]!) > tol) assert.unreachable(`(${x},${y}): ${got} for ${want}`);
      }
    }
  }
}

for (const bpp of [16, 32] as const) {
  test(`fbdev ${bpp} bpp on a file: the screen centred at a whole scale, black around, decoded back`, async () => {
    const dir = await temp();
    try {
      const path = join(dir, 'fb0');
      const info = fbGeometry(800, 480, bpp);
      await writeFile(path, Buffer.alloc(info.smemLen, 0x55));
      const d = await FbdevDisplay.open(path, screen, silentLogger, { info });
      await d.show(upgradeView());
      await d.show(upgradeView());
      assert.is(d.frames, 1, 'an identical frame is not drawn again');
      await d.close();
      const frame = await readFile(path);
      assert.is(frame.length, info.smemLen);
      // 320x222 into 800x480: scale 2, at (80, 18).
      const pic = render(upgradeView(), screen);
      assertShows(frame, info, pic, 80, 18, 2, bpp === 16 ? 8 : 0);
      assert.equal(unpackPixel(frame, info, 0, 0), [0, 0, 0]);
      assert.equal(unpackPixel(frame, info, 799, 479), [0, 0, 0]);
      assert.equal(unpackPixel(frame, info, 79, 240), [0, 0, 0]);
      assert.not.equal(unpackPixel(frame, info, 80 + 100, 18 + 100), [0, 0, 0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('fbdev: the colour fields go where FBIOGET_VSCREENINFO says (BGR 32 bpp with alpha, RGB565 with padded lines)', () => {
  const pic = new Canvas(2, 1, true);
  pic.set(0, 0, [255, 0, 0]);
  pic.set(1, 0, [0, 0, 255]);
  const bgra: FbInfo = { ...fbGeometry(2, 1, 32), red: { offset: 0, length: 8 }, blue: { offset: 16, length: 8 }, transp: { offset: 24, length: 8 } };
  const f = packFrame(pic, bgra);
  assert.equal([...f], [255, 0, 0, 255, 0, 0, 255, 255]);
  const padded: FbInfo = { ...fbGeometry(2, 2, 16), lineLength: 8 };
  const g = packFrame(pic, padded);
  assert.is(g.length, 16);
  assert.is(g.readUInt16LE(0), 0xf800, 'red in RGB565');
  assert.is(g.readUInt16LE(2), 0x001f, 'blue in RGB565');
  assert.is(g.readUInt16LE(4), 0, 'the line padding stays black');
});

test('fbdev: a framebuffer smaller than the screen gets the picture shrunk to fit', () => {
  const info = fbGeometry(160, 128, 16);
  const f = packFrame(render(upgradeView(), screen), info);
  assert.is(f.length, 160 * 128 * 2);
  // 320x222 at 0.5: 160x111, 8 rows of black above.
  assert.equal(unpackPixel(f, info, 80, 3), [0, 0, 0]);
  assert.not.equal(unpackPixel(f, info, 80, 60), [0, 0, 0]);
});

test('fbdev through the addon interface: fbInfo, then frames copied into the mapping', async () => {
  const dir = await temp();
  try {
    const path = join(dir, 'fb0');
    await writeFile(path, '');
    const info = fbGeometry(320, 240, 32);
    const map = Buffer.alloc(info.smemLen);
    const calls: string[] = [];
    const native = {
      fbInfo: (_fd: number, p: string) => { calls.push(`fbInfo ${p}`); return info; },
      mmap: (_fd: number, p: string, len: number) => { calls.push(`mmap ${p} ${len}`); return map; },
    } as unknown as PfsNative;
    const d = await openDisplay({ backend: 'fbdev', device: 'fb0' }, { root: dir, boardName: 'b', screen, log: silentLogger, native });
    assert.is(d.kind, 'fbdev');
    await d.show(upgradeView());
    await d.close();
    assert.equal(calls, [`fbInfo ${path}`, `mmap ${path} ${320 * 240 * 4}`]);
    assertShows(map, info, render(upgradeView(), screen), 0, 9, 1, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('fbdev: an unsupported depth and a missing device are DisplayErrors', async () => {
  const dir = await temp();
  try {
    await writeFile(join(dir, 'fb0'), '');
    const info8 = { ...fbGeometry(320, 240, 16), bitsPerPixel: 8 };
    await FbdevDisplay.open(join(dir, 'fb0'), screen, silentLogger, { info: info8, boardName: 'b' }).then(
      () => assert.unreachable(),
      (e) => assert.match(e.message, /8 bits per pixel/),
    );
    await FbdevDisplay.open(join(dir, 'nofb'), screen, silentLogger, { info: fbGeometry(8, 8, 16), boardName: 'b' }).then(
      () => assert.unreachable(),
      (e) => assert.is(e.code, 'PFS_ERR_DISPLAY'),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// Only where the addon is missing; where it is built, hal/native.test.ts runs the bundle without it.
const addonBuilt = loadNative() ? 'the native addon is built here (hal/native.test.ts checks the bundle without it)' : undefined;
testOptional(addonBuilt, 'fbdev and ssd1306 without the addon fail at open with NativeUnavailableError', async () => {
  for (const backend of ['fbdev', 'ssd1306'] as const) {
    try {
      await openDisplay({ backend, device: '/dev/null' }, { root: '/', boardName: 'b', screen, log: silentLogger });
      assert.unreachable(backend);
    } catch (e) {
      assert.instance(e, NativeUnavailableError);
      assert.match((e as Error).message, `display back-end ${backend}`);
    }
  }
});

test.run();
