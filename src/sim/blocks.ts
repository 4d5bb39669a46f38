// What a board does with a block that arrived: check it (a corrupt block is a flag
// set by its sender, not bytes), tell the engine, and end the stream at the file's end.
import type { Flows } from './flows';
import type { Links } from './links';
import type { Origin } from './origin';
import type { Actor, Stream, World } from './world';

export class Blocks {
  constructor(
    private readonly w: World,
    private readonly flows: Flows,
    private readonly origin: Origin,
    private readonly links: Links,
    private readonly act: Actor,
  ) {}

  /** Block `index` of `bytes` bytes arrived whole on stream `s`. */
  arrived(s: Stream, index: number, bytes: number): void {
    const w = this.w;
    this.flows.landed(s);
    if (!s.from) this.origin.count(s.to, bytes);
    s.cursor++;
    const b = s.to;
    b.bytesIn += bytes;
    const fs = b.fs[s.f]!;
    const total = w.c.totals[s.f]!;
    if (!b.node) {
      // tftp mode: no engine, the board just counts blocks.
      if (s.cursor >= total) {
        s.closed = true;
        w.fileDone(b, s.f);
      } else this.flows.pump(s);
      return;
    }
    if (s.from ? s.from.corrupt : this.origin.corrupt) {
      w.stats.corrupt++;
      this.act(b, b.node.onEvent(w.now, { type: 'BlockCorrupt', key: fs.key, index }));
    } else {
      if (s.from && s.from.node!.session(fs.key)!.verified <= index) w.stats.badDelivery++;
      this.act(b, b.node.onEvent(w.now, { type: 'BlockVerified', key: fs.key, index }));
    }
    if (s.closed) return;
    if (s.cursor >= total) {
      // Everything sent: the sender's side of the connection ends.
      if (s.from) {
        this.links.disconnectParent(b, s.f);
      } else {
        s.closed = true;
        if (fs.origin === s) fs.origin = null;
      }
      return;
    }
    this.flows.pump(s);
  }
}
