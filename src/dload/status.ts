// The status query (`pfs tree`): what a board answers about its part in one
// hierarchy. Pure and read-only: the reply is a function of the session and the
// time; nothing in a query reaches the session, so no query, however forged, can
// move a board, its tree or its election. The one state a query changes is the
// rate limiter's, which belongs to the node, not to any hierarchy.
import type { FileSession } from './session';
import { STATUS_ENTRIES, type StatusEntry, type StatusFailure, type StatusQuery, type StatusReply } from './wire';

/** What the node knows of a session beyond the session itself (kept by DLoadNode as actions go by). */
export interface SessionNotes {
  /** When (ms, the core's clock) it last became root; undefined: it is not root. */
  rootSince?: number;
  /** Why it gave the file up, if it did. */
  failure?: StatusFailure;
}

/**
 * The reply to `q` from the board that runs session `s`, at `now` (ms). A root lists
 * the page of its tracker that starts at `q.first` (at most STATUS_ENTRIES members).
 */
export function statusReply(s: FileSession, nodeId: number, model: string, notes: SessionNotes, q: StatusQuery, now: number): StatusReply {
  const root = s.role === 'root';
  const entries: StatusEntry[] = [];
  let members = 0;
  if (root && s.tracker) {
    for (const m of s.tracker.members()) {
      if (members >= q.first && entries.length < STATUS_ENTRIES) {
        entries.push({ id: m.id, parentId: m.parentId, addr: m.udp?.addr ?? '0.0.0.0', port: m.udp?.port ?? 0, depth: m.depth, bad: m.bad });
      }
      members++;
    }
  }
  return {
    type: 'StatusReply',
    key: s.key,
    sender: nodeId,
    nonce: q.nonce,
    role: s.role,
    complete: s.complete,
    depth: s.depth,
    children: Math.min(2, s.children.size),
    size: s.spec.size,
    held: s.heldBytes,
    parentId: s.parent?.id ?? 0,
    rootId: root ? nodeId : (s.root?.id ?? 0),
    rootAddr: !root && s.root ? s.root.udp.addr : '0.0.0.0',
    rootForMs: root && notes.rootSince !== undefined ? Math.max(0, now - notes.rootSince) : -1,
    failure: notes.failure ?? '',
    model,
    file: s.spec.name,
    members,
    first: Math.min(q.first, 0xffff),
    entries,
  };
}

/** Replies allowed per asking address: a burst, refilled at this rate per second. */
export const STATUS_PER_SENDER = 20;
/** Replies allowed per second from one board in all (forged source addresses share it). */
export const STATUS_PER_NODE = 50;
/** Askers remembered at once; beyond, the longest idle is forgotten. */
const SENDERS_KEPT = 64;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per asking address and one for the board: a reply is larger
 * than the query (up to about 1 KiB against 26 bytes), so an unlimited answer would
 * let anyone make a board flood a third party by forging the source address. Time
 * comes in as `now` (ms); the memory is bounded (SENDERS_KEPT askers).
 */
export class StatusLimiter {
  private readonly senders = new Map<string, Bucket>();
  private readonly all: Bucket = { tokens: STATUS_PER_NODE, at: -Infinity };

  constructor(
    private readonly perSender = STATUS_PER_SENDER,
    private readonly perNode = STATUS_PER_NODE,
  ) {
    this.all.tokens = perNode;
  }

  /** True, and counted, when a reply to `addr` may go out at `now`. */
  allow(now: number, addr: string): boolean {
    let b = this.senders.get(addr);
    if (b) this.senders.delete(addr); // re-inserted below: the map stays in order of last use
    else {
      b = { tokens: this.perSender, at: now };
      if (this.senders.size >= SENDERS_KEPT) this.senders.delete(this.senders.keys().next().value!);
    }
    this.senders.set(addr, b);
    refill(b, now, this.perSender);
    refill(this.all, now, this.perNode);
    if (b.tokens < 1 || this.all.tokens < 1) return false;
    b.tokens--;
    this.all.tokens--;
    return true;
  }
}

function refill(b: Bucket, now: number, perSecond: number): void {
  if (Number.isFinite(b.at)) b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) * perSecond) / 1000);
  b.at = now;
}
