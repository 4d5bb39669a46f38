// Which board file this board is, when pfs boot is not told (--board): the Pi's
// firmware names the board in the device tree, and pfs image writes board= into
// pfs.txt for anything the device tree does not settle.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PfsError } from '../errors';
import { loadBoard, listBoards, type BoardProfile } from '../profiles';
import { parseBootConfig } from './select-model';

/** Where the device tree names the board (NUL-terminated text, e.g. "Raspberry Pi 4 Model B Rev 1.4"). */
export const DEVICE_TREE_MODEL = '/proc/device-tree/model';
/** Where pfs.txt is looked for before the board file says: Raspberry Pi OS bookworm's boot partition, then older ones'. */
export const BOOT_CONFIG_GUESSES = ['/boot/firmware/pfs.txt', '/boot/pfs.txt'];

/** Where the board came from, as the boot log names it. */
export type BoardSource = '--board' | 'device tree' | 'pfs.txt';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The board file whose `deviceTree` entry the device-tree model starts with (the
 * longest such entry, so "Raspberry Pi 400" can differ from "Raspberry Pi 4"), or
 * undefined when none does.
 */
export function matchDeviceTree(model: string, boards: readonly BoardProfile[]): BoardProfile | undefined {
  const text = model.replace(/\0+$/, '').trim();
  let best: { board: BoardProfile; len: number } | undefined;
  for (const b of boards) for (const p of b.deviceTree ?? []) if (text.startsWith(p) && p.length > (best?.len ?? -1)) best = { board: b, len: p.length };
  return best?.board;
}

/**
 * The board file of this board. First found wins:
 *   1. `given`: --board;
 *   2. `<root>/proc/device-tree/model`, matched against every board file's `deviceTree`;
 *   3. `board=` in `<root>/boot/firmware/pfs.txt` (else `<root>/boot/pfs.txt`).
 * Throws PFS_ERR_BOARD naming what was read when none says, and PFS_ERR_PROFILE
 * when the named board file is missing or invalid.
 */
export async function findBoard(o: { given?: string; boardsDir: string; root: string }): Promise<{ board: BoardProfile; source: BoardSource }> {
  if (o.given) return { board: await loadBoard(o.boardsDir, o.given), source: '--board' };
  const dt = await readOptional(join(o.root, DEVICE_TREE_MODEL));
  if (dt !== undefined) {
    const names = await listBoards(o.boardsDir);
    const all = await Promise.all(names.map((n) => loadBoard(o.boardsDir, n)));
    const b = matchDeviceTree(dt, all);
    if (b) return { board: b, source: 'device tree' };
  }
  for (const p of BOOT_CONFIG_GUESSES) {
    const text = await readOptional(join(o.root, p));
    const name = text === undefined ? undefined : parseBootConfig(text).get('board');
    if (name) return { board: await loadBoard(o.boardsDir, name), source: 'pfs.txt' };
  }
  const said = dt === undefined ? `no ${DEVICE_TREE_MODEL}` : `${DEVICE_TREE_MODEL} says "${dt.replace(/\0+$/, '').trim()}", which no board file names`;
  throw new PfsError('PFS_ERR_BOARD', `no board: ${said}, and no board= in ${BOOT_CONFIG_GUESSES.join(' or ')}; give --board (${(await listBoards(o.boardsDir).catch(() => [])).join(', ')})`);
}
