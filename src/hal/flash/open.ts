import { stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BoardProfile } from '../../profiles';
import { blockFlash, deviceSize } from './block';
import { DirFlash } from './dir';
import { FlashError, type Flash } from './flash';
import { nodeFs } from './fs';
import { mtdFlash } from './mtd';
import { NodeMtdDevice, type MtdDevice } from './mtd-device';
import { MtdEmulator, type MtdEmulatorOptions } from './mtd-emu';

/**
 * The chip an `mtd` board emulates when its partitions are regular files (the sim,
 * a lab): SLC NAND, 2 KiB pages, 128 KiB erase blocks, the strictest rules. Each
 * file's size is its partition's, a multiple of 128 KiB.
 */
export const EMULATED_NAND: MtdEmulatorOptions = { type: 'nand', eraseSize: 131_072, writeSize: 2048 };

export interface OpenFlashOptions {
  /** Every path of the board file is under this folder (`/` on a flashed board). */
  root: string;
  /** For messages. */
  boardName: string;
}

function paths(cfg: BoardProfile['flash'], o: OpenFlashOptions): { pointer: string; slots: [string, string] } {
  const { slots } = cfg;
  if (!slots || slots.length !== 2) {
    throw new FlashError('PFS_ERR_FLASH_CONFIG', `board ${o.boardName}`, null, `flash back-end ${cfg.backend} needs "slots": the A and B partitions`);
  }
  return { pointer: join(o.root, cfg.path), slots: [join(o.root, slots[0]!), join(o.root, slots[1]!)] };
}

/**
 * One MTD partition: the real chip through the native addon when `path` is a
 * character device (/dev/mtdN), the emulation when it is a regular file, so the
 * sim runs the same back-end without hardware or addon.
 */
async function mtdDevice(path: string, board: string): Promise<MtdDevice> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new FlashError('PFS_ERR_FLASH_IO', `${path} (board ${board})`, null, `no such MTD partition (${e.code})`, { cause: e });
  });
  if (st.isCharacterDevice()) return NodeMtdDevice.open(path, `flash back-end mtd of board ${board} (${path})`);
  if (st.isFile()) return MtdEmulator.open(nodeFs, path, EMULATED_NAND);
  throw new FlashError('PFS_ERR_FLASH_CONFIG', `${path} (board ${board})`, null, 'is neither an MTD character device nor a file to emulate one in');
}

/**
 * The flash back-end a board file names, with its paths under `root` (as the rest
 * of the board file's paths are). `dir`: `path` is the folder. `mtd`, `block`:
 * `path` is the pointer's partition, `slots` the A and B partitions (see
 * docs/FLASH.md). Nothing is opened until `open()`; `mtd` needs the native addon
 * only for a real /dev/mtd device. Errors name the board and the device.
 */
export function openFlash(cfg: BoardProfile['flash'], o: OpenFlashOptions): Flash {
  switch (cfg.backend) {
    case 'dir':
      return new DirFlash(join(o.root, cfg.path));
    case 'mtd': {
      const p = paths(cfg, o);
      const dev = (path: string) => () => mtdDevice(path, o.boardName);
      return mtdFlash({ pointer: dev(p.pointer), slots: [dev(p.slots[0]), dev(p.slots[1])], name: `${p.pointer} (board ${o.boardName})`, board: o.boardName });
    }
    case 'block': {
      const p = paths(cfg, o);
      return blockFlash({ ...p, size: deviceSize, name: `${p.pointer} (board ${o.boardName})`, board: o.boardName });
    }
    default:
      throw new FlashError('PFS_ERR_FLASH_CONFIG', `board ${o.boardName}`, null, `no flash back-end "${(cfg as { backend: string }).backend}"`);
  }
}

/**
 * Makes the image files of an `mtd` or `block` board that runs on files (the sim,
 * a lab) where they are missing: a blank pointer and two blank slots of
 * `slotBytes` each (erased, 0xFF, for `mtd`; zeros for `block`). Existing files
 * are left alone. A no-op for `dir`.
 */
export async function createFlashImages(cfg: BoardProfile['flash'], o: OpenFlashOptions & { slotBytes: number }): Promise<void> {
  if (cfg.backend === 'dir') return;
  const p = paths(cfg, o);
  const unit = cfg.backend === 'mtd' ? EMULATED_NAND.eraseSize : 65_536;
  const round = (n: number) => Math.ceil(n / unit) * unit;
  for (const [path, size] of [[p.pointer, cfg.backend === 'mtd' ? 2 * unit : 8192], [p.slots[0], round(o.slotBytes)], [p.slots[1], round(o.slotBytes)]] as const) {
    if ((await nodeFs.size(path)) !== null) continue;
    await nodeFs.mkdir(dirname(path));
    if (cfg.backend === 'mtd') {
      await MtdEmulator.format(nodeFs, path, size);
      continue;
    }
    const f = await nodeFs.open(path, 'write');
    try {
      await f.truncate(size);
      await f.sync();
    } finally {
      await f.close();
    }
  }
}
