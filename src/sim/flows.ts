// The TCP-like flow model: a stream sends one block at a time; every block in flight
// gets a fair share of each link it crosses (the sender's LAN uplink or the shared
// WAN, and the receiver's LAN downlink), recomputed whenever a flow starts or ends.
import { blockLen } from './config';
import type { Board, Stream, World } from './world';

/** Called when the block on the wire has fully arrived (`index`, `bytes`). */
export type Arrival = (s: Stream, index: number, bytes: number) => void;

export class Flows {
  private readonly wanActive = new Set<Stream>();
  /** Set once the block handler exists (it needs the flows itself). */
  onArrival: Arrival = () => {};

  constructor(private readonly w: World) {}

  /** A new, idle stream of file `f` starting at block `cursor`. */
  open(from: Board | null, to: Board, f: number, cursor: number): Stream {
    return { from, to, f, cursor, busy: false, bytes: 0, remaining: 0, rate: 0, t0: this.w.now, ver: 0, closed: false };
  }

  /** Puts the next block on the wire if the stream is idle and the sender may send it. */
  pump(s: Stream): void {
    if (s.closed || s.busy) return;
    // A frozen end sends nothing and reads nothing; its thaw pumps again.
    if ((s.from && this.w.frozen(s.from)) || this.w.frozen(s.to)) return;
    const total = this.w.c.totals[s.f]!;
    const limit = s.from ? s.from.fs[s.f]!.released : total;
    if (s.cursor >= limit || s.cursor >= total) return;
    s.busy = true;
    s.bytes = s.remaining = blockLen(this.w.c, s.f, s.cursor);
    s.t0 = this.w.now;
    s.rate = 0;
    this.senders(s).add(s);
    s.to.inActive.add(s);
    this.reflowAround(s);
  }

  /** The block on the wire arrived: the stream is idle again (the caller moves the cursor). */
  landed(s: Stream): void {
    this.endTransfer(s);
  }

  /**
   * Closes the stream. Returns the bytes of the block in flight that had already
   * arrived (the origin counts them as sent), 0 when idle.
   */
  close(s: Stream): number {
    if (s.closed) return 0;
    let partial = 0;
    if (s.busy) {
      // At most the block itself: a receiver frozen or starved leaves its last block
      // "arrived" but unread, and the time since then moved no more bytes.
      partial = Math.min(s.bytes, Math.round(s.bytes - (s.remaining - ((this.w.now - s.t0) * s.rate) / 1000)));
      this.endTransfer(s);
    }
    s.closed = true;
    return partial;
  }

  private senders(s: Stream): Set<Stream> {
    return s.from ? s.from.outActive : this.wanActive;
  }

  private shareOf(s: Stream): number {
    const { lanRate, wanRate } = this.w.c;
    const up = s.from ? lanRate / s.from.outActive.size : wanRate / this.wanActive.size;
    return Math.min(up, lanRate / s.to.inActive.size);
  }

  private reflow(s: Stream): void {
    if (!s.busy) return;
    const now = this.w.now;
    s.remaining -= ((now - s.t0) * s.rate) / 1000;
    if (s.remaining < 0) s.remaining = 0;
    s.t0 = now;
    s.rate = this.shareOf(s);
    const ver = ++s.ver;
    const index = s.cursor;
    const land = (): void => {
      if (s.ver !== ver || s.closed) return;
      // A frozen receiver reads the block when it thaws (never, if frozen for good).
      if (this.w.frozen(s.to)) {
        if (Number.isFinite(s.to.frozenUntil)) this.w.at(s.to.frozenUntil, land);
        return;
      }
      // A starved receiver reads it when it runs again (the sender waits for its window meanwhile).
      if (this.w.held(s.to)) {
        this.w.at(s.to.heldUntil, land);
        return;
      }
      this.onArrival(s, index, s.bytes);
    };
    this.w.at(now + (s.remaining / s.rate) * 1000, land);
  }

  private reflowAround(s: Stream): void {
    const up = this.senders(s);
    for (const x of up) this.reflow(x);
    for (const x of s.to.inActive) if (!up.has(x)) this.reflow(x);
  }

  private endTransfer(s: Stream): void {
    s.busy = false;
    s.ver++;
    const up = this.senders(s);
    up.delete(s);
    s.to.inActive.delete(s);
    for (const x of [...up, ...s.to.inActive]) this.reflow(x);
  }
}
