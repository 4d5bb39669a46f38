import { join } from 'node:path';
import type { Logger } from '../log/logger';
import { timingFields } from '../log/timing';
import { PfsError } from '../errors';
import type { ErrorCode } from '../error-codes';
import { tftpGet, tftpGetBuffer, type TftpDownload, type TftpGetOptions } from '../net/tftp/client';
import { TftpProtocolError, TftpRemoteError } from '../net/tftp/errors';
import type { BlockPlan } from '../net/peer/block-assembler';
import { fileMedium, Spool, type SpoolMedium } from '../net/peer/spool';
import { fetchDirect } from '../net/peer/fetch-direct';
import { SackShare } from '../net/tftp/sack-share';
import { verifiedPrefix } from '../net/peer/verified-prefix';
import { ReadBackLane, TrailingReadBack } from './trailing-read-back';
import { sleep } from '../io/sleep';
import { writeAll } from '../io/write-all';
import type { PeerNode } from '../net/peer/peer-node';
import type { HttpOrigin } from '../net/http/load-server';
import type { UpgradeProgress } from './progress';

/** What the upgrade needs to know of the device configuration (see device-config.ts). */
export interface UpgradeConfig {
  loadName?: string;
  peerFirmwareSharing: boolean;
  pfsSource: string;
  /** Size and SHA-256 of the signed `.loads` manifest, so peers can pass it on verified; the component names it lists, if the configuration says. */
  manifest?: { load: string; size: number; sha256: string; files?: string[] };
  /** The configuration's HTTP load server (`<loadServerHttp>`), a base URL: see UpgradePorts.http. */
  httpServer?: string;
}

/** A verified manifest (see src/loads). */
export interface UpgradeManifest {
  load: string;
  model: string;
  files: { name: string; size: number; sha256: string; blockSize: number; blocks: string[] }[];
}

/** A component slot on flash (see src/hal/flash). */
export interface UpgradeStore extends SpoolMedium {
  readonly existingBytes: number;
}

/** The flash operations an upgrade uses (see src/hal/flash). */
export interface UpgradeFlash {
  activeLoad(): Promise<string | null>;
  beginInstall(load: string): Promise<void>;
  openComponent(file: string): Promise<UpgradeStore>;
  commit(load: string, files: { name: string; size: number }[]): Promise<void>;
  /** What commit() writes besides the bytes, put on the medium during the download (see Flash.planCommit). */
  planCommit?(load: string, files: { name: string; size: number }[]): Promise<void>;
}

/**
 * Everything the upgrade sequence talks to, passed in (the board's boot wiring, or
 * a test): the sequence itself opens no sockets but through these.
 */
export interface UpgradePorts {
  log: Logger;
  model: { model: string; pfs: boolean };
  mac: string;
  /** Where configuration and loads come from (the TFTP server). */
  server: { host: string; port: number };
  /** TFTP options towards the server (the root's fetch and direct downloads). */
  tftp: Pick<TftpGetOptions, 'blksize' | 'windowsize' | 'timeoutMs'>;
  /**
   * The in-flight budget the board's direct downloads share (one at a time, so each
   * has all of it: 1-4 MiB by the flash's pace, where a transfer alone would offer
   * 256 KiB and be held to 14 Mbit/s at 150 ms). runUpgrade makes one when none is given.
   */
  sackShare?: SackShare;
  parseConfig(xml: string, source: string): UpgradeConfig;
  openManifest(bytes: Buffer, source: string): UpgradeManifest;
  flash: UpgradeFlash;
  /** The started peer engine, when this board may share (PFS). */
  peers?: PeerNode;
  /**
   * Starts the peer engine, called only once the configuration enables Peer Firmware
   * Sharing (a board with PFS disabled opens no peer port). A rejection (the port is
   * taken, no address) makes the upgrade plain TFTP, with one line saying why.
   */
  startPeers?: (origin: { http?: HttpOrigin }) => Promise<PeerNode>;
  /**
   * The HTTP load server this board was given (`--http`, `http=` in pfs.txt); else the
   * configuration's `<loadServerHttp>`. Components then come from it by range
   * requests (the root's, or a board upgrading without peers), TFTP when it fails.
   */
  http?: HttpOrigin;
  /**
   * Fallback to direct TFTP from the server when the peers do not deliver: no
   * verified byte for `stallMs` (no root confirmed, or peers that answer but never
   * serve), or `corruptBlocks` blocks from peers that failed their hash. Defaults
   * 60 s and 8; docs/PROTOCOL.md states them.
   */
  peerFallback?: { stallMs?: number; corruptBlocks?: number };
  /** Scratch space that is not flash (the manifest waits here until verified). */
  tmpDir: string;
  /**
   * The first configuration fetch, started by the caller before the rest of the
   * board came up (fetchConfigFile), so its WAN round trips overlap the board's
   * start; retries fetch anew. Default: the first attempt fetches here.
   */
  configAhead?: Promise<ConfigFile>;
  /** Config fetch: first retry delay, doubling up to the max; `configTries` 0 = forever. */
  configRetryMs: number;
  configRetryMaxMs: number;
  configTries: number;
  /** The whole download gives up after this long, keeping the current load. */
  upgradeTimeoutMs: number;
  /** After committing, longest wait for this board's children to be served before rebooting. */
  lingerMs: number;
  /** Ends that wait early when it settles (benches and labs: every board is done, no child is coming). */
  lingerUntil?: Promise<unknown>;
  /** What the screen and LEDs show; told of every phase and component. */
  progress?: UpgradeProgress;
  /** Told the moment the new load is committed (epoch ms), before the wait for children. */
  onCommitted?: (at: number) => void;
}

