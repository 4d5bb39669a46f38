import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../io/builtins';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Level } from '../log/level';
import type { Logger } from '../log/logger';
import { TftpServer } from '../net/tftp/server';
import { WanEmulator } from '../net/wan';
import { startHttpOrigin } from './http-origin';
import { CUCM_HTTP_PORT } from '../net/http/load-server';
import { LabError, LabInterrupted } from './errors';
import { BoardHost } from './board-host';
import { boardEnv } from './board-env';
import { generateFirmware } from './firmware';
import { prepareSite } from './site';
import { createLabFolder, keepLabFolder, removeStaleLabFolders } from './lab-folder';
import { claimAdvertPort, pickBoardPorts } from './ports';
import { loadModels } from '../profiles';
import { selfArgs } from '../io/self';
import { nodeIdOf } from '../boot/identity';
import type { BlockPlan } from '../net/peer/block-assembler';
import { cleanupStale, leftovers, NetnsSubnet, netnsUnavailable, type PortBytes } from './netns/subnet';
import { OriginProcess } from './netns/origin-host';
import type { BoardReport, BoardSpec, Election, FleetConfig, ForwardMode, FromHost, LabMode, LabSummary, ToHost } from './types';

export interface LabOptions {
  boards: number;
  /** Total bytes of the firmware set. */
  size: number;
  files: number;
  mode: LabMode;
  forward: ForwardMode;
  /** How the boards elect each file's root (default fast; phone: the phone's exact timing). */
  election?: Election;
  /** WAN rate in bits per second, each direction. */
  wanRate: number;
  wanRttMs: number;
  wanLoss: number;
  /**
   * How the components cross the WAN: `tftp` (default), or `http`, a load server
   * behind a TCP WAN of the same rate and round trip (src/net/tcp-wan.ts), given to
   * the boards as http= in pfs.txt; the configuration files still come by TFTP.
   * Boot boards only (on loopback, or in namespaces: port 6970 of the origin's address).
   */
  origin?: 'tftp' | 'http';
  /** TFTP options of whoever fetches from the origin (the root, or every board in tftp mode). */
  tftpBlksize: number;
  tftpWindow: number;
  /** Boards per OS process; 0 runs them all inside this process. */
  perProcess: number;
  /**
   * Board i listens on portBase + i (UDP and TCP). Default: a free port per board
   * from the kernel, so that labs side by side never collide.
   */
  portBase?: number;
  /** Where adverts go; without a port, a free one from the kernel, held for the lab's life. */
  broadcast: { addr: string; port?: number };
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
  /** The last `count` boards reset `afterMs` after the others (boards on their way late). */
  late?: { count: number; afterMs: number };
  boardsDir: string;
  /** How to start a host process: the script and node options (default: this process's own). */
  hostEntry?: { script: string; execArgv: string[] };
  /**
   * Build the site from network namespaces instead of loopback (root only): one
   * per board and one for the origin, joined by a bridge; every board a process of
   * its own on the default peer port, the origin's link at the WAN rate.
   */
  netns?: { lanRate: number; tag?: string };
  /** Called about five times a second with the fleet's state. */
  onProgress?: (p: LabProgress) => void;
}

export interface LabProgress {
  elapsedMs: number;
  /** Each board's XID, by board index (what its console log calls it). */
  nodeIds: number[];
  /** Each board's phone model, by board index. */
  models?: string[];
  reports: BoardReport[];
  files: { name: string; size: number }[];
  originBytes: number;
  mode: LabMode;
}

export { LabError } from './errors';

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
  peakYoung(): number;
  stop(): Promise<void>;
}

function inlineHost(fleet: FleetConfig, boards: BoardSpec[]): Host {
  const h = new BoardHost(fleet, boards);
  return {
    start: () => h.start(),
    go: (t0) => h.go(t0),
    reports: () => h.reports(),
    peakRss: () => 0,
    peakYoung: () => 0,
    stop: () => h.stop(),
  };
}

