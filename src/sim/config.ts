// The simulator's options, their defaults, and the file layout they give.
import type { Election, Timers } from '../dload/types';
import type { Level } from '../log/level';

/** A scheduled crash. `who`: a board index, the current root of file 0 (model 0), or a board that is serving children. */
export interface CrashSpec {
  readonly atMs: number;
  readonly who: number | 'root' | 'parent';
}

/**
 * A board frozen (SIGSTOP) at `atMs` for `forMs` (Infinity: for good): it reads,
 * sends and decides nothing, yet its connections stay open, so its peers notice
 * nothing but the silence. `who` as for a crash.
 */
export interface FreezeSpec {
  readonly atMs: number;
  readonly forMs: number;
  readonly who: CrashSpec['who'];
}

export interface SimOptions {
  boards: number;
  /** Files in one model's firmware set (default 1). */
  files?: number;
  /** Total bytes of one model's firmware set, split evenly over the files (default 8 MiB). */
  fileBytes?: number;
  /** Block size the per-block hashes cover (default 64 KiB). */
  blockBytes?: number;
  seed?: number;
  /** Each board's LAN uplink and downlink, bytes/s (default 100 Mbit/s). */
  lanRate?: number;
  /** One-way LAN latency for datagrams and connection set-up, ms (default 0.5). */
  lanLatencyMs?: number;
  /** WAN rate between the origin and the site, bytes/s, shared by all origin flows (default 10 Mbit/s). */
  wanRate?: number;
  wanRttMs?: number;
  /** Probability that any one datagram delivery is lost (default 0). */
  loss?: number;
  /** A count of random crashes during the transfer, or explicit crashes. */
  crashes?: number | readonly CrashSpec[];
  /** Board indices whose forwarded blocks all arrive corrupt. */
  corrupt?: readonly number[];
  /** The first board of each hierarchy to fetch from the origin (its first root) corrupts every block it forwards. */
  corruptRoot?: boolean;
  /** Boards frozen for a while with their connections open (a stalled parent). */
  freezes?: readonly FreezeSpec[];
  /**
   * Scheduling delay: each datagram a board reads and each of its timers runs late by
   * a random 0..delayMs (a loaded CPU), drawn from the board's own random stream.
   */
  delayMs?: number;
  /**
   * CPU starvation: each board, again and again, runs for a random 0..2×starveMs and
   * is then held back for a random 0..starveMs (a process waiting for one of two
   * cores). While held it reads, decides and sends nothing, but nothing is lost: the
   * datagrams and blocks that arrived meanwhile are taken in order when it runs again,
   * before its due timers (the socket shell reads its sockets first, see peer-node.ts).
   */
  starveMs?: number;
  /** `fast` (default) or `phone`: how each board elects a file's root (see Election). */
  election?: Election;
  /**
   * The origin's copy is not the signed one: every block it sends fails its hash
   * (pfs mode), so every board that becomes root gives the file up (PFS_ERR_ORIGIN_CORRUPT).
   */
  originCorrupt?: boolean;
  /** Phone models on the subnet; board i has model i % models (default 1). */
  models?: number;
  /**
   * As `pfs boot` does: file 0 is the load's signed manifest (one block of
   * MANIFEST_BYTES) and the `files` components are added on a board only once it holds
   * the manifest; under the fast election they inherit the manifest's root
   * (FileSpec.inherit) instead of electing their own. Default: every file from the start.
   */
  manifest?: boolean;
  forward?: 'cut' | 'store';
  /** 'pfs' (default) or 'tftp': every board fetches every file from the origin itself. */
  mode?: 'pfs' | 'tftp';
  /** Random garbage / foreign-version datagrams broadcast during the first 3 s. */
  garbage?: number;
  /**
   * The last `count` boards boot at `atMs` already holding `held` (0..1) of every file.
   * Without `atMs` they wait for Simulation.boot(i) (a scenario's late joiner).
   */
  late?: { count: number; atMs?: number; held?: number };
  /**
   * A board reboots into its new load once every file may leave (complete, its
   * children served), as pfs boot does: it tells its roots (Leaving) and is gone from
   * the subnet. Off by default: the board stays, a parent for every late joiner.
   */
  reboot?: boolean;
  /** Boards with odd and even index cannot exchange datagrams until this time (ms). */
  partitionUntilMs?: number;
  /** Boards boot at a random moment in [0, bootJitterMs) (default 10). */
  bootJitterMs?: number;
  /** How long a TCP peer takes to notice that the other end died (default 1500 ms). */
  peerDeadMs?: number;
  /** Stop after this much virtual time even if not done (default 3600 s). */
  maxSeconds?: number;
  timers?: Partial<Timers>;
  /** Every console line of every board (slow for big fleets). */
  onLog?: (board: number, tMs: number, level: Level, text: string) => void;
}

