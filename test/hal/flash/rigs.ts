// The mtd and block back-ends on a MemFs: what their tests and the power-cut test run on.
import type { FlashFs } from '../../../src/hal/flash/fs';
import type { MemFs } from '../../../src/hal/flash/mem';
import { blockFlash } from '../../../src/hal/flash/block';
import { mtdFlash } from '../../../src/hal/flash/mtd';
import { MtdEmulator, type MtdEmulatorOptions } from '../../../src/hal/flash/mtd-emu';
import { writeAll } from '../../../src/hal/flash/fs';
import type { CutRig } from './power-cut';

export interface MtdLayout {
  chip: Omit<MtdEmulatorOptions, 'badBlocks'>;
  /** Erase blocks of each partition, and which of them are bad. */
  pointer: { blocks: number; bad?: number[] };
  a: { blocks: number; bad?: number[] };
  b: { blocks: number; bad?: number[] };
}

/** Small-block NAND (2 KiB pages, 128 KiB erase blocks) with a bad block in every partition. */
export const NAND: MtdLayout = {
  chip: { type: 'nand', eraseSize: 131_072, writeSize: 2048 },
  pointer: { blocks: 3, bad: [0] },
  a: { blocks: 14, bad: [1, 6] },
  b: { blocks: 14, bad: [0] },
};

/** NOR (64 KiB sectors, any byte). */
export const NOR: MtdLayout = {
  chip: { type: 'nor', eraseSize: 65_536, writeSize: 1 },
  pointer: { blocks: 2 },
  a: { blocks: 24 },
  b: { blocks: 24 },
};

const PARTS = ['pointer', 'a', 'b'] as const;
export const mtdPath = (p: (typeof PARTS)[number]) => `/dev/mtd-${p}`;

export function mtdRig(layout: MtdLayout, devices?: MtdEmulator[]): CutRig {
  return {
    async format(fs: MemFs) {
      await fs.mkdir('/dev');
      for (const p of PARTS) await MtdEmulator.format(fs, mtdPath(p), layout[p].blocks * layout.chip.eraseSize, { eraseSize: layout.chip.eraseSize });
      await fs.syncDir('/dev');
      await fs.syncDir('/');
    },
    flash(fs: FlashFs) {
      const dev = (p: (typeof PARTS)[number]) => async () => {
        const d = await MtdEmulator.open(fs, mtdPath(p), { ...layout.chip, badBlocks: layout[p].bad, layout: 'blocks' });
        devices?.push(d);
        return d;
      };
      return mtdFlash({ pointer: dev('pointer'), slots: [dev('a'), dev('b')], name: 'test board' });
    },
  };
}

export const blockPath = (p: 'pointer' | 'a' | 'b') => `/images/${p}.img`;

/** Image files: an 8 KiB pointer and two 1 MiB slots (zeros, as a new file or a wiped partition). */
export const blockRig: CutRig = {
  async format(fs: MemFs) {
    await fs.mkdir('/images');
    for (const [p, size] of [['pointer', 8192], ['a', 1_048_576], ['b', 1_048_576]] as const) {
      const f = await fs.open(blockPath(p), 'write');
      await writeAll(f, Buffer.alloc(size));
      await f.sync();
      await f.close();
    }
    await fs.syncDir('/images');
    await fs.syncDir('/');
  },
  flash: (fs) => blockFlash({ fs, pointer: blockPath('pointer'), slots: [blockPath('a'), blockPath('b')] }),
};