export type UpgradeOutcome =
  | { kind: 'current'; load: string }
  | { kind: 'committed'; load: string; via: 'pfs' | 'tftp'; /** epoch ms of the commit */ at: number }
  | { kind: 'failed'; code: ErrorCode; reason: string };

export class UpgradeError extends PfsError {}

/** A configuration file as fetched: which one it is (the board's own or the default) and its bytes. */
export interface ConfigFile {
  name: string;
  xml: Buffer;
}

/** Config file names a phone asks for, in order. */
export function configNames(mac: string): string[] {
  return [`SEP${mac}.cnf.xml`, 'XMLDefault.cnf.xml'];
}

/**
 * The phone's upgrade: fetch the configuration (own file, else the default), decide,
 * fetch and verify the signed manifest, fetch every component into the inactive
 * slot (through the peers, or straight from the server), commit. Never leaves the
 * board without a bootable load: anything that fails before commit keeps the current one.
 */
export async function runUpgrade(p: UpgradePorts): Promise<UpgradeOutcome> {
  p.progress?.phase('config');
  const cfg = await fetchConfig(p);
  mark(p, 'configuration done');
  if (!cfg) {
    p.progress?.phase('error', 'no usable configuration');
    return { kind: 'failed', code: 'PFS_ERR_CONFIG', reason: 'no usable configuration' };
  }
  const load = cfg.loadName!;
  if (!p.http && cfg.httpServer) p = { ...p, http: { url: cfg.httpServer } };
  if (!p.sackShare) p = { ...p, sackShare: new SackShare() };
  if (p.http) p.log.inf(`HTTP load server ${p.http.url}: components by range requests, TFTP from ${p.server.host}:${p.server.port} if it fails`);
  const active = await p.flash.activeLoad();
  if (active === load) {
    p.log.not(`load ${load} is current: nothing to do`);
    p.progress?.target(load, false);
    p.progress?.phase('current');
    return { kind: 'current', load };
  }
  p.log.not(`upgrade ${active ?? '(blank)'} -> ${load}`, { model: p.model.model });
  let pfs = decidePfs(p, cfg);
  let peers = pfs ? p.peers : undefined;
  if (pfs && !peers) {
    try {
      peers = await p.startPeers!({ http: p.http });
    } catch (e) {
      p.log.wrn(`peer engine cannot run (${(e as Error).message}): plain TFTP upgrade from ${p.server.host}:${p.server.port}`, { code: (e as PfsError).code });
      pfs = false;
    }
  }
  const watch = peers ? new PeerWatch(p, peers) : undefined;
  p.progress?.target(load, pfs);
  p.progress?.phase('upgrading');
  const deadline = Date.now() + p.upgradeTimeoutMs;
  let committedAt = 0;
  try {
    // The manifest is part of the download: a server without it (or peers that never
    // pass it on) must not hold the board past its limit.
    const limit = `within ${p.upgradeTimeoutMs / 1000} s`;
    const { manifest, bytes: manifestBytes } = await withDeadline(fetchManifest(p, cfg, load, watch), deadline, `the manifest ${load}.loads did not arrive ${limit}`);
    if (manifest.model !== p.model.model || manifest.load !== load) {
      throw new UpgradeError('PFS_ERR_MANIFEST_MISMATCH', `${load}.loads is for ${manifest.model} ${manifest.load}, this board wants ${p.model.model} ${load}`);
    }
    mark(p, 'manifest verified', `${load}.loads`);
    if (watch?.live) watch.peers.certain(manifest.files.map((f) => f.name));
    await p.flash.beginInstall(load);
    const slotFiles = [...manifest.files.map((f) => ({ name: f.name, size: f.size })), { name: `${load}.loads`, size: manifestBytes.length }];
    // The manifest goes into the slot beside its components while they download, not
    // between the last read-back and the commit. commit() syncs it with them.
    const manifestStored = storeManifest(p, `${load}.loads`, manifestBytes);
    manifestStored.catch(() => {}); // awaited below; a download that fails first must not leave it unhandled
    // And what the slot will hold goes on the medium now: the commit is then the bytes' syncs and the switch.
    const commitPlanned = p.flash.planCommit?.(load, slotFiles);
    commitPlanned?.catch(() => {}); // awaited below, as the manifest
    p.progress?.components(manifest.files, !!watch?.live);
    // Every block was verified on its way to flash; what is committed is what flash
    // gives back. Each component is read back while it downloads, a step behind its
    // writes (TrailingReadBack), so the commit waits for the last step of the last one.
    const lane = new ReadBackLane();
    const fetchAndReadBack = (f: UpgradeManifest['files'][number], w: PeerWatch | undefined) => async () => {
      const trailing = new TrailingReadBack(planOf(f), lane);
      await fetchComponent(p, f, w, `${load}.loads`, trailing)();
      await readBack(p, f, trailing.goodBlocks);
    };
    // The phone fetched components one after another; peers fetch them together.
    const direct = () => manifest.files.reduce((a, f) => a.then(fetchAndReadBack(f, undefined)), Promise.resolve());
    const all = watch?.live ? watch.run(Promise.all(manifest.files.map((f) => fetchAndReadBack(f, watch)())).then(() => {}), direct) : direct();
    await withDeadline(all, deadline, `the download and read-back of ${load} did not finish ${limit}`);
    p.log.inf(`read back from flash: ${manifest.files.length} components, every block matches its SHA-256`);
    await manifestStored;
    await commitPlanned;
    await p.flash.commit(load, slotFiles);
    p.log.not(`committed load ${load}: every component verified on flash and read back`);
    committedAt = Date.now();
    p.onCommitted?.(committedAt);
  } catch (e) {
    const err = e instanceof PfsError ? e : new UpgradeError('PFS_ERR_UPGRADE', (e as Error).message);
    p.log.err(`upgrade to ${load} abandoned, keeping ${active ?? 'no load'}: ${err.message}`, { code: err.code });
    p.progress?.phase('error', err.message);
    return { kind: 'failed', code: err.code, reason: err.message };
  }
  if (peers && watch?.live) {
    // Do not leave children behind: stay a parent until they are served.
    p.progress?.phase('serving');
    let timer: NodeJS.Timeout | undefined;
    const served = await Promise.race([
      peers.served().then(() => 'served' as const),
      new Promise<'late'>((done) => (timer = setTimeout(() => done('late'), p.lingerMs))),
      ...(p.lingerUntil ? [p.lingerUntil.then(() => 'released' as const, () => 'released' as const)] : []),
    ]);
    // A board whose children are served exits now, not when the longest wait would have ended.
    clearTimeout(timer);
    p.log.inf(served === 'served' ? 'children served: rebooting' : served === 'released' ? 'told every board is done: rebooting' : `children not all served after ${p.lingerMs / 1000} s: rebooting anyway`);
  }
  p.progress?.phase('done');
  return { kind: 'committed', load, via: watch?.live ? 'pfs' : 'tftp', at: committedAt };
}

