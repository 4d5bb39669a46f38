import type { MtdDevice } from './mtd-device';
import { RawFlash, type UnitDevice } from './raw';

/**
 * An MTD partition as units of the slot protocol: one unit per good erase block.
 * The bad blocks (NAND) are found once, here, and left out: the unit numbers are
 * the physical erase blocks, so a table written before a block went bad still
 * points at the right ones. Every write is read back and compared.
 */
export async function mtdUnits(dev: MtdDevice, name = dev.path): Promise<UnitDevice> {
  const g = dev.info();
  const es = g.eraseSize;
  const units: number[] = [];
  for (let b = 0; b < Math.floor(g.size / es); b++) if (!(await dev.isBad(b * es))) units.push(b);
  const readExact = async (buffer: Buffer, at: number, length: number, position: number) => {
    for (let got = 0; got < length; ) {
      const n = await dev.read(buffer, at + got, length - got, position + got);
      if (n === 0) throw Object.assign(new Error(`short read at ${position + got} of ${dev.path}`), { code: 'EIO' });
      got += n;
    }
  };
  return {
    name,
    unitSize: es,
    writeSize: g.type === 'nor' ? 1 : g.writeSize,
    canOverwrite: false,
    units,
    read: (unit, offset, buffer, at, length) => readExact(buffer, at, length, unit * es + offset),
    async program(unit, offset, data) {
      const position = unit * es + offset;
      await dev.write(data, position);
      // Verify by read-back: a worn block can take a write and keep other bits.
      const back = Buffer.alloc(data.length);
      await readExact(back, 0, data.length, position);
      if (!back.equals(data)) throw Object.assign(new Error(`read-back of ${data.length} bytes at ${position} differs from what was written (erase block ${unit} worn?)`), { code: 'EIO' });
    },
    erase: (unit) => dev.erase(unit * es, es),
    sync: () => dev.sync(),
    close: () => dev.close(),
  };
}

/** Where an `mtd` board's partitions are: each opened at every open() (a power-on). */
export interface MtdFlashOptions {
  /** The pointer's partition (two erase blocks are enough). */
  pointer: () => Promise<MtdDevice>;
  /** The A and B partitions. */
  slots: [() => Promise<MtdDevice>, () => Promise<MtdDevice>];
  /** For messages (default: `mtd`). */
  name?: string;
  /** Named in every message with the device: `/dev/mtd2 (board NAME)`. */
  board?: string;
}

/**
 * The `mtd` back-end: raw NOR or NAND partitions (see docs/FLASH.md). The pointer
 * partition holds which slot boots as two alternating erase blocks; each slot
 * partition holds a table (two erase blocks) and the load's files in the erase
 * blocks after it, erased as they are given out.
 */
export function mtdFlash(o: MtdFlashOptions): RawFlash {
  return new RawFlash({
    kind: 'mtd',
    name: o.name ?? 'mtd',
    async connect() {
      const opened: MtdDevice[] = [];
      try {
        for (const f of [o.pointer, ...o.slots]) opened.push(await f());
        const [p, a, b] = opened as [MtdDevice, MtdDevice, MtdDevice];
        const units = (d: MtdDevice) => mtdUnits(d, o.board ? `${d.path} (board ${o.board})` : d.path);
        return { pointer: await units(p), slots: { A: await units(a), B: await units(b) } };
      } catch (e) {
        for (const d of opened) await d.close().catch(() => {});
        throw e;
      }
    },
  });
}
