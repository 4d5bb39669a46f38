import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Level } from '../log/level';
import type { Logger } from '../log/logger';
import { TftpServer } from '../net/tftp/server';
import { WanEmulator } from '../net/wan';
import { PfsError } from '../errors';
import { BoardHost } from './board-host';
import { generateFirmware } from './firmware';
import { prepareSite } from './site';
import { loadModels } from '../boot/profiles';
import { nodeIdOf } from '../boot/identity';
import type { BlockPlan } from '../net/peer/block-assembler';
import type { BoardReport, BoardSpec, FleetConfig, ForwardMode, FromHost, LabMode, LabSummary, ToHost } from './types';

export interface LabOptions {
  boards: number;
  /** Total bytes of the firmware set. */
  size: number;
  files: number;
  mode: LabMode;
  forward: ForwardMode;
  /** WAN rate in bits per second, each direction. */
  wanRate: number;
  wanRttMs: number;
  wanLoss: number;
  /** TFTP options of whoever fetches from the origin (the root, or every board in tftp mode). */
  tftpBlksize: number;
  tftpWindow: number;
  /** Boards per OS process; 0 runs them all inside this process. */
  perProcess: number;
  /** Board i listens on portBase + i (UDP and TCP). */
  portBase: number;
  broadcast: { addr: string; port: number };
  model: string;
  logLevel: Level;
  /** Keep the lab folder (logs, files) instead of removing it. */
  keep: boolean;
  /** Give up after this long (ms). */
  timeoutMs: number;
  /** Bare DLoad engines given block plans (the engine's own lab) instead of boot boards. */
  engine: boolean;
  /** Boot boards: the model mix, e.g. 12 x CP-7961G and 4 x CP-7941G (counts add up to `boards`). */
  models: { model: string; count: number }[];
  /** Boot boards: how many get their own SEP file turning Peer Firmware Sharing off. */
  pfsOff: number;
  boardsDir: string;
  /** How to start a host process: the script and node options (default: this process's own). */
  hostEntry?: { script: string; execArgv: string[] };
  /** Called about five times a second with the fleet's state. */
  onProgress?: (p: LabProgress) => void;
}

export interface LabProgress {
  elapsedMs: number;
  /** Each board's XID, by board index (what its console log calls it). */
  nodeIds: number[];
  reports: BoardReport[];
  files: { name: string; size: number }[];
  originBytes: number;
  mode: LabMode;
}

export class LabError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_LAB', message);
  }
}

/** The XID of lab board `i`, in the style of the source's XID080027F8. */
export function boardNodeId(i: number): number {
  return (0x080027f8 + i * 0x101) >>> 0;
}

/** A set of boards hosted somewhere: this process, or a forked one. */
interface Host {
  start(): Promise<void>;
  go(t0: number): void;
  reports(): BoardReport[];
  peakRss(): number;
  stop(): Promise<void>;
}

function inlineHost(fleet: FleetConfig, boards: BoardSpec[]): Host {
  const h = new BoardHost(fleet, boards);
  return {
    start: () => h.start(),
    go: (t0) => h.go(t0),
    reports: () => h.reports(),
    peakRss: () => 0,
    stop: () => h.stop(),
  };
}

