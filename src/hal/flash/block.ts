import { readFile, realpath, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { nodeFs, writeAll, type FlashFs } from './fs';
import { RawFlash, type UnitDevice } from './raw';

/** The pointer partition's unit: a copy of the pointer fits in one, and 8 KiB hold both. */
export const BLOCK_POINTER_UNIT = 4096;
/** A slot partition's unit: what a file is given at a time (at most one unit per file is part-used). */
export const BLOCK_SLOT_UNIT = 65_536;

/**
 * A block device or image file as units of the slot protocol. Nothing needs
 * erasing and any byte can be written again; what is written reaches the medium at
 * `sync` (fsync), so the protocol's order of syncs is what keeps it safe.
 * `size`: the bytes to use (a block device's size does not show in stat).
 */
export async function fileUnits(fs: FlashFs, path: string, unitSize: number, size?: number, name = path): Promise<UnitDevice> {
  // Opening for writing would create a missing image: a wrong path must not look like a blank board.
  if ((await fs.size(path)) === null) throw Object.assign(new Error(`ENOENT: no such partition or image file '${path}'`), { code: 'ENOENT' });
  const f = await fs.open(path, 'write');
  const bytes = size ?? (await f.size());
  const units = Array.from({ length: Math.floor(bytes / unitSize) }, (_, i) => i);
  return {
    name,
    unitSize,
    writeSize: 1,
    canOverwrite: true,
    units,
    async read(unit, offset, buffer, at, length) {
      for (let got = 0; got < length; ) {
        const n = await f.read(buffer, at + got, length - got, unit * unitSize + offset + got);
        if (n === 0) throw Object.assign(new Error(`short read at ${unit * unitSize + offset + got} of ${path}`), { code: 'EIO' });
        got += n;
      }
    },
    program: (unit, offset, data) => writeAll(f, data, unit * unitSize + offset),
    erase: async () => {},
    sync: () => f.sync(),
    close: () => f.close(),
  };
}

/**
 * The size of a partition or image: a regular file's length, or for a block device
 * (whose stat size is 0) what /sys/class/block/NAME/size says, in 512-byte sectors.
 */
export async function deviceSize(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isBlockDevice()) return st.size;
  const name = basename(await realpath(path));
  return Number((await readFile(`/sys/class/block/${name}/size`, 'utf8')).trim()) * 512;
}

export interface BlockFlashOptions {
  /** The pointer's partition or file (8 KiB are enough). */
  pointer: string;
  /** The A and B partitions or image files. */
  slots: [string, string];
  /** Default: the real file system. Tests pass a MemFs. */
  fs?: FlashFs;
  /** A partition's size; default: the file's (give `deviceSize` for block devices). */
  size?: (path: string) => Promise<number | undefined>;
  /** For messages (default: the pointer's path). */
  name?: string;
  /** Named in every message with the device: `/dev/mmcblk0p2 (board NAME)`. */
  board?: string;
}

/**
 * The `block` back-end: A/B partitions of an SD card or eMMC, or image files (see
 * docs/FLASH.md). The same slot protocol as `mtd`: a pointer as two alternating
 * copies (sequence number, CRC-32) in its own small partition, and in each slot a
 * table (two copies) followed by the files' units.
 */
export function blockFlash(o: BlockFlashOptions): RawFlash {
  const fs = o.fs ?? nodeFs;
  const size = o.size ?? (async () => undefined);
  return new RawFlash({
    kind: 'block',
    name: o.name ?? o.pointer,
    async connect() {
      const opened: UnitDevice[] = [];
      try {
        const label = (p: string) => (o.board ? `${p} (board ${o.board})` : p);
        opened.push(await fileUnits(fs, o.pointer, BLOCK_POINTER_UNIT, await size(o.pointer), label(o.pointer)));
        for (const s of o.slots) opened.push(await fileUnits(fs, s, BLOCK_SLOT_UNIT, await size(s), label(s)));
      } catch (e) {
        for (const d of opened) await d.close().catch(() => {});
        throw e;
      }
      const [pointer, a, b] = opened as [UnitDevice, UnitDevice, UnitDevice];
      return { pointer, slots: { A: a, B: b } };
    },
  });
}
