/** A scheduled event: runs at virtual time `t` (ms); `seq` keeps equal times in FIFO order. */
export interface SimEvent {
  t: number;
  seq: number;
  run: () => void;
}

/** Binary min-heap of events ordered by (t, seq). */
export class EventQueue {
  private readonly h: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.h.length;
  }

  /** The next event to run, left in the queue. */
  peek(): SimEvent | undefined {
    return this.h[0];
  }

  push(t: number, run: () => void): void {
    const e: SimEvent = { t, seq: this.seq++, run };
    const h = this.h;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  pop(): SimEvent | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || !last) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && less(h[r]!, h[l]!) ? r : l;
      if (less(last, h[c]!)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
