// The frozen-parent attack of `npm run adversary`: honest boards, each `pfs boot` as a
// process of its own (bench/adversary-board.ts) on a root folder and an address of its
// own, upgrading from the site of bench/adversary-site.ts; the first one starts early,
// so it is the root, and is frozen with SIGSTOP once the others have started (its
// sockets stay open, nothing is sent) for `freezeS` seconds, then thawed. Every other
// board must commit the right load meanwhile.
import dgram from 'node:dgram';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import type { AdversaryResult } from './adversary-lab';
import { checkBoard, prepareAdversarySite } from './adversary-site';

const BOARD = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, 'adversary-board.ts');

export async function frozenRoot(o: { boards: number; size: number; seed: number; limitS: number; wanRate?: number; freezeS: number }): Promise<AdversaryResult & { frozenDone: boolean }> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-frozen-'));
  const server = new TftpServer({ root: join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128, maxPerClient: 4096, maxTransfers: 4096 });
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  let wan: WanEmulator | undefined;
  const kids: ChildProcess[] = [];
  const errors: string[] = [];
  let verified = 0;
  let badFiles = 0;
  let frozenDone = false;
  const exited: Promise<void>[] = [];
  let fleetSeconds = o.limitS;
  let originCopies = 0;
  try {
    await mkdir(join(root, 'origin'));
    await server.start();
    await new Promise<void>((ok) => holder.bind(0, '0.0.0.0', ok));
    if (o.wanRate !== undefined && Number.isFinite(o.wanRate)) {
      wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: o.wanRate, rttMs: 20 });
      await wan.start();
    }
    const originPort = (wan ?? server).address().port;
    const site = await prepareAdversarySite(root, { boards: o.boards, size: o.size, server: () => ({ host: '127.0.0.1', port: originPort }), bport: holder.address().port });
    const t0 = performance.now();
    let last = 0;
    const results: Promise<void>[] = [];
    const board = async (i: number): Promise<{ child: ChildProcess; started: Promise<void>; ended: Promise<string> }> => {
      // The frozen board's limit counts from its thaw.
      const arg = JSON.stringify({ root: site.rootOf(i), upgradeTimeoutMs: (o.limitS + (i === 0 ? o.freezeS : 0)) * 1000, lingerMs: 30_000 });
      const child = spawn(process.execPath, ['--import', 'tsx', BOARD, arg], { stdio: ['ignore', 'pipe', 'inherit'] });
      kids.push(child);
      exited.push(new Promise<void>((r) => child.on('exit', () => r())));
      let out = '';
      let startedOk!: () => void;
      const started = new Promise<void>((r) => (startedOk = r));
      const ended = new Promise<string>((done) => {
        child.stdout!.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('started\n')) startedOk();
          const m = /(committed|failed: .*)\n/.exec(out);
          if (m) done(m[1]!);
        });
        child.on('exit', () => startedOk()); // a board that dies before its peer engine runs holds no one up
        child.on('exit', () => done(/(committed|failed: .*)\n/.exec(out)?.[1] ?? `exited without a word`));
      });
      return { child, started, ended };
    };
    // The root-to-be first, alone long enough to be confirmed root.
    const first = await board(0);
    await first.started;
    const others = await Promise.all(Array.from({ length: o.boards - 1 }, (_, k) => board(k + 1)));
    await Promise.all(others.map((b) => b.started));
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGSTOP');
    const thaw = setTimeout(() => first.child.kill('SIGCONT'), o.freezeS * 1000);
    const committed = new Set<number>();
    others.forEach((b, k) => {
      results.push(b.ended.then((r) => {
        if (r === 'committed') {
          committed.add(k + 1);
          last = Math.max(last, performance.now() - t0);
        } else errors.push(`board ${k + 1}: ${r}`);
      }));
    });
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(results), new Promise((r) => (limit = setTimeout(r, o.limitS * 1000)))]);
    clearTimeout(limit);
    clearTimeout(thaw);
    first.child.kill('SIGCONT');
    const firstEnd = await Promise.race([first.ended, new Promise<string>((r) => setTimeout(() => r('not done 60 s after the thaw'), 60_000))]);
    // What each board that committed holds on flash, hashed apart from pfs boot's own read-back, once it is gone.
    for (const k of kids) {
      k.kill('SIGCONT');
      k.kill('SIGKILL');
    }
    await Promise.all(exited);
    const check = async (i: number): Promise<boolean> => {
      const c = await checkBoard(root, site, i);
      if (c.load === site.load && !c.bad) return true;
      badFiles++;
      errors.push(`board ${i}: ${c.bad ?? `committed, yet the active load is ${c.load}, not ${site.load}`}`);
      return false;
    };
    for (const i of committed) if (await check(i)) verified++;
    frozenDone = firstEnd === 'committed' && (await check(0));
    if (firstEnd !== 'committed') errors.push(`the frozen board: ${firstEnd}`);
    fleetSeconds = verified === others.length ? last / 1000 : o.limitS;
    originCopies = (server.stats.bytesByFile.get(site.component) ?? 0) / site.site.setBytes;
  } finally {
    for (const k of kids) {
      k.kill('SIGCONT');
      k.kill('SIGKILL');
    }
    holder.close();
    await wan?.stop();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  return { attack: 'none', boards: o.boards - 1, verified, badFiles, fleetSeconds, originCopies, attacker: { datagrams: 0, bytes: 0, connections: 0 }, errors, frozenDone };
}
