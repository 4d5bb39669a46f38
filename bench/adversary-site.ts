// The site behind `npm run adversary`: what a CUCM TFTP server would serve
// (XMLDefault.cnf.xml with Peer Firmware Sharing enabled, one signed load for the
// model) and one root folder per honest board (the `sim` board file, pfs.txt with
// mac=, addr=, broadcast=, tftp=, and flash holding an older load), laid out by the
// lab's own prepareSite (src/lab/site.ts). Each honest board then runs `pfs boot`
// (bootBoard) on its folder; checkBoard() says whether what it committed is right.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { prepareSite, labMac, type Site } from '../src/lab/site';
import { loadModels } from '../src/profiles';
import { nodeIdOf } from '../src/boot/identity';
import { DirFlash } from '../src/hal/flash/dir';
import { hierarchyKey } from '../src/dload/index';
import { readActiveFile } from '../test/helpers/flash';

export const MODEL = 'CP-7961G';
/** The repository's board files: `sim.json` and the model profiles. */
export const BOARDS_DIR = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'boards');

/** Honest board `i`'s address: one of its own in 127.0.0.0/8, so a datagram's source tells the boards apart. */
export const boardAddr = (i: number): string => `127.0.0.${10 + i}`;

export interface AdversarySite {
  site: Site;
  /** The load every honest board must commit. */
  load: string;
  /** The component the attacks aim at, and its hierarchy key. */
  component: string;
  key: string;
  /** Node id of board `i` (from its MAC, as pfs boot derives it). */
  nodeId: (i: number) => number;
  /** The board's root folder, for bootBoard. */
  rootOf: (i: number) => string;
}

/**
 * Lays out the origin under `<dir>/origin` and `boards` board folders under
 * `<dir>/boards`. `server()` is where the boards find the TFTP server (the WAN in
 * front of the origin); `bport` the port adverts are broadcast to. Each board's peer
 * port is 0 (a free one, UDP and TCP apart), as the attacks find it from the board.
 */
export async function prepareAdversarySite(dir: string, o: { boards: number; size: number; server: () => { host: string; port: number }; bport: number }): Promise<AdversarySite> {
  const profile = (await loadModels(BOARDS_DIR)).get(MODEL)!;
  const site = await prepareSite(dir, {
    models: [{ profile, count: o.boards }],
    size: o.size,
    files: 1,
    enterprisePfs: true,
    pfsOff: 0,
    server: o.server,
    boardConfig: (i) => ({ addr: boardAddr(i), broadcast: `127.255.255.255:${o.bport}`, peer_port: '0' }),
  });
  const component = site.componentNames[0]!;
  return {
    site,
    load: site.loads.get(MODEL)!,
    component,
    key: hierarchyKey(MODEL, component),
    nodeId: (i) => nodeIdOf(labMac(i)),
    rootOf: (i) => site.boards[i]!.root,
  };
}

/**
 * What board `i` has on flash, checked apart from pfs boot's own read-back: the
 * active load's name, and each component of the active slot hashed whole against
 * the file the load was packed from. `bad` names the first wrong byte's file.
 */
export async function checkBoard(dir: string, s: AdversarySite, i: number): Promise<{ load: string | null; bad?: string }> {
  const flash = new DirFlash(join(s.rootOf(i), 'flash'));
  await flash.open();
  try {
    const load = await flash.activeLoad();
    if (load !== s.load) return { load };
    for (const c of s.site.components) {
      const want = createHash('sha256').update(await readFile(join(dir, 'build', c.name))).digest('hex');
      const buf = await readActiveFile(flash, c.name);
      if (!buf) return { load, bad: `${c.name}: not in the active slot` };
      const at = buf.length;
      const got = createHash('sha256').update(buf).digest('hex');
      if (at !== c.size || got !== want) return { load, bad: `${c.name}: the active slot's ${at} bytes hash to ${got.slice(0, 12)}…, the load's to ${want.slice(0, 12)}…` };
    }
    return { load };
  } finally {
    // DirFlash keeps no handle open between calls: nothing to close.
  }
}