/**
 * The timing probe: a DBG line per milestone with the ms since this process started
 * (a board's reset), read back from a lab's board logs by bench/first-byte.ts.
 */
function mark(p: UpgradePorts, milestone: string, file?: string): void {
  p.log.dbg(`timing: ${milestone}`, { ...timingFields(), file });
}

async function fetchConfig(p: UpgradePorts): Promise<UpgradeConfig | undefined> {
  let wait = p.configRetryMs;
  for (let attempt = 1; p.configTries === 0 || attempt <= p.configTries; attempt++) {
    try {
      const file = attempt === 1 && p.configAhead ? await p.configAhead : await fetchConfigFile(p);
      const cfg = p.parseConfig(file.xml.toString('utf8'), `${file.name} from ${p.server.host}:${p.server.port}`);
      if (!cfg.loadName) throw new UpgradeError('PFS_ERR_CONFIG', `configuration names no load for ${p.model.model}`);
      return cfg;
    } catch (e) {
      p.log.err(`configuration: ${(e as Error).message}; retrying in ${(wait / 1000).toFixed(1)} s, staying on the current load`, { code: (e as PfsError).code });
    }
    if (p.configTries !== 0 && attempt === p.configTries) break;
    await sleep(wait);
    wait = Math.min(wait * 2, p.configRetryMaxMs);
  }
  return undefined;
}