/** Boards in a process of their own; exported for its tests. */
export function forkedHost(fleet: FleetConfig, boards: BoardSpec[], start: () => ChildProcess): Host {
  const child = start();
  let latest: BoardReport[] = boards.map((b) => ({ index: b.index, files: [] }));
  let rss = 0;
  let young = 0;
  let ready: () => void;
  let failed: (e: Error) => void;
  const readyP = new Promise<void>((ok, fail) => ((ready = ok), (failed = fail)));
  // A process that could not start emits 'error' and no 'exit'; 'close' comes either way.
  const exited = new Promise<void>((ok) => child.once('close', () => ok()));
  // A process that failed to start, or whose channel closed under a send (EPIPE), must
  // fail this host, not the lab with an unhandled 'error'.
  child.on('error', (e) => failed(new LabError(`board host process ${child.pid ?? '(not started)'}: ${e.message}`)));
  child.on('message', (m: FromHost) => {
    if (m.type === 'ready') ready();
    else if (m.type === 'report') {
      latest = m.boards;
      rss = Math.max(rss, m.rss);
      young = Math.max(young, m.young);
    }
  });
  child.once('exit', (code, signal) => failed(new LabError(`board host process exited early (code ${code}, signal ${signal})`)));
  const send = (m: ToHost) => {
    if (child.connected) child.send(m, (e) => e && failed(new LabError(`board host process ${child.pid}: ${e.message}`)));
  };
  return {
    start: async () => {
      send({ type: 'start', fleet, boards });
      await readyP;
    },
    go: (t0) => send({ type: 'go', t0 }),
    reports: () => latest,
    peakRss: () => rss,
    peakYoung: () => young,
    stop: async () => {
      // The host disconnects once its boards are stopped and its last report sent; a timer
      // left inside (a board's linger) must not keep it alive past that.
      child.once('disconnect', () => child.kill('SIGTERM'));
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
  if (o.origin === 'http' && o.engine) throw new LabError('--origin http runs boot boards (not --engine)');
  if (o.netns) {
    if (o.engine) throw new LabError('the namespace lab runs boot boards; --engine runs on loopback only');
    const why = netnsUnavailable();
    if (why) throw new LabError(why);
  } else if (o.portBase !== undefined && o.portBase + o.boards > 65535) throw new LabError(`ports ${o.portBase}..${o.portBase + o.boards - 1} run past 65535`);
  // What labs killed outright left in the temp directory goes first (as the namespace lab does with its namespaces).
  const stale = await removeStaleLabFolders();
  if (stale.length > 0) log.not(`lab: removed ${stale.length} folder${stale.length > 1 ? 's' : ''} a killed lab left: ${stale.join(', ')}`);
  const root = await createLabFolder();
  const cleanups: (() => Promise<unknown>)[] = [];
  let net: NetnsSubnet | undefined;
  let summary: LabSummary | undefined;
  // Ctrl-C ends the wait early; the finally below still stops and removes everything.
  let interrupted = false;
  const stopping = () => void (interrupted = true);
  process.on('SIGINT', stopping);
  process.on('SIGTERM', stopping);
  process.on('SIGHUP', stopping);
  try {
    const originDir = join(root, 'origin');
    const logDir = join(root, 'logs');
    await mkdir(originDir);
    await mkdir(logDir);
    // How to start this program again (node + script, or a single executable alone).
    const self = selfArgs(o.hostEntry);
    if (o.netns) {
      const stale = await cleanupStale();
      if (stale > 0) log.wrn(`lab: removed ${stale} network namespaces a crashed lab left behind`);
      net = await NetnsSubnet.create({ boards: o.boards, lanRateBit: o.netns.lanRate, wanRateBit: o.wanRate, tag: o.netns.tag, handleSignals: false });
      // Registered first, so it runs last: after every process had its chance to stop cleanly.
      cleanups.push(() => net!.destroy());
    }
    // Loopback: ports from the kernel unless given, so that two labs on one machine keep apart.
    let advertPort = o.broadcast.port;
    let boardPorts: number[] = [];
    let releaseBoardPorts = async () => {};
    if (!net) {
      if (advertPort === undefined) {
        const claim = await claimAdvertPort();
        cleanups.push(claim.release);
        advertPort = claim.port;
      }
      if (o.portBase === undefined) {
        const picked = await pickBoardPorts(o.boards);
        boardPorts = picked.ports;
        releaseBoardPorts = picked.release;
        cleanups.push(picked.release);
      } else boardPorts = Array.from({ length: o.boards }, (_, i) => o.portBase! + i);
      log.not(`lab: adverts to ${o.broadcast.addr}:${advertPort}${o.broadcast.port === undefined ? ' (a free port)' : ''}, board ports ${describePorts(boardPorts)}${o.portBase === undefined ? ' (free ports)' : ''}`);
    }
    const broadcast = { addr: o.broadcast.addr, port: advertPort ?? 4051 };
    const origin = net ? await netnsOrigin(net, originDir, logDir, self, o) : await loopbackOrigin(originDir, o, log);
    cleanups.push(() => origin.stop());

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
        specs.push({ index: i, nodeId: boardNodeId(i), model: o.model, port: boardPorts[i] ?? 0, dir });
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
        server: () => origin.site,
        // In namespaces every board has an address of its own and the default peer port, as on a real subnet.
        boardConfig: (i): Record<string, string> =>
          ({ ...(net ? { addr: net.boards[i]!.addr, broadcast: `${net.broadcast}:4051` } : { addr: '127.0.0.1', peer_port: String(boardPorts[i]), broadcast: `${broadcast.addr}:${broadcast.port}` }), ...(origin.http ? { http: origin.http } : {}) }),
      });
      models = mix.length;
      setBytes = site.setBytes;
      files = site.components.map((c) => ({ ...c, plan: { size: c.size, blockSize: 64 * 1024, hashes: [] } }));
      for (const b of site.boards) specs.push({ index: b.index, nodeId: nodeIdOf(b.mac), model: b.model, port: boardPorts[b.index] ?? 4051, dir: b.root });
    }

    if (o.late) {
      if (o.late.count < 1 || o.late.count >= o.boards) throw new LabError(`--late: between 1 and ${o.boards - 1} boards can reset late, got ${o.late.count}`);
      for (const s of specs) if (s.index >= o.boards - o.late.count) s.resetAfterMs = o.late.afterMs;
    }
    const fleet: FleetConfig = {
      mode: o.mode,
      forward: o.forward,
      election: o.election,
      files: o.engine ? files.map((f) => ({ name: f.name, size: f.size, blockSize: f.plan.blockSize, hashes: f.plan.hashes.map((h) => h.toString('hex')) })) : [],
      origin: { host: origin.site.host, port: origin.site.port, blksize: o.tftpBlksize, windowsize: o.tftpWindow, timeoutMs: 1000 },
      broadcast,
      logLevel: o.logLevel,
      logDir,
      boot: o.engine ? undefined : { boardsDir: o.boardsDir },
    };
    // A namespace board is a process of its own: it cannot share a process with boards in other namespaces.
    const perProcess = net ? 1 : o.perProcess;
    const per = perProcess > 0 ? perProcess : o.boards;
    const hosts: Host[] = [];
    for (let i = 0; i < specs.length; i += per) {
      const group = specs.slice(i, i + per);
      const stdio: ['ignore', 'inherit', 'inherit', 'ipc'] = ['ignore', 'inherit', 'inherit', 'ipc'];
      const subnet = net;
      // A process hosting one board is that board, as on a Pi: it takes the board's heap from its start.
      const hostCommand = group.length === 1 ? ['lab-host', 'board'] : ['lab-host'];
      if (subnet) hosts.push(forkedHost(fleet, group, () => subnet.spawn(subnet.boards[group[0]!.index]!, [process.execPath, ...self, ...hostCommand], { stdio, env: boardEnv() })));
      else if (perProcess > 0) hosts.push(forkedHost(fleet, group, () => childProcess().spawn(process.execPath, [...self, ...hostCommand], { stdio, env: boardEnv() })));
      else hosts.push(inlineHost(fleet, group));
    }
    cleanups.push(() => Promise.all(hosts.map((h) => h.stop())));
    // The boards bind their ports from here on.
    await releaseBoardPorts();
    await Promise.all(hosts.map((h) => h.start()));
    log.not(`lab: ${o.boards} boards${net ? ` in network namespaces pfs-${net.tag}-*` : ''} (${o.mode}${o.mode === 'pfs' ? `, ${o.forward}` : ''}), ${files.length} files, ${o.size} bytes, WAN ${o.wanRate / 1e6} Mbit/s ${o.wanRttMs} ms`, { dir: root });

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
        o.onProgress?.({ elapsedMs: Date.now() - t0, nodeIds: specs.map((b) => b.nodeId), models: specs.map((b) => b.model), reports, files, originBytes: origin.stats().bytesSent, mode: o.mode });
        const finished = reports.length === o.boards && reports.every((r) => r.doneMs !== undefined || r.error);
        if (finished || interrupted || Date.now() - t0 > o.timeoutMs) {
          clearInterval(iv);
          resolve(reports);
        }
      }, 200);
    });
    const endMs = Date.now() - t0;
    if (interrupted) throw new LabInterrupted();
    const failures = done.filter((r) => r.doneMs === undefined).map((r) => r.error ?? `board ${r.index} did not finish within ${o.timeoutMs / 1000} s`);
    const rootsPerFile: Record<string, number> = {};
    for (const f of files) rootsPerFile[f.name] = done.filter((r) => r.files.some((s) => s.name === f.name && s.role === 'root')).length;
    // Per hierarchy (model and file, the manifest included): boards that claimed its root at least once.
    const claimants: Record<string, number> = {};
    for (const r of done) {
      for (const s of r.files) {
        const k = `${specs.find((b) => b.index === r.index)?.model ?? '?'} ${s.name}`;
        claimants[k] = (claimants[k] ?? 0) + ((s.claims ?? 0) > 0 ? 1 : 0);
      }
    }
    const fileBytes = setBytes;
    // Firmware over the WAN: components and manifests, not the small per-board configuration files.
    // The origin's last counts come with its stop.
    await origin.stop();
    const originStats = origin.stats();
    let firmwareBytes = 0;
    for (const [name, n] of originStats.bytesByFile) if (!name.endsWith('.cnf.xml')) firmwareBytes += n;
    const peak = Math.max(...hosts.map((h) => h.peakRss()));
    const lanPorts = net ? await net.portBytes() : undefined;
    summary = {
      boards: o.boards,
      mode: o.mode,
      forward: o.forward,
      files: files.length,
      fileBytes,
      originBytes: firmwareBytes,
      originConfigBytes: originStats.bytesSent - firmwareBytes,
      ...(origin.wanOverflowed ? { wanOverflowed: origin.wanOverflowed() } : {}),
      ...(origin.http ? { originHttpBytes: origin.httpBytes?.() ?? 0 } : {}),
      models,
      // With failures, the fleet never finished: report how long it ran.
      fleetSeconds: (failures.length > 0 ? endMs : Math.max(...done.map((r) => r.doneMs!))) / 1000,
      limitSeconds: (models * fileBytes * 8) / o.wanRate + o.wanRttMs / 1000,
      allVerified: failures.length === 0,
      maxDepth: maxima.depth,
      maxChildren: maxima.children,
      rootsPerFile,
      ...(o.mode === 'pfs' ? { election: o.election ?? 'fast', claimants } : {}),
      wanRateBitsPerSec: o.wanRate,
      wanRttMs: o.wanRttMs,
      peakRssPerBoardMiB: perProcess > 0 ? Math.round((peak / Math.min(per, o.boards) / 2 ** 20) * 10) / 10 : 0,
      boardsPerProcess: perProcess > 0 ? Math.min(per, o.boards) : o.boards,
      ...(perProcess > 0 ? { youngGenMiB: Math.round((Math.max(...hosts.map((h) => h.peakYoung())) / 2 ** 20) * 10) / 10 } : {}),
      failures,
      ...(net && lanPorts ? { netns: { tag: net.tag, subnet: `198.18.0.0/${net.prefixLen}`, lanRateBitsPerSec: o.netns!.lanRate, clean: false }, lanPorts: lanPorts.filter((p) => p.host !== 'origin'), wanPort: lanPorts.find((p) => p.host === 'origin') } : {}),
    };
    return summary;
  } catch (e) {
    // Ctrl-C reaches the board processes too (one process group): what they report then is the interruption.
    throw interrupted ? new LabInterrupted() : e;
  } finally {
    // Ctrl-C again while tearing down is ignored: leaving half a teardown would be worse.
    for (const c of cleanups.reverse()) await c().catch(() => {});
    process.off('SIGINT', stopping);
    process.off('SIGTERM', stopping);
    process.off('SIGHUP', stopping);
    if (net && summary?.netns) {
      const left = leftovers(net.tag);
      summary.netns.clean = left.namespaces.length === 0 && left.pids.length === 0 && !left.stateFile;
      if (!summary.netns.clean) log.err(`lab: left behind: ${JSON.stringify(left)}`);
    }
    // Board processes still ending may write a last file meanwhile: rm retries ENOTEMPTY.
    if (!o.keep) await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
    else {
      await keepLabFolder(root);
      log.not(`lab folder kept: ${root}`);
    }
  }
}

