import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger';
import { timingFields } from '../log/timing';
import type { Election } from '../dload/types';
import { PfsError } from '../errors';
import { openFlash } from '../hal/flash/open';
import type { Flash } from '../hal/flash/flash';
import { loadTrust } from '../loads/keys';
import { openSignedManifest } from '../loads/manifest';
import { PeerNode, type FileStatus } from '../net/peer/peer-node';
import { httpBaseUrl, type HttpOrigin } from '../net/http/load-server';
import { loadModels, type BoardProfile, type ModelProfile } from '../profiles';
import { findBoard } from './board-detect';
import { parseBootConfig, selectModel } from './select-model';
import { macOf, nodeIdOf, normaliseMac } from './identity';
import { parseDeviceConfig } from './device-config';
import { peerAddresses } from './peer-addresses';
import { fetchConfigFile, runUpgrade, type ConfigFile, type UpgradeOutcome } from './upgrade';
import { UpgradeProgress } from './progress';
import { attachConsole, BoardFace } from './board-io';
import { extractRuntime, inheritedHandover, reportUp, runRuntime, slotRuntime } from './runtime-slot';
import { Trial } from './trial';
import { runtimeArchOfNode } from '../loads/runtime';
import { VERSION } from '../version';
import type { BootSelection } from '../hal/flash/flash';

/** Exit codes of `pfs boot`, for the init system that runs it. */
export const EXIT = {
  /** Nothing to do: the board runs the configured load. */
  CURRENT: 0,
  /** The upgrade failed; the board keeps its current load. */
  FAILED: 1,
  /** No usable phone model selected: the board joins no hierarchy. */
  NO_MODEL: 3,
  /** A new load is committed: reboot into it. */
  REBOOT: 10,
} as const;

export interface BootOptions {
  /** The board file's name; default: found from the device tree, then pfs.txt (board-detect.ts). */
  board?: string;
  /** Folder holding `<board>.json` and `models/`. */
  boardsDir: string;
  /** The board's root folder: the board file's paths are under it ("/" on a real board). */
  root: string;
  model?: string;
  mac?: string;
  /** The TFTP server (a phone learns it from DHCP option 150; here: --server or tftp= in pfs.txt). */
  server?: string;
  /**
   * The HTTP load server, `http://HOST[:PORT][/PATH]` or `HOST[:PORT]` (port 6970): --http
   * or http= in pfs.txt; else the configuration's `<loadServerHttp>`, if any.
   */
  http?: string;
  /** Peer port (UDP and TCP), address and broadcast; defaults: 4051 on the board's interface. */
  peerPort?: number;
  addr?: string;
  broadcast?: string;
  forward?: 'cut' | 'store';
  /** How the peers elect each file's root: `fast` (default) or `phone` (four adverts 250 ms apart, then confirm). */
  election?: Election;
  tftp?: { blksize?: number; windowsize?: number; timeoutMs?: number };
  log: Logger;
  configTries?: number;
  upgradeTimeoutMs?: number;
  lingerMs?: number;
  /** Ends the wait for children after the commit early when it settles (benches: every board is done). */
  lingerUntil?: Promise<unknown>;
  /** Called once the peer engine runs (the lab reads its status). */
  onPeers?: (peers: PeerNode) => void;
  /** Faults for tests and benches only (npm run adversary's corrupting root); never set by the CLI. */
  peerFaults?: { corruptServed?: boolean };
  /** Called the moment the new load is committed (epoch ms); the board may stay up a while after, for its children. */
  onCommitted?: (at: number) => void;
  /**
   * Hand the board over to the runtime the active load carries for this CPU
   * (pfs-linux-<arch>, src/boot/runtime-slot.ts): `argv` is what this pfs was given after
   * its own name, the runtime's command line. Unset (boards in a test or lab process):
   * the board always runs in this process.
   */
  runtime?: { argv: readonly string[] };
  /** false: leave the board file's screen (or LEDs) alone, e.g. many boards on one machine. */
  display?: boolean;
  leds?: boolean;
}

export interface BootResult {
  exit: number;
  model?: string;
  outcome?: UpgradeOutcome;
}

function hostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^([^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new PfsError('PFS_ERR_CONFIG', `"${text}" is not HOST[:PORT]`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}

/** A path of the board file, under the board's root folder. */
const under = (root: string, p: string) => join(root, p);

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * What a board runs at power-on: select the model, find its identity, boot a
 * slot, fetch the configuration and, if told to, upgrade (through its peers when
 * Peer Firmware Sharing is on), then ask for a reboot.
 */
export async function bootBoard(o: BootOptions): Promise<BootResult> {
  const log = o.log.child('BOOT');
  // The timing probe's zero for this board (see runUpgrade's `timing:` lines).
  log.dbg('timing: reset', timingFields());
  const found = await findBoard({ given: o.board, boardsDir: o.boardsDir, root: o.root });
  // pfs.txt's console= (written by pfs image --console) moves pfs's log to another serial port.
  const consoleDevice = parseBootConfig((await readOptional(under(o.root, found.board.bootConfig))) ?? '').get('console');
  const board = consoleDevice ? { ...found.board, console: { ...found.board.console, device: consoleDevice } } : found.board;
  const serial = await attachConsole(board, o.root, o.log);
  if (found.source !== '--board') log.not(`board ${board.board} (from ${found.source})`);
  try {
    return await bootWithConsole(o, board, log);
  } finally {
    await serial?.close();
  }
}

async function bootWithConsole(o: BootOptions, board: BoardProfile, log: Logger): Promise<BootResult> {
  const bootText = (await readOptional(under(o.root, board.bootConfig))) ?? '';
  const boot = parseBootConfig(bootText);
  // The configuration's WAN round trips overlap the whole of the board's start (profiles,
  // flash, trust, screen): what to ask for and where is known before any of it. A boot
  // that ends before the upgrade (no model, a runtime to hand over to) drops it.
  const early = new AbortController();
  const configAhead = startConfig(o, board, boot, log, early.signal);
  try {
    return await bootWithConfig(o, board, log, bootText, boot, configAhead, early);
  } finally {
    early.abort();
  }
}

/** The configuration fetch, started with the board; undefined when the MAC or the server is not known yet (reported later, in order). */
function startConfig(o: BootOptions, board: BoardProfile, boot: ReturnType<typeof parseBootConfig>, log: Logger, signal: AbortSignal): Promise<ConfigFile> | undefined {
  let mac: string;
  let server: { host: string; port: number };
  try {
    mac = boardMac(o, board, boot);
    const text = serverTextOf(o, boot);
    if (!text) return undefined;
    server = hostPort(text, 69);
  } catch {
    return undefined;
  }
  const ahead = fetchConfigFile({ log, mac, server, tftp: o.tftp ?? {} }, signal);
  ahead.catch(() => {}); // the upgrade's first attempt reports it
  return ahead;
}

/** The TFTP server as given (--server, else tftp= in pfs.txt); empty when neither says. */
function serverTextOf(o: BootOptions, boot: ReturnType<typeof parseBootConfig>): string {
  return (o.server ?? boot.get('tftp') ?? '').trim();
}

function boardMac(o: BootOptions, board: BoardProfile, boot: ReturnType<typeof parseBootConfig>): string {
  return o.mac ? normaliseMac(o.mac) : boot.has('mac') ? normaliseMac(boot.get('mac')!) : macOf(board.network.interface);
}

async function bootWithConfig(
  o: BootOptions,
  board: BoardProfile,
  log: Logger,
  bootText: string,
  boot: ReturnType<typeof parseBootConfig>,
  configAhead: Promise<ConfigFile> | undefined,
  early: AbortController,
): Promise<BootResult> {
  const models = await loadModels(o.boardsDir);
  let model;
  try {
    model = selectModel({ cli: o.model, cmdline: await readOptional(under(o.root, board.cmdline)), bootConfig: bootText }, models);
  } catch (e) {
    log.err((e as Error).message, { code: (e as PfsError).code });
    return { exit: EXIT.NO_MODEL };
  }
  log.not(`board ${board.board}, model ${model.profile.model} (from ${model.source})`);
  const mac = boardMac(o, board, boot);
  // Said plainly, with where to put it (it once came out as '"" is not HOST[:PORT]').
  const serverText = serverTextOf(o, boot);
  if (!serverText) {
    log.err(`no TFTP server: give --server HOST[:PORT], or tftp=HOST[:PORT] in ${under(o.root, board.bootConfig)}`, { code: 'PFS_ERR_CONFIG' });
    return { exit: EXIT.FAILED, model: model.profile.model };
  }
  const server = hostPort(serverText, 69);

  const flash = openFlash(board.flash, { root: o.root, boardName: board.board });
  await flash.open();
  const trials = board.flash.trials ?? 3;
  // Started by the launcher (the installed pfs), which counted this boot already.
  const handed = inheritedHandover();
  const sel = handed ? await selectionOf(flash) : await flash.boot(trials);
  const status = await flash.status();
  if (sel.fellBack) log.wrn(`load ${sel.failedLoad ?? '(unnamed)'} failed to come up ${trials} time${trials === 1 ? '' : 's'}: rolled back to ${sel.load} (slot ${sel.slot})`);
  if (handed) log.not(`pfs ${VERSION}, the runtime of ${handed.load} (slot ${handed.slot})`);
  log.not(`running ${sel.load ?? 'no load (blank board)'}${sel.slot ? ` from slot ${sel.slot}` : ''}${sel.trial ? ` (trial boot ${status.boots} of ${trials})` : ''}`, { mac });
  const tmp = under(o.root, board.tmp);
  await mkdir(tmp, { recursive: true });

  const arch = board.arch ?? runtimeArchOfNode();
  const runtime = o.runtime && !handed && sel.load && sel.slot && arch ? await slotRuntime(flash, arch) : null;
  if (runtime) {
    early.abort(); // the runtime fetches its own
    return handOver(o, { flash, sel, runtime, tmp, trials, trialSeconds: board.flash.trialSeconds, boots: status.boots, model: model.profile.model, log });
  }

  // The running load is on trial until it reaches the network (trial.ts).
  const trial = new Trial({ flash, log, trial: sel.trial, load: sel.load, rejected: status.rejected, onConfirmed: handed ? () => reportUp(handed) : undefined });
  const trust = await loadTrust(under(o.root, board.trust));

  const progress = new UpgradeProgress(model.profile.model, sel.load);
  const face = await BoardFace.open(board, model.profile, o.root, progress, o.log, { display: o.display, leds: o.leds });
  try {
    return await upgrade(o, { board, boot, model: model.profile, mac, server, flash, trust, tmp, progress, log, trial, configAhead });
  } finally {
    await trial.settled();
    await face.close();
    await flash.close?.();
  }
}

/** The boot the launcher counted, as the flash stands (its table is the truth if the two differ). */
async function selectionOf(flash: Flash): Promise<BootSelection> {
  const st = await flash.status();
  const load = st.active ? st.slots[st.active] : null;
  return { slot: st.active, load, trial: st.trial, fellBack: false, failedLoad: null };
}

/**
 * The launcher's part: run the active load's runtime with this pfs's arguments and end
 * as it ends. A runtime that ended while its load is still on trial did not come up,
 * whatever its exit code (0 included): FAILED, so the service manager starts the board
 * again and that boot is counted, until the load is rolled back.
 */
async function handOver(
  o: BootOptions,
  r: { flash: Flash; sel: BootSelection; runtime: string; tmp: string; trials: number; trialSeconds?: number; boots: number; model: string; log: Logger },
): Promise<BootResult> {
  const { flash, sel, runtime, log } = r;
  const load = sel.load!;
  let exit: number;
  try {
    const path = await extractRuntime(flash, runtime, join(r.tmp, 'runtime'));
    // The runtime opens the flash itself; raw devices are not shared.
    await flash.close?.();
    log.not(`starting ${runtime} of ${load} (slot ${sel.slot})`);
    // A runtime that hangs before the network is stopped, when the board file sets a limit.
    const s = sel.trial ? r.trialSeconds : undefined;
    const deadline = s === undefined ? undefined : { ms: s * 1000, onLate: () => log.wrn(`${runtime} of ${load} did not come up within ${s} s: stopping it`) };
    exit = await runRuntime(path, o.runtime!.argv, { load, slot: sel.slot!, trial: sel.trial }, deadline);
  } catch (e) {
    await flash.close?.();
    log.err((e as Error).message, { code: (e as PfsError).code ?? 'PFS_ERR_RUNTIME' });
    exit = EXIT.FAILED;
  }
  if (!sel.trial) return { exit, model: r.model };
  await flash.open();
  try {
    const st = await flash.status();
    if (st.trial && st.slots[st.active!] === load) {
      log.wrn(`${runtime} of ${load} ended (exit ${exit}) before it reached the network: trial boot ${r.boots} of ${r.trials} failed`);
      return { exit: EXIT.FAILED, model: r.model };
    }
  } finally {
    await flash.close?.();
  }
  return { exit, model: r.model };
}

interface Booted {
  board: BoardProfile;
  boot: ReturnType<typeof parseBootConfig>;
  model: ModelProfile;
  mac: string;
  server: { host: string; port: number };
  flash: Flash;
  trust: Awaited<ReturnType<typeof loadTrust>>;
  tmp: string;
  progress: UpgradeProgress;
  log: Logger;
  trial: Trial;
  configAhead: Promise<ConfigFile> | undefined;
}

async function upgrade(o: BootOptions, b: Booted): Promise<BootResult> {
  const { board, boot, model, mac, server, flash, trust, tmp, progress, log, trial } = b;
  const httpText = (o.http ?? boot.get('http') ?? '').trim();
  const httpUrl = httpText ? httpBaseUrl(httpText) : undefined;
  if (httpText && !httpUrl) {
    log.err(`HTTP load server "${httpText}" (--http or http= in ${under(o.root, board.bootConfig)}) must be http://HOST[:PORT][/PATH] or HOST[:PORT]`, { code: 'PFS_ERR_CONFIG' });
    return { exit: EXIT.FAILED, model: model.model };
  }
  let peers: PeerNode | undefined;
  // The peer engine starts only once the configuration enables Peer Firmware Sharing:
  // a board with PFS disabled opens no peer port. One that cannot start (the port is
  // taken, the interface has no address) upgrades by plain TFTP (runUpgrade says why).
  const startPeers = async (from: { http?: HttpOrigin }): Promise<PeerNode> => {
    const where = peerAddresses({ addr: o.addr ?? boot.get('addr'), broadcast: o.broadcast ?? boot.get('broadcast') }, board.network.interface);
    const port = o.peerPort ?? (boot.has('peer_port') ? Number(boot.get('peer_port')) : 4051);
    const bcast = hostPort(where.broadcast, 4051);
    const node = new PeerNode({
      nodeId: nodeIdOf(mac),
      model: model.model,
      addr: where.addr,
      udpPort: port,
      tcpPort: port,
      broadcast: { addr: bcast.host, port: bcast.port },
      origin: { ...server, ...o.tftp, http: from.http },
      dir: tmp,
      forward: o.forward ?? 'cut',
      election: o.election,
      logger: o.log,
      faults: o.peerFaults,
    });
    try {
      await node.start();
    } catch (e) {
      await node.stop();
      throw e instanceof PfsError ? e : new PfsError('PFS_ERR_NETWORK', `peer port ${port}: ${(e as Error).message}`);
    }
    peers = node;
    progress.attachPeers(() => node.status());
    o.onPeers?.(node);
    return node;
  };
  try {
    const outcome = await runUpgrade({
      log,
      model,
      mac,
      server,
      tftp: o.tftp ?? {},
      configAhead: b.configAhead,
      http: httpUrl ? { url: httpUrl } : undefined,
      parseConfig: trial.parseConfig((xml, source) => parseDeviceConfig(xml, model, source)),
      openManifest: (bytes, source) => openSignedManifest(bytes, trust, source),
      flash: trial.gate(flash),
      startPeers: model.pfs ? startPeers : undefined,
      tmpDir: tmp,
      configRetryMs: 1000,
      configRetryMaxMs: 60_000,
      configTries: o.configTries ?? 0,
      upgradeTimeoutMs: o.upgradeTimeoutMs ?? 30 * 60_000,
      lingerMs: o.lingerMs ?? 120_000,
      lingerUntil: o.lingerUntil,
      progress,
      onCommitted: o.onCommitted,
    });
    const exit = outcome.kind === 'current' ? EXIT.CURRENT : outcome.kind === 'committed' ? EXIT.REBOOT : EXIT.FAILED;
    if (exit === EXIT.REBOOT) log.not(`rebooting into ${outcome.kind === 'committed' ? outcome.load : ''} (exit ${EXIT.REBOOT})`);
    return { exit, model: model.model, outcome };
  } finally {
    await peers?.stop();
  }
}

export type { FileStatus };
