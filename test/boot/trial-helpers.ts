// A board root of the `sim` board for the trial and handover tests: pfs.txt, an empty
// trust/ and a dir flash holding the loads given (the last one on trial, unless told),
// plus a TFTP origin whose XMLDefault.cnf.xml names a load.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirFlash } from '../../src/hal/flash/dir';
import { TftpServer } from '../../src/net/tftp/server';
import { createLogger } from '../../src/log/logger';
import { bootBoard, type BootOptions } from '../../src/boot/boot';

export const MODEL = 'CP-7961G';

export interface TrialBoard {
  dir: string;
  root: string;
  boardsDir: string;
  /** Points XMLDefault.cnf.xml at `load`. */
  offer(load: string): Promise<void>;
  /** One pfs boot of the board; its console lines land in `lines`. */
  boot(extra?: Partial<BootOptions>): Promise<{ exit: number; lines: string[] }>;
  flash(): Promise<DirFlash>;
  close(): Promise<void>;
}

/**
 * `loads`: name and files of each load, committed in order; all but the last marked
 * good, the last on trial unless `good`. `trials` and `trialSeconds` go into the board file's flash.
 */
export async function trialBoard(o: { loads: { load: string; files: Record<string, Buffer | string> }[]; good?: boolean; trials?: number; trialSeconds?: number }): Promise<TrialBoard> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-trial-'));
  const root = join(dir, 'board');
  const origin = join(dir, 'origin');
  const boardsDir = join(dir, 'boards');
  await cp('boards', boardsDir, { recursive: true });
  if (o.trials !== undefined || o.trialSeconds !== undefined) {
    const sim = JSON.parse(await readFile(join(boardsDir, 'sim.json'), 'utf8'));
    sim.flash.trials = o.trials;
    sim.flash.trialSeconds = o.trialSeconds;
    await writeFile(join(boardsDir, 'sim.json'), JSON.stringify(sim));
  }
  for (const sub of ['boot', 'trust', 'tmp', 'flash']) await mkdir(join(root, sub), { recursive: true });
  await mkdir(origin);
  const server = new TftpServer({ root: origin, port: 0 });
  await server.start();
  await writeFile(join(root, 'boot', 'pfs.txt'), `model=${MODEL}\nmac=001BD5080001\ntftp=127.0.0.1:${server.address().port}\naddr=127.0.0.1\nbroadcast=127.255.255.255\n`);
  const f = new DirFlash(join(root, 'flash'));
  await f.open();
  for (const [i, l] of o.loads.entries()) {
    await f.beginInstall(l.load);
    const files = [];
    for (const [name, content] of Object.entries(l.files)) {
      const s = await f.openComponent(name);
      await s.writev([Buffer.from(content)], 0);
      await s.close();
      files.push({ name, size: Buffer.byteLength(content) });
    }
    await f.commit(l.load, files);
    if (i < o.loads.length - 1 || o.good) await f.markGood();
  }
  return {
    dir,
    root,
    boardsDir,
    offer: (load) => writeFile(join(origin, 'XMLDefault.cnf.xml'), `<Default>\n  <loadInformation model="${MODEL}">${load}</loadInformation>\n</Default>\n`),
    async boot(extra = {}) {
      const lines: string[] = [];
      const r = await bootBoard({
        board: 'sim',
        boardsDir,
        root,
        log: createLogger('PFS', { level: 'INF', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
        configTries: 1,
        display: false,
        leds: false,
        ...extra,
      });
      return { exit: r.exit, lines };
    },
    async flash() {
      const g = new DirFlash(join(root, 'flash'));
      await g.open();
      return g;
    },
    async close() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
