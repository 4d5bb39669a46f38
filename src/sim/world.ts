// What every part of the simulator shares: the virtual clock and its event queue,
// the boards and their per-file state, the counters, and when the fleet is done.
import type { DLoadNode } from '../dload/node';
import type { HierKey } from '../dload/key';
import type { DLoadAction, Endpoint, FileFailureCode } from '../dload/types';
import type { SimConfig } from './config';
import { EventQueue } from './heap';
import type { Rng } from './rng';

/** One TCP-like transfer, a block at a time: parent to child, or origin (from = null) to a root. */
export interface Stream {
  readonly from: Board | null;
  readonly to: Board;
  readonly f: number;
  /** Next block index to send. */
  cursor: number;
  /** A block is on the wire. */
  busy: boolean;
  /** Bytes of the block on the wire, and of those still to arrive at `t0`. */
  bytes: number;
  remaining: number;
  /** Bytes/s since `t0` (this flow's share of the links it crosses). */
  rate: number;
  t0: number;
  /** Bumped at every reflow: an arrival scheduled with an older value is stale. */
  ver: number;
  closed: boolean;
}

/** One board's side of one file. */
export interface FileState {
  key: HierKey;
  inbound: Stream | null;
  /** The parent this board is connecting to (StreamRequest sent, no answer yet). */
  connecting: Board | null;
  origin: Stream | null;
  /** When the origin transfer was prepared (PrepareOrigin), if it was. */
  preparedAt?: number;
  readonly out: Map<number, Stream>;
  released: number;
  done: boolean;
  /** The engine said the board may leave this file (MayLeave). */
  left: boolean;
  /** Why the board gave the file up (FileFailed), if it did. */
  failed?: FileFailureCode;
}

export interface Board {
  readonly i: number;
  readonly id: number;
  readonly ep: Endpoint;
  readonly model: number;
  readonly rng: Rng;
  node: DLoadNode | null;
  /** Engines of earlier lives (before a restart): their counters still count. */
  readonly retired: DLoadNode[];
  alive: boolean;
  /** Booted at least once. */
  booted: boolean;
  /** Corrupts every block it forwards (set at boot, or when it becomes the first root with corruptRoot). */
  corrupt: boolean;
  /** Frozen (SIGSTOP) until this virtual time (ms); 0: running. */
  frozenUntil: number;
  /** CPU starvation: held back until this virtual time (ms), its events waiting in order; 0: running. */
  heldUntil: number;
  timerAt: number;
  fs: FileState[];
  readonly keyIndex: Map<HierKey, number>;
  readonly outActive: Set<Stream>;
  readonly inActive: Set<Stream>;
  /** Per file: blocks already verified when this life booted (a resume). */
  resumed: number[];
  /** Bytes that arrived at this board over any stream, in this life. */
  bytesIn: number;
}

/** Carries out a board's actions (the performer); parts that feed the engine call it. */
export type Actor = (b: Board, acts: DLoadAction[]) => void;

export interface SimCounters {
  /** Datagrams sent (a broadcast counts once) and deliveries lost. */
  sent: number;
  lost: number;
  /** Corrupt blocks caught by their receiver. */
  corrupt: number;
  originBytes: number;
  /** Origin bytes per model. */
  readonly originByModel: number[];
  maxDepth: number;
  crashed: number;
  restarts: number;
  /** Boards that rebooted into their new load (SimOptions.reboot). */
  rebooted: number;
  /** Blocks a parent sent that it had not verified itself (must stay 0). */
  badDelivery: number;
  /** Boards frozen (SIGSTOP) during the run. */
  frozen: number;
}

export class World {
  now = 0;
  events = 0;
  readonly q = new EventQueue();
  readonly boards: Board[] = [];
  readonly byAddr = new Map<string, Board>();
  readonly byId = new Map<number, Board>();
  readonly stats: SimCounters;
  /** Per hierarchy (model-major, then file): virtual ms when the first root fetched. */
  readonly electionMs: number[];
  /** Files (board x file) neither verified nor given up, on boards alive or yet to boot. */
  remaining: number;
  /** When `remaining` last reached 0 (-1: not yet). */
  finishedAt = -1;

  constructor(readonly c: SimConfig) {
    this.stats = { sent: 0, lost: 0, corrupt: 0, originBytes: 0, originByModel: Array(c.models).fill(0), maxDepth: 0, crashed: 0, restarts: 0, rebooted: 0, badDelivery: 0, frozen: 0 };
    this.electionMs = Array(c.models * c.files).fill(-1);
    this.remaining = c.n * c.files;
  }

  /** Runs `run` at virtual time `t` (ms); equal times run in the order pushed. */
  at(t: number, run: () => void): void {
    this.q.push(t, run);
  }

  after(ms: number, run: () => void): void {
    this.q.push(this.now + ms, run);
  }

  /** `b` is frozen (SIGSTOP) now. */
  frozen(b: Board): boolean {
    return b.frozenUntil > this.now;
  }

  /** `b`'s CPU is held back (starvation) now: what arrives waits for it. */
  held(b: Board): boolean {
    return b.heldUntil > this.now;
  }

  /**
   * Runs `run` for board `b` now, or once its starvation hold ends. What arrived
   * meanwhile runs first, in order, and a timer (`timer`) just after it: a starved
   * process reads its sockets before it looks at its clock.
   */
  whenRunning(b: Board, run: () => void, timer = false): void {
    if (!this.held(b)) return run();
    this.at(b.heldUntil + (timer ? 0.001 : 0), () => this.whenRunning(b, run, timer));
  }

  /** A random scheduling delay for board `b` (0 unless the run asks for one), ms. */
  lag(b: Board): number {
    const d = this.c.o.delayMs ?? 0;
    return d > 0 ? b.rng.next() * d : 0;
  }

  fileDone(b: Board, f: number): void {
    const fs = b.fs[f]!;
    if (fs.done || fs.failed) return;
    fs.done = true;
    this.settle();
  }

  fileFailed(b: Board, f: number, code: FileFailureCode): void {
    const fs = b.fs[f]!;
    if (fs.done || fs.failed) return;
    fs.failed = code;
    this.settle();
  }

  /** A crashed board's unfinished files no longer hold the fleet up. */
  boardLost(b: Board): void {
    for (const fs of b.fs) if (!fs.done && !fs.failed) this.remaining--;
    if (this.remaining === 0 && this.finishedAt < 0) this.finishedAt = this.now;
  }

  /** A restarted board's files hold the fleet up again until they settle. */
  boardBack(): void {
    this.remaining += this.c.files;
  }

  private settle(): void {
    this.remaining--;
    if (this.remaining === 0) this.finishedAt = this.now;
  }
}
