/**
 * One direction of an emulated link: a FIFO that serialises datagrams at `rate`
 * bits per second, adds a fixed one-way `delayMs`, and tail-drops what would wait
 * longer than `maxQueueMs` (a router's buffer). One timer serves the whole queue.
 */
export interface ShapedLinkOptions {
  /** Bits per second; Infinity for no limit. */
  rate: number;
  /** One-way propagation delay in ms. */
  delayMs: number;
  /** Longest a datagram may wait to be serialised before it is dropped. Default 1000. */
  maxQueueMs?: number;
  /** Share of datagrams lost at random, 0..1. */
  loss?: number;
  /** Source of randomness for loss, 0 <= x < 1 (inject a seeded one for repeatable runs). */
  random?: () => number;
}

export interface LinkStats {
  packets: number;
  bytes: number;
  /** Datagrams dropped: at random (`loss`) or by the full buffer. */
  dropped: number;
  /** Of those, the ones the buffer had no room for: a sender driving the link past its rate. */
  overflowed: number;
}

interface InFlight {
  at: number;
  deliver: () => void;
}

export class ShapedLink {
  readonly stats: LinkStats = { packets: 0, bytes: 0, dropped: 0, overflowed: 0 };
  private freeAt = 0;
  private readonly queue: InFlight[] = [];
  private head = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly o: ShapedLinkOptions) {}

  /** Queues a datagram of `bytes` bytes; `deliver` runs when it reaches the far end. */
  send(bytes: number, deliver: () => void): void {
    if (this.closed) return;
    const now = performance.now();
    const start = Math.max(now, this.freeAt);
    const full = start - now > (this.o.maxQueueMs ?? 1000);
    if (full || (this.o.loss && (this.o.random ?? Math.random)() < this.o.loss)) {
      this.stats.dropped++;
      if (full) this.stats.overflowed++;
      return;
    }
    this.freeAt = start + (Number.isFinite(this.o.rate) ? ((bytes + 28) * 8 * 1000) / this.o.rate : 0);
    this.stats.packets++;
    this.stats.bytes += bytes;
    this.queue.push({ at: this.freeAt + this.o.delayMs, deliver });
    if (!this.timer) this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
  }

  private schedule(): void {
    const next = this.queue[this.head];
    if (!next) {
      this.queue.length = 0;
      this.head = 0;
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.at - performance.now()));
  }

  private flush(): void {
    const now = performance.now();
    // Timers fire late by up to a millisecond or so: deliver everything due by now.
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now + 0.5) {
      const p = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as InFlight;
      p.deliver();
    }
    if (this.head > 4096) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  }
}
