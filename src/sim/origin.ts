// The TFTP origin behind the WAN: one stream per fetch over the shared WAN link,
// the round trips a transfer costs before data flows, and the bytes it sent.
import type { Flows } from './flows';
import type { Board, Stream, World } from './world';

export class Origin {
  /** Every block the origin sends fails its hash (its copy is not the signed one). */
  readonly corrupt: boolean;

  constructor(private readonly w: World, private readonly flows: Flows) {
    this.corrupt = w.c.o.originCorrupt ?? false;
  }

  /** OpenOrigin or PrepareOrigin: the request and option negotiation start now (if not already), no data yet. */
  prepare(b: Board, f: number): void {
    b.fs[f]!.preparedAt ??= this.w.now;
  }

  /** FetchOrigin: data flows after one round trip if prepared at least a round trip ago, else two. */
  fetch(b: Board, f: number, fromOffset: number): void {
    const { files, wanRttMs, blockBytes } = this.w.c;
    const h = b.model * files + f;
    if (this.w.electionMs[h]! < 0) {
      this.w.electionMs[h] = this.w.now;
      // The first root of each hierarchy passes on only corrupt blocks (a lying root).
      if (this.w.c.o.corruptRoot) b.corrupt = true;
    }
    // TFTP: request + option ack, then ACK 0 + first data: two round trips,
    // one if the transfer was prepared at least a round trip ago.
    const prepared = b.fs[f]!.preparedAt;
    const ready = prepared !== undefined && this.w.now - prepared >= wanRttMs;
    b.fs[f]!.preparedAt = undefined;
    this.start(b, f, fromOffset / blockBytes, ready ? wanRttMs : 2 * wanRttMs);
  }

  /** A stream from the origin to `b` starting at block `fromBlock`, data after `delay` ms. */
  start(b: Board, f: number, fromBlock: number, delay: number): void {
    const fs = b.fs[f]!;
    if (fs.origin) this.close(fs.origin);
    const s = this.flows.open(null, b, f, fromBlock);
    fs.origin = s;
    this.w.after(delay, () => this.flows.pump(s));
  }

  /** StopOrigin (or a board that gave up): the transfer and any prepared one are dropped. */
  stop(b: Board, f: number): void {
    const fs = b.fs[f]!;
    if (fs.origin) this.close(fs.origin);
    fs.origin = null;
    fs.preparedAt = undefined;
  }

  /** Closes an origin stream, counting what of the block in flight was already sent. */
  close(s: Stream): void {
    this.count(s.to, this.flows.close(s));
  }

  /** Bytes the origin sent to `b` (of `b`'s model). */
  count(b: Board, bytes: number): void {
    this.w.stats.originBytes += bytes;
    this.w.stats.originByModel[b.model]! += bytes;
  }
}
