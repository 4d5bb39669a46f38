// The root's view of its hierarchy: who hangs below whom. Placement is breadth
// first (the shallowest board with a free slot), so boards that join together form
// a complete binary tree; a board that moves takes its subtree with it.
import type { Endpoint } from './types';

export const MAX_CHILDREN = 2;

interface TNode {
  readonly id: number;
  /** Where to send this member's ParentAssigned (its UDP source). */
  udp: Endpoint | null;
  /** Where its children connect (TCP). The root's is 0.0.0.0 = "the sender". */
  tcp: Endpoint;
  parent: TNode | null;
  children: TNode[];
  depth: number;
  /** Sent a corrupt block: never a parent again. */
  bad: boolean;
  /** Children the member says it serves (some may not have re-joined yet). */
  claimed: number;
  /** Times it refused a child the tracker sent it (a moved child may not have hung up yet). */
  refusals: number;
}

/** An answer to send: `target` shall fetch from `parentId`. */
export interface Placement {
  readonly target: number;
  readonly to: Endpoint;
  readonly parentId: number;
  readonly parent: Endpoint;
  readonly depth: number;
}

export class Tracker {
  private readonly nodes = new Map<number, TNode>();
  /** Boards with a free child slot, by depth; iterated in insertion order (deterministic). */
  private readonly free: Set<TNode>[] = [];
  private readonly root: TNode;

