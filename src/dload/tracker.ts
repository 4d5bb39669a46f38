// The root's view of its hierarchy: who hangs below whom. Placement is breadth
// first (the shallowest board with a free slot), so boards that join together form
// a complete binary tree; a board that moves takes its subtree with it.
//
// Reports are unauthenticated datagrams, so the tracker takes them at their word only
// as far as a lie costs little: a report must come from the address the member was
// first heard from; a BadParent counts only from the suspect's own child and only for
// a while; the tracker never holds more than MAX_MEMBERS; every report gets an answer
// but a Leaving (its sender is on its way out).
import type { Endpoint } from './types';

export const MAX_CHILDREN = 2;
/**
 * Most members one tracker keeps: the hosts of a /16 subnet. A new member past it
 * takes the place of the member heard least recently that has no children (that
 * one keeps its parent; the tracker only forgets it), so forged senders cannot grow
 * the root's memory without bound.
 */
export const MAX_MEMBERS = 65_536;
/** A BadParent's first verdict lasts this long (ms); each further one doubles it, at most 8x. */
export const BAD_PARENT_MS = 30_000;
/**
 * How long a member's word that it serves children who have not joined here holds
 * (ms). Children that follow another root never join: after this, the tracker counts
 * only the children it placed, and a refusal (BUSY) tells it otherwise.
 */
export const CLAIM_HOLD_MS = 2500;

interface TNode {
  readonly id: number;
  /** Where to send this member's ParentAssigned (its UDP source). */
  udp: Endpoint | null;
  /** Where its children connect (TCP). The root's is 0.0.0.0 = "the sender". */
  tcp: Endpoint;
  parent: TNode | null;
  children: TNode[];
  depth: number;
  /** A child caught a corrupt block from it: no new children until `badUntil`. */
  bad: boolean;
  badUntil: number;
  /** Verdicts against it so far (each one lasts twice as long as the one before). */
  strikes: number;
  /** Children the member says it serves (some may not have re-joined yet), as of `claimedAt` (ms). */
  claimed: number;
  claimedAt: number;
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

/** What the tracker refused to believe or had to forget (for tests, logs and the simulator). */
export interface TrackerCounters {
  /** Reports from another address than the member's first one (a forged sender). */
  wrongSource: number;
  /** BadParents from a board the tracker had not placed under the suspect. */
  disbelieved: number;
  /** Members forgotten to stay within MAX_MEMBERS. */
  evicted: number;
}

export interface TrackerOptions {
  /** How long a first BadParent verdict lasts, ms (default BAD_PARENT_MS). */
  badParentMs?: number;
  /** Most members kept (default MAX_MEMBERS). */
  maxMembers?: number;
  /** How long a member's claim of children not placed here holds, ms (default CLAIM_HOLD_MS). */
  claimHoldMs?: number;
}

export class Tracker {
  private readonly nodes = new Map<number, TNode>();
  /** Members by when they were last heard, oldest first (the root is not in it). */
  private readonly heard = new Map<number, TNode>();
  /** Boards with a free child slot, by depth; iterated in insertion order (deterministic). */
  private readonly free: Set<TNode>[] = [];
  /** Boards under a BadParent verdict (so that verdicts run out without a scan of every node). */
  private readonly suspects = new Set<TNode>();
  private readonly root: TNode;
  private readonly badParentMs: number;
  private readonly maxMembers: number;
  private readonly claimHoldMs: number;
  /** The time of the report being handled (ms). */
  private now = 0;
  /** Members forgotten because another reported them dead (see outstanding); at most maxMembers. */
  private readonly unaccounted = new Set<number>();
  readonly counters: TrackerCounters = { wrongSource: 0, disbelieved: 0, evicted: 0 };

