/**
 * How many blocks a TFTP sender keeps in flight on a selectively acknowledged
 * transfer (the `sack` option, see docs/TFTP.md). Pure: it is told round-trip
 * samples and the client's reports, and answers with `window`; it never sends.
 *
 * The rule, per round trip (a round ends when the client reports a block sent
 * after the round began; the first, when it has reported the whole first window):
 * - the round's smallest round trip, less the smallest ever seen, is the queue the
 *   transfer has built on the path. Above `target` (a third of the base round trip,
 *   at least 40 ms: a busy CPU alone delays reports by tens of ms, and a smaller
 *   target read that as a queue and starved 12 transfers at 100 Mbit/s to a third of
 *   the link) the window shrinks to 0.9x and stops doubling; below half the target it
 *   grows: doubling until the queue first rises (slow start), then by an eighth a
 *   round, or doubling again while the queue is under a quarter of the target (room
 *   that others left: a transfer whose neighbours ended); in between it holds. The link stays full with a short queue. Slow start
 *   also ends at the second sample in a row past the target. Doubling also needs the
 *   queue over the path's base (the smallest round trip of any transfer to the same
 *   client, `path`) under half the target.
 * - a transfer that has sent its last block, with others still sending on its path,
 *   leaves them what it had in flight, split among them and taken at their next
 *   report (once; the next transfer to end replaces what is left): as its last round
 *   drains theirs fills the path, where each would otherwise grow into the gap a round
 *   or two later.
 * - blocks the client reports missing for the first time shrink the window by as
 *   many blocks (a random loss costs what it lost, not half the rate); a round that
 *   lost a fifth of its window or more halves it, and a timeout drops it to the
 *   floor: a link that drops that much is full, and is not driven harder.
 */
export interface WindowControlOptions {
  /** Window at the start, blocks. */
  initial: number;
  /** Smallest window, blocks: the client acknowledges every `floor` blocks. */
  floor: number;
  /** Largest window, blocks: what the client keeps out of order. */
  ceiling: number;
  /**
   * What the transfers to one client address know of their path, shared among them
   * (TftpServer: one per address while any transfer to it runs). They cross the same
   * link, so the smallest round trip any of them saw is the path's. A transfer doubles
   * only while the path's queue over it is under half the target: one that started
   * behind the others' queue (twelve components started together put 450 ms of queue
   * ahead of each other's first samples) would otherwise take that queue for its path
   * and double into the router's buffer. Shrinking follows its own round trips.
   */
  path?: SharedPath;
}

/** What the transfers to one client address know of their path. */
export interface SharedPath {
  /** The smallest round trip seen on the path, ms (Infinity until the first sample). */
  baseRtt: number;
  /** Transfers running on the path now (the server counts them; 1 if not counted). */
  active?: number;
  /**
   * Of those, the ones that have sent their last block and left their window
   * (WindowControl.finished, until WindowControl.ended): they take no share of what
   * another leaves, so a share is split among the ones still sending only.
   */
  finishing?: number;
  /** Window blocks a transfer that ended left to the others still running (WindowControl.finished). */
  freed?: number;
  /** What each of those takes of `freed`, once per release. */
  freedShare?: number;
  /** Counts the releases, so that each transfer takes its share of one only once. */
  freedRelease?: number;
}

const MIN_TARGET_MS = 40;

export class WindowControl {
  /** Blocks the sender may have in flight now. */
  window: number;
  /** The largest window reached so far, blocks. */
  peak: number;
  /** Rounds that shrank the window (queue or loss). */
  shrinks = 0;
  private slowStart = true;
  /** The smallest round trip this transfer saw. */
  private baseRtt = Infinity;
  private roundMin = Infinity;
  private roundEnd = 0;
  private roundLost = 0;
  /** The most blocks in flight this round: a window the sender could not fill (the client's room) does not grow. */
  private roundUsed = 0;
  private lastPast = false;
  /** Its window went to the others on the path (finished()): what it sends now is resends. */
  private done = false;
  /** The path's release this transfer took its share of (SharedPath.freedRelease). */
  private tookRelease?: number;

  constructor(private readonly o: WindowControlOptions) {
    this.window = this.clamp(o.initial);
    // A window left before this transfer started was the others' to take: a newcomer
    // starts from its own initial window, not with a burst of what the path carried then.
    this.tookRelease = o.path?.freedRelease;
    this.peak = this.window;
  }

  /** A round-trip sample, ms (a block sent once, and the report that first held it). */
  rtt(ms: number): void {
    if (ms < this.baseRtt) this.baseRtt = ms;
    const path = this.o.path;
    if (path && ms < path.baseRtt) path.baseRtt = ms;
    if (ms < this.roundMin) this.roundMin = ms;
    // Slow start ends at the first sample past the target, not at the round's end: a
    // window doubling each round fills a router's buffer within one round (12 transfers
    // starting together on 10 Mbit/s went past the WAN's 1 s queue and lost datagrams).
    // Two samples in a row, so that one late report (a busy CPU) does not end it.
    const past = ms - this.baseRtt > this.target();
    if (this.slowStart && past && this.lastPast) this.slowStart = false;
    this.lastPast = past;
  }