  constructor(rootId: number, rootTcpPort: number) {
    this.root = { id: rootId, udp: null, tcp: { addr: '0.0.0.0', port: rootTcpPort }, parent: null, children: [], depth: 0, bad: false, claimed: 0, refusals: 0 };
    this.nodes.set(rootId, this.root);
    this.updateFree(this.root);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Deepest placed member (root = 0). O(N); for reports, not for the hot path. */
  maxDepth(): number {
    let d = 0;
    for (const n of this.nodes.values()) if (n.parent || n === this.root) d = Math.max(d, n.depth);
    return d;
  }

  /** Every member but the root, in the order they were first heard (for the status query; copies, read-only). */
  *members(): IterableIterator<{ id: number; parentId: number; udp: Endpoint | null; depth: number; bad: boolean }> {
    for (const n of this.nodes.values()) if (n !== this.root) yield { id: n.id, parentId: n.parent?.id ?? 0, udp: n.udp, depth: n.depth, bad: n.bad };
  }

  /** Parent id of a member in the tracker's view (undefined: unknown or unplaced). */
  parentOf(id: number): number | undefined {
    return this.nodes.get(id)?.parent?.id;
  }

  /** JoinRequest: place the member (adopting its current parent if that one is known and has room). */
  join(id: number, udp: Endpoint, tcp: Endpoint, parentHint: number, children: number): Placement[] {
    if (id === this.root.id) return [];
    const x = this.touch(id, udp, tcp, children);
    if (x.parent) return [this.placement(x)];
    const h = parentHint ? this.nodes.get(parentHint) : undefined;
    if (h && !h.bad && h.children.length < MAX_CHILDREN && this.reachable(h, x)) {
      this.link(x, h);
      return [this.placement(x)];
    }
    return this.place(x);
  }

  /** Orphaned: the member's parent died (or refused it). The dead parent's other children move too. */
  orphaned(id: number, udp: Endpoint, tcp: Endpoint, lost: number, refused: boolean, children: number): Placement[] {
    if (id === this.root.id) return [];
    const x = this.touch(id, udp, tcp, children);
    const p = x.parent;
    if (p && p.id !== lost) return [this.placement(x)];
    if (!p) return this.place(x);
    if (refused && p !== this.root && ++p.refusals < 2) {
      // Most refusals are a race with a child we just moved away: try the same slot once more.
      return [this.placement(x)];
    }
    if (refused || p === this.root) {
      if (refused && p !== this.root) p.claimed = MAX_CHILDREN;
      this.unlink(x);
      this.updateFree(p);
      return this.place(x);
    }
    return this.remove(p);
  }

  /**
   * BadParent: `suspect` sent a corrupt block. It loses every child and becomes a
   * leaf elsewhere; its children take its old slot, so the tree gets no deeper.
   */
  badParent(id: number, udp: Endpoint, tcp: Endpoint, suspect: number, children: number): Placement[] {
    if (id === this.root.id) return [];
    const x = this.touch(id, udp, tcp, children);
    const s = this.nodes.get(suspect);
    if (!s || s === this.root) {
      // The root's bytes come from the origin; a corrupt block there is the origin's or the wire's fault.
      if (x.parent) this.unlink(x);
      return this.place(x);
    }
    if (x.parent && x.parent !== s) return [this.placement(x)]; // stale: already moved
    const first = !s.bad;
    s.bad = true;
    const moved = [...s.children];
    if (!moved.includes(x)) moved.push(x);
    for (const c of moved) if (c.parent) this.unlink(c);
    const out: Placement[] = [];
    if (first && s.parent) this.unlink(s);
    for (const c of moved) out.push(...this.place(c));
    if (first && s.udp) out.push(...this.place(s));
    return out;
  }

  private touch(id: number, udp: Endpoint, tcp: Endpoint, children: number): TNode {
    let x = this.nodes.get(id);
    if (!x) {
      x = { id, udp, tcp, parent: null, children: [], depth: 0, bad: false, claimed: children, refusals: 0 };
      this.nodes.set(id, x);
      return x;
    }
    x.udp = udp;
    x.tcp = tcp;
    x.claimed = children;
    this.updateFree(x);
    return x;
  }

  private remove(dead: TNode): Placement[] {
    if (dead.parent) this.unlink(dead);
    this.setFree(dead, false);
    this.nodes.delete(dead.id);
    const orphans = dead.children;
    dead.children = [];
    for (const c of orphans) {
      c.parent = null;
      this.setFree(c, false);
    }
    const out: Placement[] = [];
    for (const c of orphans) out.push(...this.place(c));
    return out;
  }

  private place(x: TNode): Placement[] {
    for (let d = 0; d < this.free.length; d++) {
      const set = this.free[d];
      if (!set) continue;
      for (const c of set) {
        if (!this.reachable(c, x)) continue;
        this.link(x, c);
        return [this.placement(x)];
      }
    }
    return [];
  }

  private placement(x: TNode): Placement {
    const p = x.parent!;
    return { target: x.id, to: x.udp!, parentId: p.id, parent: p.tcp, depth: x.depth };
  }

  /** True if `c` hangs from the root and not from `x` (placing x under c makes no loop). */
  private reachable(c: TNode, x: TNode): boolean {
    for (let n: TNode | null = c; n; n = n.parent) {
      if (n === x) return false;
      if (n === this.root) return true;
    }
    return false;
  }

  private link(x: TNode, p: TNode): void {
    if (x.parent) this.unlink(x);
    x.parent = p;
    p.children.push(x);
    this.updateFree(p);
    this.setDepth(x, p.depth + 1);
  }

  private unlink(x: TNode): void {
    const p = x.parent!;
    p.children.splice(p.children.indexOf(x), 1);
    x.parent = null;
    this.setFree(x, false);
    this.updateFree(p);
  }

  private setDepth(x: TNode, depth: number): void {
    const stack: Array<[TNode, number]> = [[x, depth]];
    while (stack.length) {
      const [n, d] = stack.pop()!;
      if (n.depth !== d) {
        this.setFree(n, false);
        n.depth = d;
      }
      this.updateFree(n);
      for (const c of n.children) stack.push([c, d + 1]);
    }
  }

  private updateFree(n: TNode): void {
    const placed = n === this.root || n.parent !== null;
    const cap = n.bad ? 0 : MAX_CHILDREN - Math.max(n.children.length, n.claimed);
    this.setFree(n, placed && cap > 0);
  }

  private setFree(n: TNode, on: boolean): void {
    let set = this.free[n.depth];
    if (on) {
      if (!set) set = this.free[n.depth] = new Set();
      set.add(n);
    } else set?.delete(n);
  }
}