/**
 * Both configuration files are asked for at once, as one WAN round trip instead of
 * two in a row; the precedence stays the phone's: the default file counts only when
 * the board's own is not on the server (TFTP "file not found"), any other failure of
 * the own file is the answer. The default's transfer is held after its option
 * round trip (no data moves) and dropped when the own file answers, so a site
 * with a file per phone pays no default-file bytes. Rejects with the TFTP error of
 * the own file (any but "not found") or of the default (PFS_ERR_TFTP_*).
 */
export async function fetchConfigFile(p: Pick<UpgradePorts, 'log' | 'mac' | 'server' | 'tftp'>, signal?: AbortSignal): Promise<ConfigFile> {
  const [own, fallback] = configNames(p.mac);
  const logger = p.log.child('TFTP');
  const spare = tftpGet({ ...p.server, ...p.tftp, file: fallback!, logger, hold: true, signal });
  spare.negotiated.catch(() => {}); // seen again through deliver() if the default is used
  let name = own!;
  let xml: Buffer;
  try {
    xml = await tftpGetBuffer({ ...p.server, ...p.tftp, file: own!, logger, signal });
    spare.abort();
  } catch (e) {
    // A phone without its own file takes the default one; any other failure is the answer.
    if (!(e instanceof TftpRemoteError && e.tftpCode === 1)) {
      spare.abort();
      throw e;
    }
    p.log.inf(`${own} not on the server: using ${fallback}`);
    name = fallback!;
    xml = await collect(spare, `${p.server.host}:${p.server.port}`, fallback!);
  }
  p.log.inf(`configuration ${name} (${xml.length} bytes)`);
  return { name, xml };
}

/** A held configuration transfer, started and taken into memory (at most 1 MiB, as tftpGetBuffer). */
async function collect(dl: TftpDownload, where: string, file: string, maxBytes = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  dl.begin();
  await dl.deliver((b) => {
    if (dl.bytes > maxBytes) throw new TftpProtocolError(where, file, `larger than ${maxBytes} bytes`);
    parts.push(b);
  });
  return Buffer.concat(parts, dl.bytes);
}

function decidePfs(p: UpgradePorts, cfg: UpgradeConfig): boolean {
  if (!p.model.pfs) {
    p.log.not(`model ${p.model.model} does not support Peer Firmware Sharing: plain TFTP upgrade`);
    return false;
  }
  if (!cfg.peerFirmwareSharing) {
    p.log.not(`Peer Firmware Sharing disabled (${cfg.pfsSource} setting): plain TFTP upgrade`);
    return false;
  }
  if (!p.peers && !p.startPeers) {
    p.log.wrn('Peer Firmware Sharing enabled but no peer engine on this board: plain TFTP upgrade');
    return false;
  }
  p.log.not(`Peer Firmware Sharing enabled (${cfg.pfsSource} setting)`);
  return true;
}

