import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSsd1306, openDisplay, render, SSD1306_SCREEN, Ssd1306Display } from '../../../src/hal/display';
import { luma } from '../../../src/hal/display/canvas';
import { commandBytes, dataBytes, SSD1306_INIT } from '../../../src/hal/display/ssd1306';
import type { PfsNative } from '../../../src/hal/native';
import { silentLogger } from '../../../src/log/logger';
import { screenOf, upgradeView } from './views';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-oled-'));

/** The picture as lit pixels (1 where there is ink). */
function lit(view = upgradeView()): Uint8Array {
  const pic = render(view, SSD1306_SCREEN);
  const out = new Uint8Array(128 * 64);
  for (let y = 0; y < 64; y++) for (let x = 0; x < 128; x++) out[y * 128 + x] = luma(pic.get(x, y)) < 128 ? 1 : 0;
  return out;
}

test('ssd1306 on a file: init, then 8 pages whose decoded pixels are the compact screen', async () => {
  const dir = await temp();
  try {
    const path = join(dir, 'i2c-1');
    await writeFile(path, '');
    const d = await Ssd1306Display.open(path, 0x3c, silentLogger, { emulate: true });
    await d.show(upgradeView());
    await d.close();
    const stream = await readFile(path);
    const panel = decodeSsd1306(stream);
    assert.ok(panel.on, 'display on');
    assert.equal(panel.commands.slice(0, SSD1306_INIT.length), [...SSD1306_INIT]);
    assert.equal([...panel.pixels], [...lit()]);
    assert.is(d.pageWrites, 8);
    assert.is(stream.length, SSD1306_INIT.length * 2 + 8 * (6 + 129));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ssd1306: only the pages that changed are sent again; the same view sends nothing', async () => {
  const dir = await temp();
  try {
    const path = join(dir, 'i2c-1');
    await writeFile(path, '');
    const d = await Ssd1306Display.open(path, 0x3c, silentLogger, { emulate: true });
    const v = upgradeView();
    await d.show(v);
    await d.show(v);
    assert.is(d.pageWrites, 8);
    // The 2nd file's bar goes from verifying to done: only the lower pages move.
    const w = { ...v, pfs: false };
    await d.show(w);
    assert.is(d.pageWrites, 9, 'the icon lives in page 0 only');
    await d.close();
    assert.equal([...decodeSsd1306(await readFile(path)).pixels], [...lit(w)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ssd1306 through the addon interface: the address is set before the first write', async () => {
  const dir = await temp();
  try {
    await writeFile(join(dir, 'i2c-1'), '');
    const calls: string[] = [];
    const native = { i2cSetAddress: (_fd: number, p: string, a: number) => void calls.push(`${p} 0x${a.toString(16)}`) } as unknown as PfsNative;
    const d = await openDisplay({ backend: 'ssd1306', device: 'i2c-1', address: 0x3d }, { root: dir, boardName: 'b', screen: screenOf('CP-7961G'), log: silentLogger, native });
    assert.is(d.kind, 'ssd1306');
    await d.close();
    assert.equal(calls, [`${join(dir, 'i2c-1')} 0x3d`]);
    assert.is((await readFile(join(dir, 'i2c-1'))).length, SSD1306_INIT.length * 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ssd1306 decoder: command arguments are not taken for commands, single data bytes advance the column', () => {
  const stream = Buffer.concat([
    commandBytes([0xd3, 0x00, 0x81, 0xb3, 0xb2, 0x05, 0x10, 0xaf]),
    Buffer.of(0xc0, 0xff),
    dataBytes(Uint8Array.of(0x01)),
  ]);
  const p = decodeSsd1306(stream);
  assert.ok(p.on);
  // Page 2, columns 5 and 6: all 8 rows, then the top row.
  for (let y = 16; y < 24; y++) assert.is(p.pixels[y * 128 + 5], 1);
  assert.is(p.pixels[16 * 128 + 6], 1);
  assert.is(p.pixels[17 * 128 + 6], 0);
  assert.is(p.pixels.reduce((a, b) => a + b, 0), 9, 'the 0xb3 argument of 0x81 did not select page 3');
  assert.throws(() => decodeSsd1306(Buffer.of(0x12)), /control byte/);
});

test('ssd1306: the compact screen while not downloading and for an error', () => {
  const err = { ...upgradeView(), phase: 'error' as const, error: 'no space left on flash' };
  assert.ok(lit(err).some((b) => b === 1));
  const served = { ...upgradeView(), phase: 'serving' as const };
  assert.not.equal([...lit(served)], [...lit()]);
});

test.run();
