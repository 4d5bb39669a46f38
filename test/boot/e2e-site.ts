// The end-to-end boot tests' site: a TFTP origin behind an emulated WAN on loopback,
// boards prepared as the lab prepares them, each booted with `pfs boot`'s sequence in
// this process. Shared by boot-e2e*.test.ts (split so they run side by side).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import pixelmatch from 'pixelmatch';
import { createLogger } from '../../src/log/logger';
import { TftpServer } from '../../src/net/tftp/server';
import { WanEmulator } from '../../src/net/wan';
import { loadModels } from '../../src/profiles';
import { bootBoard } from '../../src/boot/boot';
import { prepareSite } from '../../src/lab/site';
import { DirFlash } from '../../src/hal/flash/dir';
import { render } from '../../src/hal/display';
import type { ShareRole, UpgradeView } from '../../src/hal/view';
import { freePortRange } from '../helpers/net';

/**
 * Whether the board's screen.png shows a finished upgrade: the model's geometry,
 * every component done, each with one of the roles a PFS board can have.
 */
export async function showsComplete(root: string, model: { model: string; screen: { width: number; height: number; depth: number; color: boolean } }, load: string, files: { name: string; size: number }[]): Promise<string | undefined> {
  const png = PNG.sync.read(await readFile(join(root, 'screen.png')));
  if (png.width !== model.screen.width || png.height !== model.screen.height) return `screen is ${png.width}x${png.height}`;
  const roles: ShareRole[] = ['root', 'parent', 'child'];
  let best = Infinity;
  for (let k = 0; k < roles.length ** files.length; k++) {
    const view: UpgradeView = {
      model: model.model, running: 'SCCP41.9-3-1SR1-1S', target: load, phase: 'done', pfs: true,
      components: files.map((f, i) => ({ name: f.name, size: f.size, bytes: f.size, state: 'done', role: roles[Math.floor(k / roles.length ** i) % roles.length]!, children: 0 })),
    };
    best = Math.min(best, pixelmatch(png.data, render(view, model.screen).toRgba(), undefined, png.width, png.height, { threshold: 0.1 }));
  }
  return best === 0 ? undefined : `${best} pixels differ from every finished upgrade screen`;
}

/** A site on loopback: origin behind a WAN, boards prepared as the lab prepares them. */
export async function site(o: { models: [string, number][]; pfsOff?: number; size?: number; enterprisePfs?: boolean }) {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boot-'));
  const models = await loadModels('boards');
  let wanPort = 0;
  // The broadcast port, then one peer port per board, free when asked.
  const base = (await freePortRange(o.models.reduce((n, [, count]) => n + count, 0) + 1)) + 1;
  const s = await prepareSite(dir, {
    models: o.models.map(([m, count]) => ({ profile: models.get(m)!, count })),
    size: o.size ?? 1 << 20,
    files: 2,
    enterprisePfs: o.enterprisePfs ?? true,
    pfsOff: o.pfsOff ?? 0,
    server: () => ({ host: '127.0.0.1', port: wanPort }),
    boardConfig: (i) => ({ addr: '127.0.0.1', peer_port: String(base + i), broadcast: `127.255.255.255:${base - 1}` }),
  });
  // The origin's own log (requests, ends, timeouts): on a failure, who took a file how often.
  const serverLog: string[] = [];
  // Every board is 127.0.0.1 here: no cap per client address (8 by default), as in the lab.
  const server = new TftpServer({ root: s.originDir, port: 0, pipeline: 2, maxWindowsize: 128, maxPerClient: 4096, logger: createLogger('ORIGIN', { level: 'DBG', sinks: [{ writeLine: (l) => serverLog.push(l) }] }) });
  await server.start();
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: 40e6, rttMs: 10 });
  await wan.start();
  wanPort = wan.address().port;
  // pfs.txt was written before the WAN had a port: the server comes from --server instead.
  const logs = new Map<number, string[]>();
  const boot = (i: number, extra: Partial<Parameters<typeof bootBoard>[0]> = {}) => {
    const lines: string[] = [];
    logs.set(i, lines);
    return bootBoard({
      board: 'sim',
      boardsDir: 'boards',
      root: s.boards[i]!.root,
      server: `127.0.0.1:${wanPort}`,
      log: createLogger('PFS', { level: 'DBG', sinks: [{ writeLine: (l) => lines.push(l) }] }),
      configTries: 2,
      upgradeTimeoutMs: 30_000,
      lingerMs: 10_000,
      ...extra,
    });
  };
  const close = async () => {
    await wan.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  /**
   * What a reader of a failed WAN-copy count needs: the origin's lines about `file`,
   * and each board's lines on roots, origin transfers, fallbacks and warnings.
   */
  const whyCopies = (file: string): string => {
    const boards = [...logs.entries()].flatMap(([i, l]) =>
      l.filter((x) => (x.includes('@@@HROOT') && x.includes(file)) || /^(WRN|ERR)|leaves root|yields to root|origin in|root of .* without|from the origin|falling back|fetching|timing: (claimant|root|whole)/.test(x)).map((x) => `board ${i}: ${x}`),
    );
    return [...serverLog.filter((x) => x.includes(file)).map((x) => `origin: ${x}`), ...boards].join('\n');
  };
  return { dir, s, server, boot, logs, close, whyCopies };
}

export async function activeFiles(root: string) {
  const f = new DirFlash(join(root, 'flash'));
  await f.open();
  return f.activeLoad();
}
