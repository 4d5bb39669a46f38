// The emulated chip itself: it must refuse what a real one refuses (or silently
// corrupts), so that a back-end with a wrong erase order fails its tests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemFs } from '../../../src/hal/flash/mem';
import { MtdEmulator, MtdRuleError } from '../../../src/hal/flash/mtd-emu';
import { rejection } from './load-content';

async function chip(type: 'nor' | 'nand', badBlocks: number[] = []) {
  const fs = new MemFs();
  await MtdEmulator.format(fs, '/mtd', 4 * 8192);
  return { fs, dev: await MtdEmulator.open(fs, '/mtd', { type, eraseSize: 8192, writeSize: 512, badBlocks }) };
}

const ruleOf = (e: Error) => (e instanceof MtdRuleError ? e.code : `not a MtdRuleError: ${e}`);
const bytes = async (dev: MtdEmulator, pos: number, n: number) => {
  const b = Buffer.alloc(n);
  await dev.read(b, 0, n, pos);
  return b;
};

test('a new chip is erased: all 0xFF', async () => {
  const { dev } = await chip('nand');
  assert.ok((await bytes(dev, 0, 4 * 8192)).equals(Buffer.alloc(4 * 8192, 0xff)));
  assert.equal(dev.info(), { type: 'nand', size: 32_768, eraseSize: 8192, writeSize: 512 });
});

test('NAND: erase, then write each page once; a second write to a page throws until the block is erased again', async () => {
  const { dev } = await chip('nand');
  await dev.write(Buffer.alloc(1024, 0x5a), 0);
  assert.ok((await bytes(dev, 0, 1024)).equals(Buffer.alloc(1024, 0x5a)));
  // The wrong order: writing the same page again without an erase (even bytes that only clear bits).
  const twice = await rejection(() => dev.write(Buffer.alloc(512, 0x00), 512));
  assert.is(ruleOf(twice), 'ENOTERASED');
  assert.match(twice.message, /page 1 was written since its block was last erased/);
  // Another page of the block is fine; after an erase, the first one is too.
  await dev.write(Buffer.alloc(512, 0x11), 1024);
  await dev.erase(0, 8192);
  assert.ok((await bytes(dev, 0, 8192)).equals(Buffer.alloc(8192, 0xff)));
  await dev.write(Buffer.alloc(512, 0x00), 512);
});

test('NAND: writes are whole pages; erases whole erase blocks', async () => {
  const { dev } = await chip('nand');
  assert.is(ruleOf(await rejection(() => dev.write(Buffer.alloc(100), 0))), 'EINVAL');
  assert.is(ruleOf(await rejection(() => dev.write(Buffer.alloc(512), 100))), 'EINVAL');
  assert.is(ruleOf(await rejection(() => dev.erase(4096, 8192))), 'EINVAL');
  assert.is(ruleOf(await rejection(() => dev.write(Buffer.alloc(512), 4 * 8192))), 'EINVAL');
});

test('NOR: any byte, but a write can only clear bits; setting one takes an erase', async () => {
  const { dev } = await chip('nor');
  assert.is(dev.info().writeSize, 1);
  await dev.write(Buffer.from([0xf0]), 3);
  await dev.write(Buffer.from([0x30]), 3); // clears more bits: what NOR allows
  const up = await rejection(() => dev.write(Buffer.from([0x0f]), 3));
  assert.is(ruleOf(up), 'ENOTERASED');
  assert.match(up.message, /0x30 → 0xf needs a bit set from 0 to 1/);
  await dev.erase(0, 8192);
  await dev.write(Buffer.from([0x0f]), 3);
  assert.ok((await bytes(dev, 2, 3)).equals(Buffer.from([0xff, 0x0f, 0xff])));
});

test('bad blocks are reported and refuse reads, writes and erases', async () => {
  const { dev } = await chip('nand', [2]);
  assert.equal(await Promise.all([0, 8192, 16_384, 24_576].map((p) => dev.isBad(p))), [false, false, true, false]);
  for (const op of [() => dev.read(Buffer.alloc(512), 0, 512, 16_384), () => dev.write(Buffer.alloc(512), 16_384), () => dev.erase(16_384, 8192), () => dev.read(Buffer.alloc(1024), 0, 1024, 16_384 - 512)]) {
    assert.is(ruleOf(await rejection(op)), 'EIO');
  }
});

test('reopened, a NAND chip still knows which pages were written (not all 0xFF)', async () => {
  const { fs, dev } = await chip('nand');
  await dev.write(Buffer.alloc(512, 0xfe), 2048);
  const again = await MtdEmulator.open(fs, '/mtd', { type: 'nand', eraseSize: 8192, writeSize: 512 });
  assert.is(ruleOf(await rejection(() => again.write(Buffer.alloc(512, 0), 2048))), 'ENOTERASED');
  await again.write(Buffer.alloc(512, 0), 2560);
});

test.run();