  constructor(rootId: number, rootTcpPort: number, o: TrackerOptions = {}) {
    this.badParentMs = o.badParentMs ?? BAD_PARENT_MS;
    this.maxMembers = o.maxMembers ?? MAX_MEMBERS;
    this.claimHoldMs = o.claimHoldMs ?? CLAIM_HOLD_MS;
    this.root = { id: rootId, udp: null, tcp: { addr: '0.0.0.0', port: rootTcpPort }, parent: null, children: [], depth: 0, bad: false, badUntil: 0, strikes: 0, claimed: 0, claimedAt: 0, refusals: 0 };
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

  /**
   * The root's own children, as its session counts them: a board that became root
   * keeps the children it served as a member, which the tracker has not placed.
   */
  rootServes(children: number): void {
    if (this.root.claimed === children) return;
    this.root.claimed = children;
    this.updateFree(this.root);
  }

  /** True while a BadParent verdict against `id` runs (as of the last report handled). */
  isSuspect(id: number): boolean {
    return this.nodes.get(id)?.bad ?? false;
  }

  /** JoinRequest at `now` (ms): place the member (adopting its current parent if that one is known and has room). */
  join(now: number, id: number, udp: Endpoint, tcp: Endpoint, parentHint: number, children: number): Placement[] {
    if (id === this.root.id) return [];
    this.expire(now);
    const x = this.touch(id, udp, tcp, children);
    if (!x) return [];
    if (x.parent) return [this.placement(x)];
    const h = parentHint ? this.nodes.get(parentHint) : undefined;
    if (h && !h.bad && h.children.length < MAX_CHILDREN && this.reachable(h, x)) {
      this.link(x, h);
      return [this.placement(x)];
    }
    return this.place(x);
  }

  /** Orphaned: the member's parent died (or refused it). The dead parent's other children move too. */
  orphaned(now: number, id: number, udp: Endpoint, tcp: Endpoint, lost: number, refused: boolean, children: number): Placement[] {
    if (id === this.root.id) return [];
    this.expire(now);
    const x = this.touch(id, udp, tcp, children);
    if (!x) return [];
    const p = x.parent;
    if (p && p.id !== lost) return [this.placement(x)];
    if (!p) return this.place(x);
    if (refused && p !== this.root && ++p.refusals < 2) {
      // Most refusals are a race with a child we just moved away: try the same slot once more.
      return [this.placement(x)];
    }
    if (refused || p === this.root) {
      if (refused && p !== this.root) {
        p.claimed = MAX_CHILDREN;
        p.claimedAt = this.now;
      }
      this.unlink(x);
      this.updateFree(p);
      return this.place(x);
    }
    // Reported dead, not gone by its own word: it may only be frozen, and wake.
    if (this.unaccounted.size >= this.maxMembers) this.unaccounted.delete(this.unaccounted.values().next().value!);
    this.unaccounted.add(p.id);
    return this.remove(p);
  }

  /**
   * Leaving: the member is going away (it reboots into its new load, which it does
   * only once its children have the file). Handled as its death: the tracker forgets
   * it and places its children anew, so that no board that joins later is sent to an
   * address where nobody serves any more. Believed only from the member's own address.
   * Returns its children's new places (the root tells them nothing: see FileSession's
   * onReport); null when it is not a member here, or the report not from its address.
   */
  leave(now: number, id: number, udp: Endpoint): Placement[] | null {
    if (id === this.root.id) return null;
    this.expire(now);
    const x = this.nodes.get(id);
    if (!x) {
      // One reported dead that was not (a slow parent) goes by its own word after all.
      this.unaccounted.delete(id);
      return null;
    }
    if (x.udp && x.udp.addr !== udp.addr) {
      this.counters.wrongSource++;
      return null;
    }
    this.unaccounted.delete(id);
    return this.remove(x);
  }

  /**
   * Members this root should still wait for: those placed and not gone, and those
   * its members reported dead that never said Leaving (frozen, starved, or dead:
   * nobody can tell). Each forgotten again at its next report or once it leaves.
   */
  get outstanding(): number {
    return this.nodes.size - 1 + this.unaccounted.size;
  }

  /**
   * BadParent: `suspect` sent the member a corrupt block. Believed only when the
   * member is the suspect's child here; then the suspect loses every child and
   * becomes a leaf elsewhere, and takes no child until its verdict runs out
   * (badParentMs, doubled for each verdict before). Its children take its old slot,
   * so the tree gets no deeper. Against the root, only the reporter moves away.
   */
  badParent(now: number, id: number, udp: Endpoint, tcp: Endpoint, suspect: number, children: number): Placement[] {
    if (id === this.root.id) return [];
    this.expire(now);
    const x = this.touch(id, udp, tcp, children);
    if (!x) return [];
    const s = this.nodes.get(suspect);
    if (!s || x.parent !== s) {
      // Not the suspect's child here: a stale report (already moved) or a forged one.
      if (s) this.counters.disbelieved++;
      return x.parent ? [this.placement(x)] : this.place(x);
    }
    const first = !s.bad;
    this.convict(s, now);
    if (s === this.root) {
      // Its members' blocks all pass through it: the member leaves this root (its session
      // does), and meanwhile the root's own slots are not offered.
      this.unlink(x);
      return this.place(x);
    }
    const moved = [...s.children];
    for (const c of moved) if (c.parent) this.unlink(c);
    const out: Placement[] = [];
    if (first && s.parent) this.unlink(s);
    for (const c of moved) out.push(...this.place(c));
    if (first && s.udp) out.push(...this.place(s));
    return out;
  }

  private convict(s: TNode, now: number): void {
    s.strikes++;
    s.bad = true;
    s.badUntil = now + this.badParentMs * 2 ** Math.min(3, s.strikes - 1);
    this.suspects.add(s);
    this.updateFree(s);
  }

  /** Verdicts that ran out: the board may take children again. */
  private expire(now: number): void {
    this.now = now;
    for (const s of this.suspects) {
      if (s.badUntil > now) continue;
      s.bad = false;
      this.suspects.delete(s);
      this.updateFree(s);
    }
  }

  /** The member a report comes from; null if it comes from another address than the member's (forged). */
  private touch(id: number, udp: Endpoint, tcp: Endpoint, children: number): TNode | null {
    let x = this.nodes.get(id);
    if (!x) {
      this.unaccounted.delete(id);
      if (this.heard.size >= this.maxMembers) this.evictOne();
      x = { id, udp, tcp, parent: null, children: [], depth: 0, bad: false, badUntil: 0, strikes: 0, claimed: children, claimedAt: this.now, refusals: 0 };
      this.nodes.set(id, x);
      this.heard.set(id, x);
      return x;
    }
    if (x.udp && x.udp.addr !== udp.addr) {
      this.counters.wrongSource++;
      return null;
    }
    this.heard.delete(id);
    this.heard.set(id, x);
    x.udp = udp;
    x.tcp = tcp;
    x.claimed = children;
    x.claimedAt = this.now;
    this.updateFree(x);
    return x;
  }

  /** Forgets the member heard least recently that has no children (it keeps its parent, the tracker only forgets it). */
  private evictOne(): void {
    for (const n of this.heard.values()) {
      if (n.children.length > 0) continue;
      if (n.parent) this.unlink(n);
      this.forget(n);
      this.counters.evicted++;
      return;
    }
  }

  private forget(n: TNode): void {
    this.setFree(n, false);
    this.nodes.delete(n.id);
    this.heard.delete(n.id);
    this.suspects.delete(n);
  }

  private remove(dead: TNode): Placement[] {
    if (dead.parent) this.unlink(dead);
    this.forget(dead);
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

  /**
   * The shallowest board with a free slot; if only suspects have room, the shallowest
   * of them (an answer that may cost a corrupt block caught, never a wrong byte, beats
   * none); then the shallowest member whose claim of children not placed here is older
   * than claimHoldMs (they follow another root: a refusal would tell). With no room at
   * all no answer: the member asks again and is placed once some board has room, or
   * leaves this root after unansweredMs.
   */
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
    let best: TNode | null = null;
    for (const c of this.suspects) {
      if (Math.max(c.children.length, c.claimed) >= MAX_CHILDREN || (best && best.depth <= c.depth)) continue;
      if (c.parent === null && c !== this.root) continue;
      if (this.reachable(c, x)) best = c;
    }
    if (!best) {
      // The root knows its own children: only members' claims go stale.
      for (const c of this.nodes.values()) {
        if (c === this.root || c === x || c.bad || c.children.length >= MAX_CHILDREN || (best && best.depth <= c.depth)) continue;
        if (c.claimed > c.children.length && this.now - c.claimedAt < this.claimHoldMs) continue;
        if (this.reachable(c, x)) best = c;
      }
    }
    if (!best) return [];
    this.link(x, best);
    return [this.placement(x)];
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
