// Parent-child connections between boards: connecting (the child's StreamRequest),
// the parent's answer (serve or refuse), hanging up, and what each end hears, and
// when, when the other end closes or dies. Also a rogue client's StreamRequest.
import { encode } from '../dload/wire';
import type { Endpoint } from '../dload/types';
import { STREAM_STATUS } from '../dload/wire';
import type { Flows } from './flows';
import type { Actor, Board, World } from './world';

/** A rogue StreamRequest sent to a board; `status` is its answer once it arrives. */
export interface Probe {
  readonly board: number;
  readonly file: number;
  readonly offset: number;
  /** A STREAM_STATUS value; undefined until answered (or if the board is dead). */
  status?: number;
}

/** Node ids of rogue clients: far from any board's (0x08002700 + i). */
const ROGUE_BASE = 0xfeed0000;

export class Links {
  private readonly probes = new Map<number, Probe>();

  constructor(private readonly w: World, private readonly flows: Flows, private readonly act: Actor) {}

  /** ConnectParent: drop the current parent, reach the new one after the LAN latency. */
  connect(child: Board, f: number, ep: Endpoint, fromOffset: number, depth: number): void {
    const w = this.w;
    this.disconnectParent(child, f);
    w.stats.maxDepth = Math.max(w.stats.maxDepth, depth);
    const parent = w.byAddr.get(ep.addr);
    const fs = child.fs[f]!;
    if (!parent) return;
    fs.connecting = parent;
    const fail = () => {
      if (child.alive && fs.connecting === parent) {
        fs.connecting = null;
        this.act(child, child.node!.onEvent(w.now, { type: 'ParentLost', key: fs.key, refused: false }));
      }
    };
    if (!parent.alive) {
      w.after(w.c.peerDeadMs, fail);
      return;
    }
    w.after(w.c.lat, () => {
      if (!child.alive || fs.connecting !== parent) return;
      if (!parent.alive || !parent.node) return void w.after(w.c.peerDeadMs, fail);
      const pk = parent.fs[f]?.key;
      if (pk !== fs.key) return void w.after(w.c.lat, fail);
      // A frozen parent's kernel takes the connection, but nobody answers it.
      if (w.frozen(parent)) return;
      this.act(parent, parent.node.onEvent(w.now, { type: 'ChildConnected', key: pk, childId: child.id, fromOffset }));
    });
  }

  /** ServeChild: answer OK and start streaming from `fromOffset`. */
  serve(parent: Board, f: number, childId: number, fromOffset: number): void {
    const w = this.w;
    const pfs = parent.fs[f]!;
    if (this.answerProbe(parent, f, childId, STREAM_STATUS.OK)) return;
    const child = w.byId.get(childId)!;
    const cfs = child.fs[f]!;
    if (!child.alive || cfs.connecting !== parent) {
      this.act(parent, parent.node!.onEvent(w.now, { type: 'ChildGone', key: pfs.key, childId, complete: false }));
      return;
    }
    cfs.connecting = null;
    const old = pfs.out.get(childId);
    if (old) this.flows.close(old);
    const s = this.flows.open(parent, child, f, fromOffset / w.c.blockBytes);
    cfs.inbound = s;
    pfs.out.set(childId, s);
    this.flows.pump(s);
  }

  /** RejectChild: the child hears the refusal after the LAN latency. */
  reject(parent: Board, f: number | undefined, childId: number, status: number): void {
    const w = this.w;
    if (f !== undefined && this.answerProbe(parent, f, childId, status)) return;
    const child = w.byId.get(childId);
    if (!child || f === undefined) return;
    w.after(w.c.lat, () => {
      const cfs = child.fs[f]!;
      if (child.alive && cfs.connecting === parent) {
        cfs.connecting = null;
        this.act(child, child.node!.onEvent(w.now, { type: 'ParentLost', key: cfs.key, refused: true }));
      }
    });
  }

  /** DisconnectParent: the child hangs up; the parent hears it after the LAN latency. */
  disconnectParent(child: Board, f: number): void {
    const w = this.w;
    const fs = child.fs[f]!;
    fs.connecting = null;
    const s = fs.inbound;
    if (!s) return;
    fs.inbound = null;
    this.flows.close(s);
    const p = s.from!;
    if (p.fs[f]!.out.get(child.id) === s) p.fs[f]!.out.delete(child.id);
    const done = s.cursor >= w.c.totals[f]!;
    w.after(w.c.lat, () => {
      if (p.alive && p.node) this.act(p, p.node.onEvent(w.now, { type: 'ChildGone', key: p.fs[f]!.key, childId: child.id, complete: done }));
    });
  }

  /**
   * The parent side of every child stream of file `f` closes; each child hears it
   * after `afterMs` (the LAN latency for a clean close, peerDeadMs for a dead board).
   */
  dropChildren(parent: Board, f: number, afterMs: number): void {
    const w = this.w;
    for (const s of parent.fs[f]!.out.values()) {
      this.flows.close(s);
      const c = s.to;
      w.after(afterMs, () => {
        if (c.alive && c.fs[f]!.inbound === s) {
          c.fs[f]!.inbound = null;
          this.act(c, c.node!.onEvent(w.now, { type: 'ParentLost', key: c.fs[f]!.key, refused: false }));
        }
      });
    }
    parent.fs[f]!.out.clear();
  }

  /** A board died: for file `f`, its parent notices after peerDeadMs, and so do its children. */
  crashed(b: Board, f: number): void {
    const w = this.w;
    const fs = b.fs[f]!;
    const inb = fs.inbound;
    if (inb) {
      this.flows.close(inb);
      const p = inb.from!;
      if (p.fs[f]!.out.get(b.id) === inb) p.fs[f]!.out.delete(b.id);
      w.after(w.c.peerDeadMs, () => {
        // Not if the board came back and this parent serves its new life already.
        if (p.alive && p.node && !p.fs[f]!.out.has(b.id)) this.act(p, p.node.onEvent(w.now, { type: 'ChildGone', key: fs.key, childId: b.id, complete: false }));
      });
    }
    this.dropChildren(b, f, w.c.peerDeadMs);
    // Nothing of this life may answer the next one (a restart).
    fs.inbound = null;
    fs.connecting = null;
  }

  /**
   * A rogue client opens a connection to `b` and sends StreamRequest{key of file f,
   * offset}; the board's answer lands in the returned probe after the LAN latency.
   */
  probe(b: Board, f: number, offset: number): Probe {
    const w = this.w;
    const id = ROGUE_BASE + this.probes.size;
    const p: Probe = { board: b.i, file: f, offset };
    this.probes.set(id, p);
    w.after(w.c.lat, () => {
      if (!b.alive || !b.node) return;
      const key = b.fs[f]!.key;
      this.act(b, b.node.onStreamRequest(w.now, encode({ type: 'StreamRequest', key, sender: id, offset })));
    });
    return p;
  }

  /** Records the answer to a rogue client; a served rogue hangs up at once. */
  private answerProbe(b: Board, f: number, childId: number, status: number): boolean {
    const p = this.probes.get(childId);
    if (!p) return false;
    p.status = status;
    if (status === STREAM_STATUS.OK) {
      const key = b.fs[f]!.key;
      this.w.after(this.w.c.lat, () => {
        if (b.alive && b.node) this.act(b, b.node.onEvent(this.w.now, { type: 'ChildGone', key, childId, complete: false }));
      });
    }
    return true;
  }
}