/** `24001, 24002, 24003` as `24001..24003`; scattered ports listed (a long list shortened). */
function describePorts(ports: number[]): string {
  if (ports.length === 0) return 'none';
  const sorted = [...ports].sort((a, b) => a - b);
  if (sorted[sorted.length - 1]! - sorted[0]! === sorted.length - 1) return sorted.length === 1 ? String(sorted[0]) : `${sorted[0]}..${sorted[sorted.length - 1]}`;
  return ports.length <= 8 ? ports.join(', ') : `${ports.slice(0, 6).join(', ')}, … (${ports.length} in all)`;
}

/** The far side as the lab uses it: where the site sends requests, and what the TFTP server sent. */
interface LabOrigin {
  site: { host: string; port: number };
  /** The HTTP load server as the site sees it (`--origin http`). */
  http?: string;
  /** Body bytes the HTTP load server sent across the WAN. */
  httpBytes?(): number | undefined;
  stats(): { bytesSent: number; bytesByFile: Map<string, number> };
  /** Datagrams the WAN's buffer had no room for, both ways (loopback lab only). */
  wanOverflowed?(): number;
  /** Safe to call twice. */
  stop(): Promise<void>;
}

/** Loopback: the TFTP server and the WAN emulator (rate and delay) in this process. */
async function loopbackOrigin(originDir: string, o: LabOptions, log: Logger): Promise<LabOrigin> {
  // Every board reaches the origin through the WAN emulator: the whole site is one client address,
  // and the WAN's bandwidth-delay product may want windows past the 128 KiB a public server allows.
  const server = new TftpServer({ root: originDir, port: 0, maxWindowsize: 1024, pipeline: 2, maxTransfers: 4096, maxPerClient: 4096, maxWindowBytes: Infinity, logger: log.child('ORIGIN') });
  await server.start();
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: o.wanRate, rttMs: o.wanRttMs, loss: o.wanLoss, logger: log.child('WAN') });
  try {
    await wan.start();
  } catch (e) {
    await server.stop();
    throw e;
  }
  const web = o.origin === 'http' ? await startHttpOrigin(originDir, { address: '127.0.0.1', port: 0 }, o.wanRate, o.wanRttMs, log).catch(async (e) => (await Promise.all([wan.stop(), server.stop()]), Promise.reject(e))) : undefined;
  let stopped: Promise<void> | undefined;
  return {
    site: { host: '127.0.0.1', port: wan.address().port },
    http: web?.url,
    httpBytes: () => web?.stats.bytesSent,
    stats: () => (web ? sumStats(server.stats, web.stats) : server.stats),
    wanOverflowed: () => wan.stats.down.overflowed + wan.stats.up.overflowed,
    stop: () => (stopped ??= Promise.all([wan.stop().then(() => server.stop()), web?.stop()]).then(() => {})),
  };
}

