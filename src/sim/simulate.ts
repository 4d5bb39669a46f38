// Deterministic discrete-event simulator that drives the DLoad core (src/dload)
// over a virtual subnet: a broadcast domain with latency and loss (datagrams.ts),
// TCP-like flows sharing LAN uplinks/downlinks and the WAN (flows.ts), the TFTP
// origin (origin.ts), parent-child connections (links.ts), crashes and restarts
// (faults.ts). Blocks are indices; a corrupt block is a flag, not bytes.
// Same options and seed, same run: every random draw comes from one seeded Rng.
import type { DLoadAction, FileFailureCode } from '../dload/types';
import { fileView, type FileView } from '../dload/file-view';
import { UsageError } from '../errors';
import { encode } from '../dload/wire';
import { Blocks } from './blocks';
import { configure, type SimOptions } from './config';
import { Datagrams } from './datagrams';
import { Faults } from './faults';
import { createBoards, Fleet } from './fleet';
import { Flows } from './flows';
import { Links, type Probe } from './links';
import { Origin } from './origin';
import { summarize, type SimSummary } from './outcome';
import { Performer } from './perform';
import { Rng } from './rng';
import { World, type Board } from './world';

export type { CrashSpec, SimOptions } from './config';
export type { FileFailure, SimSummary } from './outcome';
export type { Probe } from './links';

/** One board's view of one file (the core's FileView, as PeerNode.status() gives it), and how it failed. */
export interface SimFileStatus extends FileView {
  /** Set when the board gave the file up. */
  failed?: FileFailureCode;
}

/**
 * A simulated site that a caller can step and poke: run until a condition holds,
 * crash, restart or boot a board, send a rogue StreamRequest. simulate() runs one
 * to the end.
 */
export class Simulation {
  readonly world: World;
  private readonly wall0 = performance.now();
  private readonly fleet: Fleet;
  private readonly faults: Faults;
  private readonly links: Links;
  private readonly act: (b: Board, acts: DLoadAction[]) => void;

  constructor(o: SimOptions) {
    const c = configure(o);
    const w = (this.world = new World(c));
    const rng = new Rng(o.seed ?? 1);
    // The parts that feed an engine carry out its answer through the performer, made last.
    const act = (this.act = (b: Board, acts: DLoadAction[]) => performer.perform(b, acts));
    const flows = new Flows(w);
    const origin = new Origin(w, flows);
    const net = new Datagrams(w, act);
    this.links = new Links(w, flows, act);
    const blocks = new Blocks(w, flows, origin, this.links, act);
    flows.onArrival = (s, index, bytes) => blocks.arrived(s, index, bytes);
    const performer = new Performer(w, net, this.links, origin, flows);
    this.fleet = new Fleet(w, origin, act);
    performer.onFileComplete = (b, f) => f === 0 && this.fleet.componentsFor(b);
    this.faults = new Faults(w, origin, this.links, this.fleet, flows, act);
    if (o.reboot) {
      // After the actions at hand: the board reboots once it may leave every file of its set.
      performer.onLeft = (b) => {
        if (b.fs.length === c.sizes.length && b.fs.every((fs) => fs.left)) w.after(0, () => this.faults.reboot(b));
      };
    }

    createBoards(w, rng);
    const late = o.late;
    for (const b of w.boards) {
      if (b.i < c.lateFrom) {
        const at = b.rng.next() * (o.bootJitterMs ?? 10);
        w.at(at, () => this.fleet.boot(b, []));
      } else if (late?.atMs !== undefined) {
        w.at(late.atMs, () => this.bootHolding(b, late.held ?? 0));
      }
    }
    this.faults.schedule(rng);
    net.garbage(o.garbage ?? 0, rng);
  }

  /** Virtual time, ms. */
  get now(): number {
    return this.world.now;
  }

  /** Every file of every board that is alive or yet to boot is verified or given up. */
  get settled(): boolean {
    return this.world.finishedAt >= 0 && this.world.remaining === 0;
  }

  /**
   * Runs events until `cond()` holds (checked after each event), the queue is empty
   * or virtual time would pass `untilMs` (default: the run's maxSeconds). Returns whether `cond()` held.
   */
  runUntil(cond: () => boolean, untilMs = this.world.c.maxMs): boolean {
    const w = this.world;
    if (cond()) return true;
    for (;;) {
      const next = w.q.peek();
      if (!next || next.t > untilMs) return false;
      w.q.pop();
      w.now = next.t;
      w.events++;
      next.run();
      if (cond()) return true;
    }
  }

  /** Runs until every file settles (or maxSeconds) and returns the summary. */
  run(): SimSummary {
    this.runUntil(() => this.settled);
    return this.summary();
  }

