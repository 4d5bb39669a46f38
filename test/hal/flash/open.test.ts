import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlashError, type Flash } from '../../../src/hal/flash/flash';
import { createFlashImages, openFlash } from '../../../src/hal/flash/open';
import { assertWholeLoad, rejection, upgrade } from './load-content';

async function inTemp(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-open-'));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function twoLoads(f: Flash): Promise<void> {
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
  await upgrade(f, 'L2');
  assert.is(await assertWholeLoad(f), 'L2');
  await f.close?.();
}

test('dir: the folder under root, as boot.ts did', async () => {
  await inTemp(async (root) => {
    const f = openFlash({ backend: 'dir', path: 'flash' }, { root, boardName: 'sim' });
    assert.is(f.kind, 'dir');
    await twoLoads(f);
    assert.ok((await stat(join(root, 'flash', 'state.json'))).isFile());
  });
});

test('mtd on regular files: the emulated NAND, no addon needed; the load survives a power-on', async () => {
  await inTemp(async (root) => {
    const cfg = { backend: 'mtd' as const, path: 'flash/mtd0', slots: ['flash/mtd1', 'flash/mtd2'] };
    await createFlashImages(cfg, { root, boardName: 'sim-mtd', slotBytes: 1 << 20 });
    const first = await readFile(join(root, 'flash/mtd1'));
    assert.equal([first.length, first.every((b) => b === 0xff)], [1 << 20, true]);
    await twoLoads(openFlash(cfg, { root, boardName: 'sim-mtd' }));
    const g = openFlash(cfg, { root, boardName: 'sim-mtd' });
    await g.open();
    assert.equal([(await g.boot()).load, await assertWholeLoad(g)], ['L2', 'L2']);
    await g.close?.();
  });
});

test('block on image files under root', async () => {
  await inTemp(async (root) => {
    const cfg = { backend: 'block' as const, path: 'img/pointer', slots: ['img/a', 'img/b'] };
    await createFlashImages(cfg, { root, boardName: 'sim-block', slotBytes: 1 << 20 });
    const f = openFlash(cfg, { root, boardName: 'sim-block' });
    assert.is(f.kind, 'block');
    await twoLoads(f);
  });
});

test('errors name the board and the device', async () => {
  await inTemp(async (root) => {
    const noSlots = await rejection(async () => openFlash({ backend: 'mtd', path: 'x' }, { root, boardName: 'b1' }));
    assert.ok(noSlots instanceof FlashError && noSlots.code === 'PFS_ERR_FLASH_CONFIG');
    assert.is(noSlots.message, 'flash board b1: flash back-end mtd needs "slots": the A and B partitions');
    const missing = await rejection(() => openFlash({ backend: 'mtd', path: 'dev/mtd0', slots: ['dev/mtd1', 'dev/mtd2'] }, { root, boardName: 'b1' }).open());
    assert.ok(missing instanceof FlashError && missing.code === 'PFS_ERR_FLASH_IO', String(missing));
    assert.match(missing.message, /^flash .*\/dev\/mtd0 \(board b1\): no such MTD partition \(ENOENT\)$/);
    await mkdir(join(root, 'dev', 'mtd0'), { recursive: true });
    const folder = await rejection(() => openFlash({ backend: 'mtd', path: 'dev/mtd0', slots: ['dev/mtd1', 'dev/mtd2'] }, { root, boardName: 'b1' }).open());
    assert.match(folder.message, /dev\/mtd0 \(board b1\): is neither an MTD character device nor a file to emulate one in/);
    const block = await rejection(() => openFlash({ backend: 'block', path: 'p', slots: ['a', 'b'] }, { root, boardName: 'b2' }).open());
    assert.ok(block instanceof FlashError && block.code === 'PFS_ERR_FLASH_IO', String(block));
    assert.match(block.message, /\(board b2\): open: ENOENT/);
  });
});

test('mtd on a character device goes to the real chip: without the addon (or on a device that is no MTD) the error names the board', async () => {
  // /dev/null is a character device: the back-end takes it for /dev/mtdN and asks the addon.
  const e = await rejection(() => openFlash({ backend: 'mtd', path: 'dev/null', slots: ['dev/null', 'dev/null'] }, { root: '/', boardName: 'b3' }).open());
  assert.match(e.message, /board b3/);
  assert.match(e.message, /\/dev\/null/);
  assert.match((e as FlashError).code, /^PFS_ERR_(NATIVE|FLASH_IO)$/);
});

test.run();