/** SimOptions with every default filled in, and the file layout they give. */
export interface SimConfig {
  readonly o: SimOptions;
  readonly n: number;
  readonly files: number;
  readonly models: number;
  readonly fileBytes: number;
  readonly blockBytes: number;
  readonly lanRate: number;
  readonly wanRate: number;
  readonly wanRttMs: number;
  /** One-way LAN latency, ms. */
  readonly lat: number;
  readonly loss: number;
  readonly forward: 'cut' | 'store';
  readonly mode: 'pfs' | 'tftp';
  readonly peerDeadMs: number;
  readonly maxMs: number;
  /** One model's set at the WAN rate plus a round trip, per model: no fleet finishes sooner (ms). */
  readonly limitMs: number;
  /** Per file: bytes, TFTP name, blocks. */
  readonly sizes: readonly number[];
  readonly names: readonly string[];
  readonly totals: readonly number[];
  /** Index of the first late board (n when none). */
  readonly lateFrom: number;
  /** File 0 is the manifest; the others are added once it is held (SimOptions.manifest). */
  readonly manifest: boolean;
}

/** The manifest's size in `manifest` mode: a signed `.loads` of a 4-component load (10 KB). */
export const MANIFEST_BYTES = 10_244;

export function configure(o: SimOptions): SimConfig {
  const components = o.files ?? 1;
  const models = o.models ?? 1;
  const setBytes = o.fileBytes ?? 8 * 1024 * 1024;
  const blockBytes = o.blockBytes ?? 64 * 1024;
  const wanRate = o.wanRate ?? 10e6 / 8;
  const wanRttMs = o.wanRttMs ?? 150;
  // The set split evenly, whole blocks, the last file takes the rest.
  const per = Math.max(blockBytes, Math.floor(setBytes / components / blockBytes) * blockBytes);
  const split = Array.from({ length: components }, (_, f) => (f < components - 1 ? per : Math.max(1, setBytes - per * (components - 1))));
  const manifest = o.manifest ? Math.min(MANIFEST_BYTES, blockBytes) : 0;
  const sizes = manifest > 0 ? [manifest, ...split] : split;
  const files = sizes.length;
  const fileBytes = setBytes + manifest;
  return {
    o,
    n: o.boards,
    files,
    models,
    fileBytes,
    blockBytes,
    lanRate: o.lanRate ?? 100e6 / 8,
    wanRate,
    wanRttMs,
    lat: o.lanLatencyMs ?? 0.5,
    loss: o.loss ?? 0,
    forward: o.forward ?? 'cut',
    mode: o.mode ?? 'pfs',
    peerDeadMs: o.peerDeadMs ?? 1500,
    maxMs: (o.maxSeconds ?? 3600) * 1000,
    limitMs: ((models * fileBytes) / wanRate) * 1000 + wanRttMs,
    sizes,
    names: sizes.map((_, f) => `/dnld/SIM${f}.9-4-2SR2-2S.${manifest > 0 && f > 0 ? 'sbn' : 'loads'}`),
    manifest: manifest > 0,
    totals: sizes.map((s) => Math.ceil(s / blockBytes)),
    lateFrom: o.late ? o.boards - o.late.count : o.boards,
  };
}

/** Bytes of block `i` of file `f` (the last block may be short). */
export function blockLen(c: SimConfig, f: number, i: number): number {
  return Math.min(c.blockBytes, c.sizes[f]! - i * c.blockBytes);
}
