// Crashes and restarts: a board that dies (its peers notice only after peerDeadMs)
// and one that boots again keeping the blocks it had verified on flash.
import type { CrashSpec } from './config';
import type { Fleet } from './fleet';
import type { Flows } from './flows';
import type { Links } from './links';
import type { Origin } from './origin';
import type { Rng } from './rng';
import type { Actor, Board, World } from './world';

export class Faults {
  constructor(
    private readonly w: World,
    private readonly origin: Origin,
    private readonly links: Links,
    private readonly fleet: Fleet,
    private readonly flows: Flows,
    private readonly act: Actor,
  ) {}

  /** Schedules the crashes the options ask for: a count at random moments of the transfer, or explicit ones. */
  schedule(rng: Rng): void {
    const { o, n, limitMs } = this.w.c;
    const crashes: CrashSpec[] = typeof o.crashes === 'number'
      ? Array.from({ length: o.crashes }, () => ({ atMs: 1000 + rng.next() * limitMs, who: rng.int(n) }))
      : [...(o.crashes ?? [])];
    for (const c of crashes) this.w.at(c.atMs, () => this.crash(this.pick(c.who)));
    for (const z of o.freezes ?? []) this.w.at(z.atMs, () => this.freeze(this.pick(z.who), z.forMs));
    if (o.starveMs) for (const b of this.w.boards) this.starve(b, o.starveMs);
  }

  /** CPU starvation: `b` runs for a random 0..2×ms, is held back for a random 0..ms, and again, until the fleet settles. */
  private starve(b: Board, ms: number): void {
    const w = this.w;
    const hold = (): void => {
      if (w.finishedAt >= 0) return;
      b.heldUntil = w.now + b.rng.next() * ms;
      w.at(b.heldUntil + b.rng.next() * 2 * ms, hold);
    };
    w.at(b.rng.next() * 2 * ms, hold);
  }

  /** `b` stops (SIGSTOP) for `forMs` (Infinity: for good): no reads, sends or timers; its connections stay open. */
  freeze(b: Board | undefined, forMs: number): void {
    const w = this.w;
    if (!b || !b.alive || w.frozen(b)) return;
    b.frozenUntil = w.now + forMs;
    w.stats.frozen++;
    w.c.o.onLog?.(b.i, w.now, 'ERR', `*** frozen ${b.ep.addr} for ${forMs} ms`);
    if (Number.isFinite(forMs)) w.at(b.frozenUntil, () => this.thaw(b));
    // Frozen for good: as good as dead to the fleet's outcome (its peers must cope).
    else w.boardLost(b);
  }

  /** A frozen board runs again: its streams move, its timers fire. */
  private thaw(b: Board): void {
    if (!b.alive || this.w.frozen(b)) return;
    this.w.c.o.onLog?.(b.i, this.w.now, 'NOT', `*** thawed ${b.ep.addr}`);
    for (const fs of b.fs) {
      for (const s of fs.out.values()) this.flows.pump(s);
      if (fs.inbound) this.flows.pump(fs.inbound);
      if (fs.origin) this.flows.pump(fs.origin);
    }
    this.act(b, []);
  }

  /** The board a crash spec names now (undefined: none fits). */
  pick(who: CrashSpec['who']): Board | undefined {
    if (typeof who === 'number') return this.w.boards[who];
    for (const b of this.w.boards) {
      if (!b.alive || !b.node) continue;
      const s = b.node.session(b.fs[0]!.key)!;
      if (who === 'root' && s.role === 'root' && b.model === 0) return b;
      if (who === 'parent' && s.role === 'member' && b.fs[0]!.out.size > 0 && !s.complete) return b;
    }
    return undefined;
  }

  /** `b` dies now: every stream it takes part in stops; its peers find out after peerDeadMs. */
  crash(b: Board | undefined): void {
    const w = this.w;
    if (!b || !b.alive) return;
    b.alive = false;
    w.stats.crashed++;
    w.c.o.onLog?.(b.i, w.now, 'ERR', `*** crash ${b.ep.addr}`);
    this.cutOff(b);
    // A board frozen for good was counted out when it froze.
    if (b.frozenUntil !== Infinity) w.boardLost(b);
    b.frozenUntil = 0;
  }

  /**
   * `b` reboots into its new load (every file complete, its children served): it
   * tells its roots it goes (Leaving), and its address answers nothing from now on.
   */
  reboot(b: Board): void {
    const w = this.w;
    if (!b.alive || !b.node) return;
    this.act(b, b.node.depart());
    b.alive = false;
    w.stats.rebooted++;
    w.c.o.onLog?.(b.i, w.now, 'NOT', `*** reboot ${b.ep.addr}`);
    this.cutOff(b);
    w.boardLost(b);
  }

  /** Every stream of a board gone stops: its origin transfers now, its peers after peerDeadMs. */
  private cutOff(b: Board): void {
    for (let f = 0; f < b.fs.length; f++) {
      const fs = b.fs[f]!;
      if (fs.origin) this.origin.close(fs.origin);
      this.links.crashed(b, f);
    }
  }

  /** A crashed board boots again with a new engine, keeping the blocks it had verified (a resume). */
  restart(b: Board): void {
    const w = this.w;
    if (b.alive) return;
    const verified = b.fs.map((fs) => b.node?.session(fs.key)?.verified ?? 0);
    if (b.node) b.retired.push(b.node);
    b.node = null;
    b.alive = true;
    b.timerAt = Infinity;
    b.fs = [];
    b.keyIndex.clear();
    b.bytesIn = 0;
    w.stats.restarts++;
    w.c.o.onLog?.(b.i, w.now, 'NOT', `*** restart ${b.ep.addr}`);
    w.boardBack();
    this.fleet.boot(b, verified);
  }
}
