// The subnet's datagrams: a broadcast domain and unicast with latency, loss and a
// partition (odd and even boards cut apart for a while), plus garbage senders.
import type { Endpoint } from '../dload/types';
import type { Rng } from './rng';
import type { Actor, Board, World } from './world';

export class Datagrams {
  constructor(private readonly w: World, private readonly act: Actor) {}

  /** SendBroadcast: every other live board hears it after the LAN latency, each delivery lost on its own. */
  broadcast(from: Board, bytes: Buffer): void {
    this.w.after(this.w.c.lat, () => this.deliverAll(from, bytes, false));
  }

  /** SendUnicast: lost (or unaddressable) now, or delivered after the LAN latency. */
  unicast(from: Board, to: Endpoint, bytes: Buffer): void {
    this.w.stats.sent++;
    const dest = this.w.byAddr.get(to.addr);
    if (!dest || this.lost(from.rng) || this.partitioned(from, dest)) {
      this.w.stats.lost++;
      return;
    }
    this.w.after(this.w.c.lat + this.w.lag(dest), () => this.deliver(from, dest, bytes));
  }

  /** `count` random datagrams (some with the right magic) from random boards in the first 3 s. */
  garbage(count: number, rng: Rng): void {
    const { n } = this.w.c;
    for (let g = 0; g < count; g++) {
      const len = rng.int(60);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = rng.int(256);
      if (g % 3 === 0 && len >= 5) bytes.write('PFS', 0, 'latin1'); // right magic, likely foreign version or type
      const from = this.w.boards[rng.int(n)]!;
      this.w.at(rng.next() * 3000, () => this.deliverAll(from, bytes, true));
    }
  }

  /** Odd and even boards cannot reach each other until partitionUntilMs. */
  partitioned(a: Board, b: Board): boolean {
    const until = this.w.c.o.partitionUntilMs;
    return until !== undefined && this.w.now < until && (a.i & 1) !== (b.i & 1);
  }

  private lost(rng: Rng): boolean {
    const loss = this.w.c.loss;
    return loss > 0 && rng.next() < loss;
  }

  private deliverAll(from: Board, bytes: Buffer, garbage: boolean): void {
    if (!from.alive && !garbage) return;
    this.w.stats.sent++;
    for (const to of this.w.boards) {
      if (to === from || !to.alive || !to.node || this.w.frozen(to)) continue;
      if (this.lost(to.rng) || this.partitioned(from, to)) {
        this.w.stats.lost++;
        continue;
      }
      const lag = this.w.lag(to);
      if (lag > 0) this.w.after(lag, () => this.deliver(from, to, bytes));
      else this.deliver(from, to, bytes);
    }
  }

  /** `to` reads the datagram: now, or when its starvation hold ends (a frozen or dead board never). */
  private deliver(from: Board, to: Board, bytes: Buffer): void {
    this.w.whenRunning(to, () => {
      if (to.alive && to.node && !this.w.frozen(to)) this.act(to, to.node.onDatagram(this.w.now, from.ep, bytes));
    });
  }
}
