// A small lab of `pfs boot` processes on loopback, for a board's footprint: each board
// is `node BUNDLE boot --board sim` on a root folder of its own (as bench:fleet runs
// them, one process per board), against a TFTP origin behind an emulated WAN in this
// process. For each board it gives the peak RSS (VmHWM of /proc/PID/status, read while
// it runs: the high-water mark only grows, so the last reading before it ends is its
// peak), the time from spawning it to its first console line, and whether it committed
// the new load. Used by bench/footprint.ts and test/bench/footprint.test.ts.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { prepareSite } from '../src/lab/site';
import { boardEnv } from '../src/lab/board-env';
import { loadModels } from '../src/profiles';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import { BOARDS_DIR, MODEL, boardAddr } from './adversary-site';
import { cachedByUse, programCommand } from './page-cache';

export interface FootprintOptions {
  /** The pfs each board runs: a bundle run by this Node (dist/pfs.cjs, or a copy of an older build), or a release executable (no .cjs/.js ending). */
  bundle: string;
  boards: number;
  /** Bytes of the firmware set (one model, `files` components). */
  size: number;
  files?: number;
  /** WAN rate, bits per second, and round trip, ms (default 100 Mbit/s, 20 ms: a footprint, not a fleet time). */
  wanRate?: number;
  wanRttMs?: number;
  /** Node options put before the bundle, e.g. ['--max-semi-space-size=1']. */
  nodeArgs?: string[];
  /** Extra environment for the board processes. */
  env?: Record<string, string>;
  /** Board and model files the boards read (default the repository's boards/). */
  boardsDir?: string;
  /** Give up this long after the start (default 120 s). */
  timeoutMs?: number;
}

export interface BoardFootprint {
  /** Peak resident set, KiB (VmHWM). */
  peakKiB: number;
  /** CPU time (user + system) it used up to its last reading, ms. */
  cpuMs: number;
  /** Spawn to the first line the board wrote, ms. */
  firstLineMs?: number;
  /** Spawn to its `committed load` line, ms. */
  committedMs?: number;
}

export interface FootprintRun {
  boards: BoardFootprint[];
  /** Every board committed the new load. */
  allCommitted: boolean;
  /** The last lines of a board that did not commit, to say why. */
  failure?: string;
}

/** VmHWM of a live process, KiB; undefined once it is gone. */
function vmHwmKiB(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a live process, ms (/proc/PID/stat counts in clock ticks, 100 a second on Linux). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/** A UDP port free a moment ago, for the advert port the boards share. */
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((ok, fail) => {
    s.once('error', fail);
    s.bind(0, '127.0.0.1', () => ok());
  });
  const { port } = s.address();
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/**
 * Lays out a site, starts the origin, spawns every board at once and waits until
 * each committed (then ends it: a committed board would stay a parent for minutes)
 * or the time limit. Everything it made is removed before it returns.
 */
export async function runFootprintLab(o: FootprintOptions): Promise<FootprintRun> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-footprint-'));
  let wanPort = 0;
  const server = new TftpServer({ root: join(dir, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128 });
  let wan: WanEmulator | undefined;
  const children: ChildProcess[] = [];
  try {
    const bport = await freeUdpPort();
    const profile = (await loadModels(BOARDS_DIR)).get(MODEL)!;
    const site = await prepareSite(dir, {
      models: [{ profile, count: o.boards }],
      size: o.size,
      files: o.files ?? 4,
      enterprisePfs: true,
      pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port: wanPort }),
      boardConfig: (i) => ({ addr: boardAddr(i), broadcast: `127.255.255.255:${bport}`, peer_port: '0' }),
    });
    await server.start();
    wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: o.wanRate ?? 100e6, rttMs: o.wanRttMs ?? 20 });
    await wan.start();
    wanPort = wan.address().port;

    const boards: BoardFootprint[] = site.boards.map(() => ({ peakKiB: 0, cpuMs: 0 }));
    const tails: string[][] = site.boards.map(() => []);
    const exited: boolean[] = site.boards.map(() => false);
    const t0: number[] = [];
    const sample = () => {
      children.forEach((c, i) => {
        const kib = c.pid === undefined || exited[i] ? undefined : vmHwmKiB(c.pid);
        if (kib !== undefined) boards[i]!.peakKiB = Math.max(boards[i]!.peakKiB, kib);
        const cpu = c.pid === undefined || exited[i] ? undefined : cpuMsOf(c.pid);
        if (cpu !== undefined) boards[i]!.cpuMs = Math.max(boards[i]!.cpuMs, cpu);
      });
    };
    let settle!: () => void;
    const settled = new Promise<void>((ok) => (settle = ok));
    const check = () => {
      if (boards.every((b, i) => b.committedMs !== undefined || exited[i])) settle();
    };
    cachedByUse(o.bundle); // the program's pages cached by use only (page-cache.ts)
    for (const b of site.boards) {
      const i = b.index;
      t0[i] = performance.now();
      // Node's own options go between node and a bundle; a release executable takes none here.
      const [cmd, ...bundle] = programCommand(o.bundle);
      const child = spawn(
        cmd,
        [...(bundle.length ? [...(o.nodeArgs ?? []), ...bundle] : []), 'boot', '--board', 'sim', '--root', b.root, '--boards-dir', o.boardsDir ?? BOARDS_DIR, '--server', `127.0.0.1:${wanPort}`, '--config-tries', '5'],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...boardEnv(), ...o.env } },
      );
      children.push(child);
      // The console log is on standard error, the sim board's LED and screen lines on standard out.
      for (const stream of [child.stdout!, child.stderr!]) {
        createInterface({ input: stream }).on('line', (l) => {
          const t = performance.now() - t0[i]!;
          boards[i]!.firstLineMs ??= t;
          tails[i]!.push(l);
          if (tails[i]!.length > 8) tails[i]!.shift();
          if (boards[i]!.committedMs === undefined && l.includes('committed load')) {
            boards[i]!.committedMs = t;
            sample();
            check();
          }
        });
      }
      child.once('exit', () => {
        exited[i] = true;
        check();
      });
      // A program that cannot be started (a wrong path) counts as a board that ended without committing.
      child.once('error', (e) => {
        tails[i]!.push(`spawn: ${e.message}`);
        exited[i] = true;
        check();
      });
    }
    const poll = setInterval(sample, 50);
    const limit = setTimeout(settle, o.timeoutMs ?? 120_000);
    await settled;
    clearTimeout(limit);
    sample();
    clearInterval(poll);
    const allCommitted = boards.every((b) => b.committedMs !== undefined);
    const bad = boards.findIndex((b) => b.committedMs === undefined);
    return { boards, allCommitted, failure: bad < 0 ? undefined : `board ${bad} did not commit; its last lines:\n${tails[bad]!.join('\n')}` };
  } finally {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((ok) => {
            if (c.exitCode !== null || c.signalCode !== null) return ok();
            c.once('exit', () => ok());
            c.kill('SIGKILL');
          }),
      ),
    );
    await wan?.stop();
    await server.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** The floor: `node -e 0`'s own peak RSS, KiB (what any Node process costs before it runs a line of pfs). */
export function nodeFloorKiB(): number {
  cachedByUse(process.execPath); // measured as the boards are (page-cache.ts)
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], { encoding: 'utf8', env: boardEnv() });
  return Number(r.stdout);
}

/** Median of a list (the lower middle one for an even count). */
export function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor((s.length - 1) / 2)]!;
}
