import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlashError } from '../../../src/hal/flash/flash';
import { MemFs } from '../../../src/hal/flash/mem';
import { mtdUnits } from '../../../src/hal/flash/mtd';
import { MtdEmulator, MtdRuleError } from '../../../src/hal/flash/mtd-emu';
import { RawFlash } from '../../../src/hal/flash/raw';
import { decodeHeader } from '../../../src/hal/flash/records';
import { flashCompliance } from './compliance';
import { assertWholeLoad, COMPONENTS, filesOf, loadContent, readAll, rejection, upgrade } from './load-content';
import { assertSurvived, cutEverywhere, type CutRig } from './power-cut';
import { mtdPath, mtdRig, NAND, NOR, type MtdLayout } from './rigs';

function compliance(layout: MtdLayout) {
  flashCompliance('mtd', async () => {
    const fs = new MemFs();
    const rig = mtdRig(layout);
    await rig.format(fs);
    return {
      async power() {
        const f = rig.flash(fs);
        await f.open();
        return f;
      },
      async dispose() {},
    };
  });
}
compliance(NAND);
compliance(NOR);

test('NAND with bad blocks in every partition: no operation touches one, and the load reads back whole', async () => {
  const fs = new MemFs();
  const devices: MtdEmulator[] = [];
  const rig = mtdRig(NAND, devices);
  await rig.format(fs);
  const f = rig.flash(fs);
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
  await upgrade(f, 'L2');
  // The emulator throws on any read, write or erase of a bad block: none happened, and both slots were used.
  assert.equal(await assertWholeLoad(f), 'L2');
  const g = rig.flash(fs);
  await g.open();
  assert.equal([(await g.boot()).load, await assertWholeLoad(g)], ['L2', 'L2']);
  await g.rollback();
  assert.is(await assertWholeLoad(g), 'L1');
  // The bad blocks are skipped, not merely unused: the first good blocks hold the records.
  const [pointer] = devices;
  const head = Buffer.alloc(16);
  await pointer!.read(head, 0, 16, NAND.chip.eraseSize);
  assert.ok(decodeHeader('PFSP', head), 'the pointer is in erase block 1, the first good one');
});

test('a block that goes bad later, holding none of the load, changes nothing: the tables name physical blocks', async () => {
  const fs = new MemFs();
  const rig = mtdRig(NAND);
  await rig.format(fs);
  const f = rig.flash(fs);
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
  // Slot A's last block goes bad: L1 does not use it, and the good blocks before it keep their numbers.
  const later: MtdLayout = { ...NAND, a: { ...NAND.a, bad: [...NAND.a.bad!, NAND.a.blocks - 1] } };
  const g = mtdRig(later).flash(fs);
  await g.open();
  assert.equal([(await g.boot()).load, await assertWholeLoad(g)], ['L1', 'L1']);
  await upgrade(g, 'L2');
  await g.markGood();
  await upgrade(g, 'L3'); // back into slot A, around the new bad block
  assert.is(await assertWholeLoad(g), 'L3');
});

test('components written at the same time (as from peers) interleave their blocks and read back whole; a write over written bytes works', async () => {
  const fs = new MemFs();
  const rig = mtdRig(NAND);
  await rig.format(fs);
  const f = rig.flash(fs);
  await f.open();
  await f.beginInstall('L1');
  await Promise.all(
    COMPONENTS.map(async (name, i) => {
      const data = loadContent('L1', name);
      const s = await f.openComponent(name);
      // Odd chunk sizes, so pages fill across writes; each file at its own pace.
      const chunk = 3001 + i * 1000;
      for (let off = 0; off < data.length; off += chunk) {
        await s.writev([data.subarray(off, off + chunk)], off);
        await new Promise((r) => setImmediate(r));
      }
      await s.sync();
      // A rewrite in the middle, of the same bytes and of others then back.
      await s.writev([Buffer.alloc(5000, 7)], 70_000);
      await s.writev([data.subarray(70_000, 75_000)], 70_000);
      await s.close();
    }),
  );
  await f.commit('L1', filesOf('L1'));
  const g = rig.flash(fs);
  await g.open();
  assert.is(await assertWholeLoad(g), 'L1');
  assert.ok((await readAll(g, 'cnu41.sbn'))!.equals(loadContent('L1', 'cnu41.sbn')));
});

