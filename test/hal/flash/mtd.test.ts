import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlashError } from '../../../src/hal/flash/flash';
import { MemFs } from '../../../src/hal/flash/mem';
import { mtdUnits } from '../../../src/hal/flash/mtd';
import { MtdEmulator, MtdRuleError } from '../../../src/hal/flash/mtd-emu';
import { RawFlash } from '../../../src/hal/flash/raw';
import { decodeHeader } from '../../../src/hal/flash/records';
import { flashCompliance } from './compliance';
import { assertWholeLoad, rejection, upgrade } from './load-content';
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
