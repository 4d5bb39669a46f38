// The driver API every DLoad shell implements for the scenario suite: start boards,
// kill and restart them, send a rogue StreamRequest, read statuses, wait for the
// outcome. Scenarios (scenarios.ts) are written once against it; shells/sim.ts runs
// them in the simulator, shells/sockets.ts on real PeerNodes over loopback.
import type { Election, Timers } from '../../src/dload/types';

/** One site: boards of `models` models on one subnet, one file per model behind a slow WAN. */
export interface SiteSpec {
  /** Boards on the subnet; board i has model i % models. None starts until start(i). */
  boards: number;
  /** Phone models (default 1), each with its own file and hierarchy. */
  models?: number;
  /** Boards that flip bytes in everything they stream to children. */
  corruptServed?: readonly number[];
  /** The origin's copy fails its hashes: every block it sends is corrupt. */
  originCorrupt?: boolean;
}

/** Bytes of each model's file, its block size, and the WAN between the site and the origin. */
export const FILE_BYTES = 1 << 20;
export const BLOCK_BYTES = 64 * 1024;
/** Slow enough to stop a board mid-file: 1 MiB takes about a second. */
export const WAN_BYTES_PER_S = 1e6;
export const WAN_RTT_MS = 20;

/**
 * The protocol's timers scaled down about 2.5x so the suite stays quick on real
 * sockets; the same in both shells, so a scenario sees the same protocol.
 */
export const SCENARIO_TIMERS: Partial<Timers> = {
  claimBackoffMs: 100,
  advertMs: 100,
  rootAdvertMs: 250,
  rootAnswerMs: 100,
  waitRootMs: 800,
  joinRetryMs: 200,
  rootSilenceMs: 1000,
  originRetryMs: 200,
  reelectHoldMs: 600,
  rootLingerMs: 2000,
};

/**
 * The timers a scenario runs with for an election. The fast election's own timers
 * scaled the same way (its claim, hold and re-election hold); the phone's are the
 * ones above (four adverts 100 ms apart).
 */
export function scenarioTimers(election: Election): Partial<Timers> {
  return election === 'phone' ? SCENARIO_TIMERS : { ...SCENARIO_TIMERS, claimBackoffMs: 400, advertMs: 40, dataHoldMs: 400, reelectHoldMs: 800 };
}

/** One board's view of its file (what PeerNode.status() gives). */
export interface FileView {
  role: string;
  verifiedBytes: number;
  complete: boolean;
  parentId: number | null;
  rootId: number | null;
  children: number;
  maxChildren: number;
  corruptBlocks: number;
  resumedBytes: number;
}

/** How a board's file ended. */
export interface Outcome {
  board: number;
  /** verified: fetch succeeded; failed: the board gave the file up; killed: stopped by the scenario. */
  state: 'verified' | 'failed' | 'killed' | 'not started';
  /** The PFS_ERR_* code of a failure. */
  code?: string;
  /** Bytes of the file on the board's flash, and how many of them are whole blocks matching their SHA-256. */
  flashBytes: number;
  flashVerifiedBytes: number;
}

export interface Site {
  /** Node id (XID) of board i. */
  id(i: number): number;
  /** Board i's view of its file; undefined before it started. */
  status(i: number): FileView | undefined;
  /** Waits until `cond()` holds; fails naming `what` after `timeoutMs` (virtual ms in the simulator). */
  until(cond: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Board i boots and starts fetching its model's file. */
  start(i: number): Promise<void>;
  /** Board i stops at once (its peers see its sockets close). */
  kill(i: number): Promise<void>;
  /** Killed board i boots again on the same flash and fetches the same file (a resume). */
  restart(i: number): Promise<void>;
  /** A rogue client sends board i a StreamRequest at `offset`; resolves with the StreamResponse status. */
  probe(i: number, offset: number): Promise<number>;
  /**
   * Another host, sending from the root's address and in its name, tells board i to
   * fetch from a parent that takes the connection and never sends a byte (a parent
   * frozen with SIGSTOP, or a hostile one holding the socket open).
   */
  spoofStallingParent(i: number): Promise<void>;
  /**
   * From now until close(), a stranger broadcasts a ConfirmedRoot every 30 ms for
   * model 0's file that outranks every board (strength 2^32-1, `held` bytes held) and
   * answers nothing.
   */
  fakeRoot(held: number): Promise<void>;
  /** A stranger sends root board `root` one BadParent naming each of `suspects`, each in the name of a node id no board has. */
  forgeBadParents(root: number, suspects: readonly number[]): Promise<void>;
  /** Waits until every started, live board's fetch settled (verified or failed); every board's outcome. */
  settle(timeoutMs?: number): Promise<Outcome[]>;
  /** Bytes the origin sent for model m's file. */
  wanBytes(model: number): number;
  /** Bytes board i took in since it last started (a resume takes only the rest). */
  fetchedBytes(i: number): number;
  close(): Promise<void>;
}

export interface Shell {
  readonly name: 'sim' | 'sockets';
  open(spec: SiteSpec): Promise<Site>;
}