test('every write is read back: a block that keeps a bit other than written is an I/O error, and the board keeps its load', async () => {
  const fs = new MemFs();
  await mtdRig(NAND).format(fs);
  const flash = () =>
    new RawFlash({
      kind: 'mtd',
      name: 'worn board',
      async connect() {
        const parts = await connect(fs, NAND);
        const b = await MtdEmulator.open(fs, mtdPath('b'), { ...NAND.chip, badBlocks: NAND.b.bad, layout: 'blocks' });
        // A worn block: the chip takes the write and clears one bit more than asked (not in the table's blocks).
        const write = b.write.bind(b);
        b.write = (data, position) => {
          if (position < 3 * NAND.chip.eraseSize || data[0] === 0) return write(data, position);
          const worn = Buffer.from(data);
          worn[0] = worn[0]! & (worn[0]! - 1);
          return write(worn, position);
        };
        return { ...parts, slots: { A: parts.slots.A, B: await mtdUnits(b) } };
      },
    });
  const f = flash();
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
  const e = await rejection(() => upgrade(f, 'L2'));
  assert.ok(e instanceof FlashError && e.code === 'PFS_ERR_FLASH_IO', String(e));
  assert.match(e.message, /^flash \/dev\/mtd-b apps41\.sbn: write at \d+: read-back of \d+ bytes at \d+ differs from what was written/);
  const g = flash();
  await g.open();
  assert.equal([(await g.boot()).load, await assertWholeLoad(g)], ['L1', 'L1']);
});

test('a slot with too few good blocks is an error naming the device', async () => {
  const fs = new MemFs();
  const layout: MtdLayout = { ...NAND, b: { blocks: 3, bad: [2] } };
  const rig = mtdRig(layout);
  await rig.format(fs);
  const e = await rejection(() => rig.flash(fs).open());
  assert.ok(e instanceof FlashError && e.code === 'PFS_ERR_FLASH_IO');
  assert.match(e.message, /\/dev\/mtd-b slotB: needs at least 3 good units of 131072 bytes \(2 for its table\), has 2/);
});

/** The back-end on devices that break a rule of the protocol, to show the emulator or the cut test catches it. */
function broken(layout: MtdLayout, change: (parts: Awaited<ReturnType<typeof connect>>) => void): CutRig {
  const base = mtdRig(layout);
  return {
    format: base.format,
    flash: (fs) =>
      new RawFlash({
        kind: 'mtd',
        name: 'broken board',
        async connect() {
          const parts = await connect(fs, layout);
          change(parts);
          return parts;
        },
      }),
  };
}

async function connect(fs: MemFs | Parameters<CutRig['flash']>[0], layout: MtdLayout) {
  const open = async (p: 'pointer' | 'a' | 'b') => mtdUnits(await MtdEmulator.open(fs, mtdPath(p), { ...layout.chip, badBlocks: layout[p].bad, layout: 'blocks' }));
  return { pointer: await open('pointer'), slots: { A: await open('a'), B: await open('b') } };
}

test('a wrong erase order fails: a back-end that writes a slot without erasing its blocks first is refused by the chip', async () => {
  const rig = broken(NAND, (parts) => {
    // Only the blocks given to files; the tables' blocks are still erased.
    for (const d of [parts.slots.A, parts.slots.B]) {
      const erase = d.erase.bind(d);
      Object.assign(d, { erase: async (u: number) => (d.units.indexOf(u) < 2 ? erase(u) : undefined) });
    }
  });
  const fs = new MemFs();
  await rig.format(fs);
  const f = rig.flash(fs);
  await f.open();
  // A blank chip takes the first load (every block is erased)...
  await upgrade(f, 'L1');
  await f.markGood();
  await upgrade(f, 'L2');
  // ...but the third goes where L1 was, never erased: the chip refuses, and the board keeps L2.
  const e = await rejection(() => upgrade(f, 'L3'));
  assert.ok(e instanceof FlashError && e.code === 'PFS_ERR_FLASH_IO', String(e));
  assert.ok(e.cause instanceof MtdRuleError && e.cause.code === 'ENOTERASED', String(e.cause));
  assert.match(e.message, /^flash \/dev\/mtd-a /);
  assert.is(await assertWholeLoad(f), 'L2');
});

test('power cut at every change of two upgrades on NAND (bad blocks, torn erases and writes): every power-on boots one whole load', async () => {
  assertSurvived('mtd NAND', await cutEverywhere(mtdRig(NAND), 2));
});

test('power cut at every change on NOR', async () => {
  assertSurvived('mtd NOR', await cutEverywhere(mtdRig(NOR), 1));
});

test('the cut test has teeth: a pointer kept in one erase block (erased, then written) loses the board at some cut', async () => {
  const rig = broken(NAND, (parts) => {
    const u = parts.pointer.units[0]!;
    Object.assign(parts.pointer, { units: [u, u] });
  });
  const { failures } = await cutEverywhere(rig, 1);
  assert.ok(failures.length > 0, 'no cut found the pointer lost');
  assert.ok(failures.some((f) => /booted null/.test(f)), failures[0]);
});

test.run();
