import type { FleetSummary } from '../sim/summary';
import type { Election } from '../dload/types';
import type { Level } from '../log/level';
import type { FileStatus } from '../net/peer/peer-node';

export type LabMode = FleetSummary['mode'];
export type ForwardMode = FleetSummary['forward'];
export type { Election } from '../dload/types';

/** A file of the generated firmware set, as boards receive it (hashes in hex so it crosses IPC). */
export interface LabFile {
  name: string;
  size: number;
  blockSize: number;
  hashes: string[];
}

export interface BoardSpec {
  index: number;
  nodeId: number;
  model: string;
  /** UDP and TCP port of this board on loopback. */
  port: number;
  /** Engine boards: where files go. Boot boards: the board's root folder. */
  dir: string;
  /** A board that resets this long after the others (ms; --late). */
  resetAfterMs?: number;
}

/** What every board of a lab shares. */
export interface FleetConfig {
  mode: LabMode;
  forward: ForwardMode;
  /** How the boards elect each file's root (default fast). */
  election?: Election;
  files: LabFile[];
  /** The origin as the site sees it: the WAN emulator's address. */
  origin: { host: string; port: number; blksize: number; windowsize: number; timeoutMs: number };
  broadcast: { addr: string; port: number };
  logLevel: Level;
  /** Folder for per-board console logs. */
  logDir: string;
  /**
   * Boards that run the whole `pfs boot` sequence (sim board in a folder, real
   * cnf.xml, signed loads); without it, bare DLoad engines given block plans.
   */
  boot?: { boardsDir: string };
}

export interface BoardReport {
  index: number;
  files: FileStatus[];
  /** ms since the fleet started, when every file was verified (on flash, re-read and hashed). */
  doneMs?: number;
  /**
   * When it was done as the summary counts it, as soon as that happens: a boot board's
   * commit (its doneMs comes later, once its children are served); else doneMs.
   */
  committedMs?: number;
  error?: string;
}

/** Messages between the lab and a process hosting boards. */
export type ToHost = { type: 'start'; fleet: FleetConfig; boards: BoardSpec[] } | { type: 'go'; t0: number } | { type: 'stop' };
export type FromHost =
  | { type: 'ready' }
  | { type: 'report'; boards: BoardReport[]; rss: number; /** Peak bytes of V8's young generation (new space), for the board heap's check. */ young: number };

export interface LabSummary extends FleetSummary {
  /** Phone models in the fleet: each forms its own hierarchies, so the WAN carries one set per model. */
  models: number;
  /** Bytes of configuration files (cnf.xml) the origin sent: every board fetches its own. */
  originConfigBytes: number;
  /**
   * Loopback lab: datagrams the emulated WAN's 1 s buffer had no room for, both ways: a
   * window driven past the link's rate. What the origin lost there it sent again, and
   * originBytes counts both.
   */
  wanOverflowed?: number;
  /** `--origin http`: the firmware bytes (of originBytes) that came from the HTTP load server. */
  originHttpBytes?: number;
  rootsPerFile: Record<string, number>;
  /** pfs mode: how the boards elected, and per hierarchy ("MODEL file") the boards that claimed its root at least once (1 at best). */
  election?: Election;
  claimants?: Record<string, number>;
  wanRateBitsPerSec: number;
  wanRttMs: number;
  peakRssPerBoardMiB: number;
  /** Boards in processes of their own: the largest young generation (V8's new space) any of them reached, MiB. A board's heap keeps it at its first size. */
  youngGenMiB?: number;
  boardsPerProcess: number;
  failures: string[];
  /** Namespace lab only: the run's tag (namespaces pfs-<tag>-*), its subnet and each LAN port's rate. */
  netns?: { tag: string; subnet: string; lanRateBitsPerSec: number; /** Checked after teardown: no namespace, state file or process of the run left. */ clean: boolean };
  /** Namespace lab only: bytes through each board's switch port (rx: from the board, tx: to it), by board index. */
  lanPorts?: { host: string; rxBytes: number; txBytes: number }[];
  /** Namespace lab only: the same for the origin's port (the WAN side). */
  wanPort?: { host: string; rxBytes: number; txBytes: number };
}