  summary(): SimSummary {
    return summarize(this.world, Math.round(performance.now() - this.wall0));
  }

  /** Boots board `i` now (a late joiner), holding `held` (0..1) of every file. */
  boot(i: number, held = 0): void {
    const b = this.board(i);
    if (!b.booted) this.bootHolding(b, held);
  }

  /** Board `i` dies now (its peers notice after peerDeadMs). */
  crash(i: number): void {
    this.faults.crash(this.board(i));
  }

  /** Board `i` stops (SIGSTOP) for `forMs` (Infinity: for good), its connections open. */
  freeze(i: number, forMs: number): void {
    this.faults.freeze(this.board(i), forMs);
  }

  /** Crashed board `i` boots again, keeping the blocks it had verified. */
  restart(i: number): void {
    this.faults.restart(this.board(i));
  }

  /**
   * A host speaking from the address of board `i`'s root tells it, for file `f`, to
   * fetch from a parent that never answers (an address no board has: the connection
   * is never served). False if board `i` follows no root now.
   */
  spoofStallingParent(i: number, f = 0): boolean {
    const b = this.board(i);
    const s = b.node?.session(b.fs[f]!.key);
    if (!b.alive || !s?.root) return false;
    const bytes = encode({ type: 'ParentAssigned', key: s.key, sender: s.root.id, target: b.id, parentId: 0xdead0001, parentAddr: '10.255.255.254', parentPort: 4051, depth: 1 });
    this.act(b, b.node!.onDatagram(this.world.now, s.root.udp, bytes));
    return true;
  }

  /**
   * From now on, a stranger (an address no board has) broadcasts every `everyMs` a
   * ConfirmedRoot for file `f` of model 0 that outranks every board (strength 2^32-1,
   * `held` bytes) and answers nothing.
   */
  fakeRoot(held: number, everyMs = 30, f = 0): void {
    const w = this.world;
    const stranger = { addr: '10.255.255.252', port: 4051 };
    const advert = (): void => {
      const b0 = w.boards.find((b) => b.model === 0 && b.node);
      const key = b0?.fs[f]?.key;
      if (key) {
        const bytes = encode({ type: 'ConfirmedRoot', key, sender: 0xfa4e0001, strength: 0xffffffff, held, tcpPort: 4051, ad: 0, map: 0 });
        for (const b of w.boards) if (b.alive && b.node && !w.frozen(b)) this.act(b, b.node.onDatagram(w.now, stranger, bytes));
      }
      if (!this.settled) w.after(everyMs, advert);
    };
    advert();
  }

  /**
   * A stranger (an address no board has) sends root board `root` a BadParent for file
   * `f` naming each board of `suspects`, each in the name of a node id no board has.
   */
  forgeBadParents(root: number, suspects: readonly number[], f = 0): void {
    const r = this.board(root);
    const key = r.fs[f]!.key;
    const stranger = { addr: '10.255.255.253', port: 4051 };
    suspects.forEach((k, n) => {
      const bytes = encode({ type: 'BadParent', key, sender: 0xbad00000 + n, tcpPort: 4051, children: 0, held: 0, parentId: this.board(k).id, refused: false });
      if (r.alive && r.node) this.act(r, r.node.onDatagram(this.world.now, stranger, bytes));
    });
  }

  /** A rogue client sends board `i` a StreamRequest for file `f` at byte `offset`; the answer lands in the probe. */
  probe(i: number, f: number, offset: number): Probe {
    return this.links.probe(this.board(i), f, offset);
  }

  alive(i: number): boolean {
    return this.board(i).alive;
  }

  /** Bytes that arrived at board `i` in its current life, from parents and the origin. */
  bytesIn(i: number): number {
    return this.board(i).bytesIn;
  }

  status(i: number): SimFileStatus[] {
    const b = this.board(i);
    const c = this.world.c;
    if (!b.node) return [];
    return b.fs.map((fs, f) => {
      const s = b.node!.session(fs.key)!;
      return {
        ...fileView(s, b.id, Math.min(c.sizes[f]!, (b.resumed[f] ?? 0) * c.blockBytes)),
        ...(fs.failed ? { failed: fs.failed } : {}),
      };
    });
  }

  private board(i: number): Board {
    const b = this.world.boards[i];
    if (!b) throw new UsageError(`simulator: no board ${i} (${this.world.c.n} boards)`);
    return b;
  }

  private bootHolding(b: Board, held: number): void {
    this.fleet.boot(b, this.world.c.totals.map((t) => Math.floor(t * held)));
  }
}

/** Runs a fleet upgrade to the end in virtual time and returns its summary. Same options, same summary. */
export function simulate(o: SimOptions): SimSummary {
  return new Simulation(o).run();
}