  private target(): number {
    return Math.max(MIN_TARGET_MS, this.baseRtt / 3);
  }

  /**
   * A report from the client: it holds blocks up to `high` (with holes), `lost`
   * blocks were reported missing for the first time, and the sender has sent up to
   * `sentUpTo`. Ends the round when `high` passed the round's end.
   */
  report(high: number, lost: number, sentUpTo: number): void {
    this.takeFreed();
    this.roundLost += lost;
    // The first round is the first window: it ends once all of it is reported. (It
    // ended at the first report of a block sent after the first report, which a
    // transfer primed ahead of its consumer never sends before its consumer opens:
    // the client holds the window, reports it, and waits. Its next window went at
    // the initial size, a round trip of slow start lost for every component of a
    // load.) Nothing more is sent before the first report, so `sentUpTo` is its end.
    if (this.roundEnd === 0) this.roundEnd = sentUpTo;
    if (high < this.roundEnd) return;
    this.endRound();
    this.roundEnd = sentUpTo + 1;
  }

  /** Blocks in flight now (after a send): growth needs a window that was used. */
  used(blocks: number): void {
    if (blocks > this.roundUsed) this.roundUsed = blocks;
  }

  /**
   * The transfer has sent every block of its file once: the others running on its path
   * take up its window while its last round drains. (Not on an error or a timeout: a
   * window that failed is no measure of the path.)
   */
  finished(): void {
    const path = this.o.path;
    // Those still sending take it: not this one, nor one that finished before it and
    // waits for its last report. (Counting those, the last of four components over a
    // 10 Mbit/s, 150 ms WAN took half of what the third left, 79 blocks where 158 were
    // there, and ran the link at 55 % for half a second before it grew.)
    const others = (path?.active ?? 1) - 1 - (path?.finishing ?? 0);
    if (this.done || !path || others < 1) return;
    this.done = true;
    path.finishing = (path.finishing ?? 0) + 1;
    // What it leaves is what it had in flight, not its window: a one-block file (a
    // configuration) used one block of it. And each release replaces the one before:
    // a share nobody took by then was for transfers that have ended since. Added up,
    // the 128 configuration files of a 64-board lab left 32 blocks each, nobody took
    // them (each ends at its first send), and the components that came next took 151
    // blocks each at once: 1,500-3,200 datagrams over the WAN's 1 s buffer, dropped
    // and sent again (1.14-1.25 copies per model in 11 of 19 runs).
    path.freed = Math.min(this.window, this.roundUsed);
    path.freedShare = Math.ceil(path.freed / others);
    path.freedRelease = (path.freedRelease ?? 0) + 1;
    this.window = this.o.floor;
  }

  /** The transfer has ended (its last report, an error, a timeout): it no longer counts as finishing on its path. */
  ended(): void {
    const path = this.o.path;
    if (!this.done || !path) return;
    path.finishing = Math.max(0, (path.finishing ?? 0) - 1);
  }

  private takeFreed(): void {
    const path = this.o.path;
    if (this.done || !path?.freed || path.freedRelease === this.tookRelease) return;
    this.tookRelease = path.freedRelease;
    const n = Math.min(path.freed, path.freedShare!);
    path.freed -= n;
    this.set(this.window + n);
  }

  /** Nothing heard for a whole retransmission timeout. */
  timeout(): void {
    this.slowStart = false;
    this.set(this.o.floor);
    this.shrinks++;
    this.roundLost = 0;
    this.roundMin = Infinity;
  }

  /** The queue on the path as the transfers sharing it know it (WindowControlOptions.path); NaN without. */
  private pathQueue(): number {
    return this.roundMin - (this.o.path?.baseRtt ?? NaN);
  }

  private endRound(): void {
    let w = this.window;
    const before = w;
    // A round without a sample (only holes filled) tells nothing of the queue: hold.
    const queue = this.roundMin === Infinity ? undefined : this.roundMin - this.baseRtt;
    const target = this.target();
    if (queue === undefined) {
      // hold
    } else if (queue > target) {
      w *= 0.9;
      this.slowStart = false;
    } else if (this.roundUsed < before / 2) {
      // hold: the sender was held back by something else (the client's room, the file's end)
    } else if ((this.slowStart || queue < target / 4) && !(this.pathQueue() > target / 2)) {
      // Next to no queue: the path has room an eighth a round would take seconds to
      // fill (the last of four transfers on a 10 Mbit/s WAN, the others done, grew from
      // a quarter of the link at 1/8 a round: 2.4 s of tail, a fleet 1.3 s slower than
      // without sack). Double again; the queue check above stops it within a round.
      w *= 2;
    } else if (queue < target / 2) {
      w += Math.max(1, w / 8);
    }
    if (this.roundLost >= before / 5) {
      w = before / 2;
      this.slowStart = false;
    } else {
      w -= this.roundLost;
    }
    if (w < before) this.shrinks++;
    this.set(w);
    this.roundLost = 0;
    this.roundMin = Infinity;
    this.roundUsed = 0;
  }

  private set(w: number): void {
    this.window = this.clamp(w);
    if (this.window > this.peak) this.peak = this.window;
  }

  private clamp(w: number): number {
    return Math.max(this.o.floor, Math.min(this.o.ceiling, Math.floor(w)));
  }
}
