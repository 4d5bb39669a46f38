import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockFlash } from '../../../src/hal/flash/block';
import { FlashError } from '../../../src/hal/flash/flash';
import { MemFs } from '../../../src/hal/flash/mem';
import type { RawFlash } from '../../../src/hal/flash/raw';
import { decodeHeader, recordIntact } from '../../../src/hal/flash/records';
import { flashCompliance } from './compliance';
import { assertWholeLoad, rejection, upgrade } from './load-content';
import { assertSurvived, cutEverywhere, ignoringFsync } from './power-cut';
import { blockRig } from './rigs';

flashCompliance('block', async () => {
  const fs = new MemFs();
  await blockRig.format(fs);
  return {
    async power() {
      const f = blockRig.flash(fs);
      await f.open();
      return f;
    },
    async dispose() {},
  };
});

/** Image files in a temporary folder: the real file system, as the sim board uses them. */
async function images(): Promise<{ dir: string; pointer: string; slots: [string, string] }> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-block-'));
  const [pointer, a, b] = ['pointer.img', 'a.img', 'b.img'].map((n) => join(dir, n)) as [string, string, string];
  await writeFile(pointer, '');
  await truncate(pointer, 8192);
  for (const s of [a, b]) {
    await writeFile(s, '');
    await truncate(s, 1 << 20);
  }
  return { dir, pointer, slots: [a, b] };
}

flashCompliance('block', async () => {
  const img = await images();
  const opened: RawFlash[] = [];
  return {
    async power() {
      const f = blockFlash({ pointer: img.pointer, slots: img.slots });
      opened.push(f);
      await f.open();
      return f;
    },
    async dispose() {
      for (const f of opened) await f.close();
      await rm(img.dir, { recursive: true, force: true });
    },
  };
});

/** The newest intact pointer copy in the pointer file, decoded as docs/FLASH.md describes it. */
function pointerOf(file: Buffer): unknown {
  let best: { seq: number; value: unknown } | undefined;
  for (const at of [0, 4096]) {
    const head = file.subarray(at, at + 16);
    const h = decodeHeader('PFSP', head);
    if (!h) continue;
    const payload = file.subarray(at + 16, at + 16 + h.length);
    if (recordIntact(head, payload) && (!best || h.seq > best.seq)) best = { seq: h.seq, value: JSON.parse(payload.toString()) };
  }
  return best?.value;
}

test('the images hold the layout docs/FLASH.md describes: two pointer copies, each slot a table then the files', async () => {
  const img = await images();
  try {
    const f = blockFlash({ pointer: img.pointer, slots: img.slots });
    await f.open();
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    assert.equal(pointerOf(await readFile(img.pointer)), { active: 'B', previous: 'A', trial: true, boots: 0 });
    const b = await readFile(img.slots[1]);
    const tables = [0, 65_536].map((at) => ({ h: decodeHeader('PFST', b.subarray(at, at + 16)), at }));
    const newest = tables.filter((t) => t.h).sort((x, y) => y.h!.seq - x.h!.seq)[0]!;
    const table = JSON.parse(b.subarray(newest.at + 16, newest.at + 16 + newest.h!.length).toString());
    assert.equal([table.load, table.complete, table.files.map((x: { name: string }) => x.name)], ['L2', true, ['apps41.sbn', 'cnu41.sbn', 'dsp41.sbn']]);
    // The first file starts in the first unit after the table's two.
    assert.equal(table.files[0].runs[0][0], 2);
    await f.close();
  } finally {
    await rm(img.dir, { recursive: true, force: true });
  }
});

test('a missing image is an error naming it, and makes no file', async () => {
  const img = await images();
  try {
    const gone = join(img.dir, 'nope.img');
    const e = await rejection(() => blockFlash({ pointer: img.pointer, slots: [img.slots[0], gone] }).open());
    assert.ok(e instanceof FlashError && e.code === 'PFS_ERR_FLASH_IO', String(e));
    assert.match(e.message, /no such partition or image file '.*nope\.img'/);
    assert.is(await readFile(gone).catch(() => null), null);
  } finally {
    await rm(img.dir, { recursive: true, force: true });
  }
});

test('a torn pointer copy is passed over for the other one', async () => {
  const fs = new MemFs();
  await blockRig.format(fs);
  const f = blockRig.flash(fs);
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
  await upgrade(f, 'L2');
  // Spoil the newest copy's payload: the one before it (L1 active, good) is the pointer.
  const file = (await fs.readFile('/images/pointer.img'))!;
  const newestAt = [0, 4096].sort((x, y) => (decodeHeader('PFSP', file.subarray(y, y + 16))?.seq ?? -1) - (decodeHeader('PFSP', file.subarray(x, x + 16))?.seq ?? -1))[0]!;
  const h = await fs.open('/images/pointer.img', 'write');
  await h.writev([Buffer.from('X')], newestAt + 20);
  await h.close();
  const g = blockRig.flash(fs);
  await g.open();
  assert.equal([(await g.boot()).load, await assertWholeLoad(g)], ['L1', 'L1']);
});

test('power cut at every change of two upgrades on image files, losing any unsynced page: every power-on boots one whole load', async () => {
  assertSurvived('block', await cutEverywhere(blockRig, 4));
});

test('the cut test has teeth: on a disk that ignores fsync it finds boards that boot a broken load', async () => {
  const { failures } = await cutEverywhere(blockRig, 2, ignoringFsync);
  assert.ok(failures.length > 0, 'no cut found the missing fsync');
});

test.run();