function sumStats(...all: { bytesSent: number; bytesByFile: Map<string, number> }[]): { bytesSent: number; bytesByFile: Map<string, number> } {
  const bytesByFile = new Map<string, number>();
  for (const s of all) for (const [k, v] of s.bytesByFile) bytesByFile.set(k, (bytesByFile.get(k) ?? 0) + v);
  return { bytesSent: all.reduce((n, s) => n + s.bytesSent, 0), bytesByFile };
}

/**
 * Namespaces: a process in the origin's namespace runs the TFTP server behind the
 * WAN emulator, which adds only the delay and loss; the rate is the origin's
 * link, shaped by tbf both ways, as a real WAN link would be.
 */
async function netnsOrigin(net: NetnsSubnet, originDir: string, logDir: string, self: string[], o: LabOptions): Promise<LabOrigin> {
  const child = net.spawn(net.origin, [process.execPath, ...self, 'lab-host', 'origin'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const p = new OriginProcess(child);
  const site = { host: net.origin.addr, port: 69 };
  // --origin http: the load server on CUCM's port 6970 of the origin's address, behind a TCP WAN in the same process.
  const http = o.origin === 'http' ? { port: CUCM_HTTP_PORT, rate: o.wanRate } : undefined;
  await p.start({ type: 'origin', dir: originDir, listen: { address: site.host, port: site.port }, rttMs: o.wanRttMs, loss: o.wanLoss, logFile: join(logDir, 'origin.log'), ...(http ? { http } : {}) });
  let stopped: Promise<void> | undefined;
  return { site, ...(http ? { http: `http://${site.host}:${http.port}/`, httpBytes: () => p.stats.httpBytes } : {}), stats: () => p.stats, stop: () => (stopped ??= p.stop()) };
}

export type { PortBytes };