/** The verified manifest, and its exact bytes (written into the slot at commit). */
async function fetchManifest(p: UpgradePorts, cfg: UpgradeConfig, load: string, watch: PeerWatch | undefined): Promise<{ manifest: UpgradeManifest; bytes: Buffer }> {
  const name = `${load}.loads`;
  let bytes: Buffer;
  let source: string;
  const digest = cfg.manifest?.load === load ? cfg.manifest : undefined;
  const fromServer = async () => {
    bytes = await tftpGetBuffer({ ...p.server, ...p.tftp, file: name, logger: p.log.child('TFTP') }, 16 << 20);
    source = `${name} from ${p.server.host}:${p.server.port}`;
  };
  if (watch?.live && digest) {
    // One block: the whole manifest, checked against the digest before it is passed on.
    const plan: BlockPlan = { size: digest.size, blockSize: Math.max(1, digest.size), hashes: [Buffer.from(digest.sha256, 'hex')] };
    const path = join(p.tmpDir, name);
    const viaPeers = async () => {
      // A board claiming the manifest's root takes it from the origin while the
      // election runs (AheadSource): verified, it starts the components' elections
      // then, not a whole election later. The manifest's hierarchy goes on for the others.
      let early!: (b: Buffer) => void;
      const ahead = new Promise<Buffer>((ok) => (early = ok));
      const whole = watch.peers.fetch({ name, plan, medium: () => fileMedium(path), early, componentsHint: digest.files });
      const first = await Promise.race([whole.then(() => undefined), ahead]);
      if (first) {
        whole.catch(() => {}); // its outcome is the peer engine's now (served() waits for it)
        bytes = first;
        source = `${name} from ${p.server.host}:${p.server.port} (taken while claiming its root)`;
        p.log.inf(`${name}: taken from the origin while claiming its root: the components start now`);
        return;
      }
      const spool = Spool.file(path, digest.size);
      await spool.open();
      bytes = await spool.read(0, digest.size);
      await spool.close();
      source = `${name} via peers`;
    };
    await watch.run(viaPeers(), fromServer);
  } else {
    if (watch?.live) p.log.wrn(`configuration gives no size and SHA-256 for ${name}: fetching it straight from the server`);
    await fromServer();
  }
  const manifest = p.openManifest(bytes!, source!);
  p.log.inf(`manifest ${name}: signature good, ${manifest.files.length} components`);
  return { manifest, bytes: bytes! };
}

/**
 * Returns the work for one component, to run in parallel (peers) or in turn (TFTP).
 * Both go through the one pipeline (src/net/peer/pipeline.ts): what is already on
 * flash and verified is kept, every block is verified before it is written, and
 * flash that lags pauses the source.
 */
const planOf = (f: UpgradeManifest['files'][number]): BlockPlan => ({ size: f.size, blockSize: f.blockSize, hashes: f.blocks.map((h) => Buffer.from(h, 'hex')) });

/** Fetches `f` into its slot; `trailing` reads it back as it is written. */
function fetchComponent(p: UpgradePorts, f: UpgradeManifest['files'][number], watch: PeerWatch | undefined, manifestName?: string, trailing?: TrailingReadBack): () => Promise<void> {
  return async () => {
    const plan = planOf(f);
    const open = () => p.flash.openComponent(f.name);
    const medium = trailing ? trailing.watch(open) : open;
    const checking = () => p.progress?.component(f.name, 'verifying');
    p.progress?.component(f.name, 'waiting');
    if (watch?.live) {
      // The manifest's root takes the components too (fast election): no second election.
      await watch.peers.fetch({ name: f.name, plan, medium, checking, inheritRootOf: manifestName });
    } else {
      const { resumedBytes } = await fetchDirect({
        name: f.name,
        plan,
        medium,
        checking,
        origin: { ...p.server, ...p.tftp, http: p.http, sackShare: p.sackShare },
        log: p.log.child('TFTP'),
        progress: (bytes) => p.progress?.component(f.name, 'downloading', bytes),
      });
      if (resumedBytes > 0) p.log.inf(`${f.name}: resumed after ${resumedBytes} bytes already verified on flash`);
    }
    p.progress?.component(f.name, 'done');
    p.log.inf(`${f.name}: ${f.size} bytes verified on flash`);
  };
}

/**
 * Writes the verified manifest into the slot being installed. No sync of its own:
 * commit() puts every file it lists on the medium, this one with the components, in
 * one round of syncs.
 */
async function storeManifest(p: UpgradePorts, name: string, bytes: Buffer): Promise<void> {
  const store = await p.flash.openComponent(name);
  try {
    await writeAll(store, bytes);
  } finally {
    await store.close();
  }
}

/** Blocks of `f` at the start of its slot that read back from flash with their SHA-256 (the first `known` already did). */
async function blocksOnFlash(p: UpgradePorts, f: UpgradeManifest['files'][number], known = 0): Promise<{ good: number; blocks: number; device: string }> {
  const store = await p.flash.openComponent(f.name);
  try {
    return { good: await verifiedPrefix(store, f.size, planOf(f), known), blocks: f.blocks.length, device: store.device ?? f.name };
  } finally {
    await store.close();
  }
}