function forkedHost(fleet: FleetConfig, boards: BoardSpec[], entry: { script: string; execArgv: string[] }): Host {
  const child: ChildProcess = fork(entry.script, ['lab-host'], { execArgv: entry.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let latest: BoardReport[] = boards.map((b) => ({ index: b.index, files: [] }));
  let rss = 0;
  let ready: () => void;
  let failed: (e: Error) => void;
  const readyP = new Promise<void>((ok, fail) => ((ready = ok), (failed = fail)));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.on('message', (m: FromHost) => {
    if (m.type === 'ready') ready();
    else if (m.type === 'report') {
      latest = m.boards;
      rss = Math.max(rss, m.rss);
    }
  });
  child.once('exit', (code, signal) => failed(new LabError(`board host process exited early (code ${code}, signal ${signal})`)));
  const send = (m: ToHost) => child.connected && child.send(m);
  return {
    start: async () => {
      send({ type: 'start', fleet, boards });
      await readyP;
    },
    go: (t0) => send({ type: 'go', t0 }),
    reports: () => latest,
    peakRss: () => rss,
    stop: async () => {
      send({ type: 'stop' });
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/**
 * Runs a whole site on this machine over loopback: a TFTP origin behind an
 * emulated WAN, and `boards` boards that upgrade from it together, by peer sharing
 * (`pfs`) or each on its own (`tftp`). Everything started is stopped and removed
 * before it returns, also when it fails.
 */
export async function runLab(o: LabOptions, log: Logger): Promise<LabSummary> {
  if (o.boards < 1) throw new LabError('a lab needs at least one board');
  if (o.portBase + o.boards > 65535) throw new LabError(`ports ${o.portBase}..${o.portBase + o.boards - 1} run past 65535`);
  const root = await mkdtemp(join(tmpdir(), 'pfs-lab-'));
  const cleanups: (() => Promise<unknown>)[] = [];
  // Ctrl-C ends the wait early; the finally below still stops and removes everything.
  let interrupted = false;
  const stopping = () => void (interrupted = true);
  process.once('SIGINT', stopping);
  process.once('SIGTERM', stopping);
  try {
    const originDir = join(root, 'origin');
    const logDir = join(root, 'logs');
    await mkdir(originDir);
    await mkdir(logDir);
    const server = new TftpServer({ root: originDir, port: 0, maxWindowsize: 1024, pipeline: 2, logger: log.child('ORIGIN') });
    await server.start();
    cleanups.push(() => server.stop());
    const wan = new WanEmulator({
      listen: { address: '127.0.0.1', port: 0 },
      origin: server.address(),
      rate: o.wanRate,
      rttMs: o.wanRttMs,
      loss: o.wanLoss,
      logger: log.child('WAN'),
    });
    await wan.start();
    cleanups.push(() => wan.stop());

    // Engine boards get the block plans from the lab; boot boards find everything on the TFTP server.
    let files: { name: string; size: number; plan: BlockPlan }[] = [];
    const specs: BoardSpec[] = [];
    let models = 1;
    let setBytes = o.size;
    if (o.engine) {
      const load = 'SCCP41.9-4-2SR2-2S';
      files = (await generateFirmware(originDir, { files: o.files, totalBytes: o.size, blockSize: 64 * 1024, load, seed: load })).map((f) => ({ name: f.name, size: f.size, plan: f.plan }));
      for (let i = 0; i < o.boards; i++) {
        const dir = join(root, 'boards', `b${String(i).padStart(3, '0')}`);
        await mkdir(dir, { recursive: true });
        specs.push({ index: i, nodeId: boardNodeId(i), model: o.model, port: o.portBase + i, dir });
      }
    } else {
      const profiles = await loadModels(o.boardsDir);
      const mix = o.models.map(({ model, count }) => {
        const profile = profiles.get(model);
        if (!profile) throw new LabError(`unknown model ${model}: valid models: ${[...profiles.keys()].join(', ')}`);
        return { profile, count };
      });
      const site = await prepareSite(root, {
        models: mix,
        size: o.size,
        files: o.files,
        enterprisePfs: o.mode === 'pfs',
        pfsOff: o.pfsOff,
        server: () => ({ host: '127.0.0.1', port: wan.address().port }),
        boardConfig: (i) => ({ addr: '127.0.0.1', peer_port: String(o.portBase + i), broadcast: `${o.broadcast.addr}:${o.broadcast.port}` }),
      });
      models = mix.length;
      setBytes = site.setBytes;
      files = site.components.map((c) => ({ ...c, plan: { size: c.size, blockSize: 64 * 1024, hashes: [] } }));
      for (const b of site.boards) specs.push({ index: b.index, nodeId: nodeIdOf(b.mac), model: b.model, port: o.portBase + b.index, dir: b.root });
    }

    const fleet: FleetConfig = {
      mode: o.mode,
      forward: o.forward,
      files: o.engine ? files.map((f) => ({ name: f.name, size: f.size, blockSize: f.plan.blockSize, hashes: f.plan.hashes.map((h) => h.toString('hex')) })) : [],
      origin: { host: '127.0.0.1', port: wan.address().port, blksize: o.tftpBlksize, windowsize: o.tftpWindow, timeoutMs: 1000 },
      broadcast: o.broadcast,
      logLevel: o.logLevel,
      logDir,
      boot: o.engine ? undefined : { boardsDir: o.boardsDir },
    };
    const per = o.perProcess > 0 ? o.perProcess : o.boards;
    const hosts: Host[] = [];
    for (let i = 0; i < specs.length; i += per) {
      const group = specs.slice(i, i + per);
      const entry = o.hostEntry ?? { script: process.argv[1]!, execArgv: process.execArgv };
      hosts.push(o.perProcess > 0 ? forkedHost(fleet, group, entry) : inlineHost(fleet, group));
    }
    cleanups.push(() => Promise.all(hosts.map((h) => h.stop())));
    await Promise.all(hosts.map((h) => h.start()));
    log.not(`lab: ${o.boards} boards (${o.mode}${o.mode === 'pfs' ? `, ${o.forward}` : ''}), ${files.length} files, ${o.size} bytes, WAN ${o.wanRate / 1e6} Mbit/s ${o.wanRttMs} ms`, { dir: root });

    const t0 = Date.now();
    for (const h of hosts) h.go(t0);
    const maxima = { depth: 0, children: 0 };
    const snapshot = (): BoardReport[] => hosts.flatMap((h) => h.reports());
    const done = await new Promise<BoardReport[]>((resolve) => {
      const iv = setInterval(() => {
        const reports = snapshot();
        for (const r of reports) {
          for (const f of r.files) {
            maxima.depth = Math.max(maxima.depth, f.role === 'member' ? f.depth : 0);
            maxima.children = Math.max(maxima.children, f.maxChildren, f.children);
          }
        }
        o.onProgress?.({ elapsedMs: Date.now() - t0, nodeIds: specs.map((b) => b.nodeId), reports, files, originBytes: server.stats.bytesSent, mode: o.mode });
        const finished = reports.length === o.boards && reports.every((r) => r.doneMs !== undefined || r.error);
        if (finished || interrupted || Date.now() - t0 > o.timeoutMs) {
          clearInterval(iv);
          resolve(reports);
        }
      }, 200);
    });
    const endMs = Date.now() - t0;
    if (interrupted) throw new LabError('interrupted');
    const failures = done.filter((r) => r.doneMs === undefined).map((r) => r.error ?? `board ${r.index} did not finish within ${o.timeoutMs / 1000} s`);
    const rootsPerFile: Record<string, number> = {};
    for (const f of files) rootsPerFile[f.name] = done.filter((r) => r.files.some((s) => s.name === f.name && s.role === 'root')).length;
    const fileBytes = setBytes;
    // Firmware over the WAN: components and manifests, not the small per-board configuration files.
    let firmwareBytes = 0;
    for (const [name, n] of server.stats.bytesByFile) if (!name.endsWith('.cnf.xml')) firmwareBytes += n;
    const peak = Math.max(...hosts.map((h) => h.peakRss()));
    return {
      boards: o.boards,
      mode: o.mode,
      forward: o.forward,
      files: files.length,
      fileBytes,
      originBytes: firmwareBytes,
      originConfigBytes: server.stats.bytesSent - firmwareBytes,
      models,
      // With failures, the fleet never finished: report how long it ran.
      fleetSeconds: (failures.length > 0 ? endMs : Math.max(...done.map((r) => r.doneMs!))) / 1000,
      limitSeconds: (models * fileBytes * 8) / o.wanRate + o.wanRttMs / 1000,
      allVerified: failures.length === 0,
      maxDepth: maxima.depth,
      maxChildren: maxima.children,
      rootsPerFile,
      wanRateBitsPerSec: o.wanRate,
      wanRttMs: o.wanRttMs,
      peakRssPerBoardMiB: o.perProcess > 0 ? Math.round((peak / Math.min(per, o.boards) / 2 ** 20) * 10) / 10 : 0,
      boardsPerProcess: o.perProcess > 0 ? Math.min(per, o.boards) : o.boards,
      failures,
    };
  } finally {
    process.off('SIGINT', stopping);
    process.off('SIGTERM', stopping);
    for (const c of cleanups.reverse()) await c().catch(() => {});
    if (!o.keep) await rm(root, { recursive: true, force: true });
    else log.not(`lab folder kept: ${root}`);
  }
}