/**
 * Reads every component back from flash, every block, and checks it against the
 * manifest before the slot is committed: a bit that flipped after its block was
 * verified on the way in is caught here. A component that does not read back is
 * fetched again from the first bad block, straight from the server, once; if it
 * still does not read back the upgrade fails (PFS_ERR_FLASH_READBACK) and nothing
 * is committed. The first `known` blocks read back right while `f` downloaded
 * (TrailingReadBack) and are not read again.
 */
async function readBack(p: UpgradePorts, f: UpgradeManifest['files'][number], known = 0): Promise<void> {
  // All of it read back already: not even opened again (each open is thread-pool round trips, after the last byte).
  if (known >= f.blocks.length) return;
  let r = await blocksOnFlash(p, f, known);
  if (r.good === r.blocks) return;
  p.log.wrn(`${f.name}: block ${r.good} read back from ${r.device} does not match its SHA-256: fetching it again from ${p.server.host}:${p.server.port}`);
  p.progress?.component(f.name, 'waiting');
  await fetchComponent(p, f, undefined)();
  r = await blocksOnFlash(p, f);
  if (r.good < r.blocks) {
    throw new UpgradeError('PFS_ERR_FLASH_READBACK', `${f.name}: block ${r.good} (offset ${r.good * f.blockSize}) read back from ${r.device} does not match its SHA-256 after it was fetched again: flash does not keep what is written, nothing committed`);
  }
}

/**
 * Watches the peers while they deliver, and gives them up for direct TFTP from the
 * server when they do not: no verified byte for `stallMs` (no root confirmed in time,
 * or peers that answer UDP but never serve TCP), or too many blocks from peers that
 * failed their hash. The peer engine is stopped then: a board that falls back is
 * nobody's parent, and says why in one line, as the phone does.
 */
class PeerWatch {
  /** False once this board gave the peers up: the rest of the upgrade is plain TFTP. */
  live = true;
  private readonly stallMs: number;
  private readonly corruptLimit: number;

  constructor(
    private readonly p: UpgradePorts,
    readonly peers: PeerNode,
  ) {
    this.stallMs = p.peerFallback?.stallMs ?? 60_000;
    this.corruptLimit = p.peerFallback?.corruptBlocks ?? 8;
  }

  /**
   * `viaPeers` while the peers deliver; if they stop delivering first, the peer engine
   * is stopped and `direct` does the work instead.
   */
  async run<T>(viaPeers: Promise<T>, direct: () => Promise<T>): Promise<T> {
    if (!this.live) return direct();
    let timer: NodeJS.Timeout | undefined;
    let last = -1;
    let lastAt = performance.now();
    const why = new Promise<string>((give) => {
      const look = () => {
        const files = this.peers.status();
        const bytes = files.reduce((n, f) => n + f.verifiedBytes, 0);
        const corrupt = files.reduce((n, f) => n + f.corruptBlocks, 0);
        const now = performance.now();
        if (bytes !== last) {
          last = bytes;
          lastAt = now;
        }
        const rooted = files.some((f) => f.role === 'root' || f.rootId !== null);
        if (corrupt >= this.corruptLimit) give(`${corrupt} blocks from peers failed their SHA-256`);
        else if (now - lastAt >= this.stallMs) give(rooted ? `no verified byte from peers in ${this.stallMs / 1000} s` : `no root confirmed in ${this.stallMs / 1000} s`);
        else timer = setTimeout(look, Math.min(500, this.stallMs / 4));
      };
      timer = setTimeout(look, Math.min(500, this.stallMs / 4));
    });
    const outcome = await Promise.race([viaPeers.then((v) => ({ v })), why.then((reason) => ({ reason }))]).finally(() => clearTimeout(timer));
    if ('v' in outcome) return outcome.v;
    this.live = false;
    this.p.log.wrn(`falling back to direct TFTP from ${this.p.server.host}:${this.p.server.port}: ${outcome.reason}`);
    await this.peers.stop();
    return direct();
  }
}

async function withDeadline<T>(work: Promise<T>, at: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new UpgradeError('PFS_ERR_UPGRADE_TIMEOUT', what)), Math.max(0, at - Date.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
