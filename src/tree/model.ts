// What `pfs tree` knows of the subnet, built from what it hears: root adverts and
// the boards' answers to its status queries. Pure: datagrams and the time (epoch
// ms) come in, snapshots go out; the socket side is watch.ts.
import { xid, type HierKey, type RootAdvert, type StatusFailure, type StatusReply, type StatusRole } from '../dload/index';

/** A board's state in one hierarchy, as the tree view shows it. */
export type BoardState = 'electing' | 'downloading' | 'complete' | 'serving' | 'orphaned' | 'stuck' | 'failed' | 'silent';

/** One board of one hierarchy. Ids are XIDs as the console prints them (`XID080027F8`). */
export interface TreeBoard {
  id: string;
  addr: string;
  role: StatusRole;
  state: BoardState;
  /** Its parent as the board itself says (its own log's `parent … at` line); null: none. */
  parent: string | null;
  depth: number;
  /** Boards that name it as their parent, in id order. */
  children: string[];
  /** Verified bytes, and the rate they grew at over the last few seconds (bytes/s). */
  held: number;
  rate: number;
  /** Why it gave the file up (failed only). */
  failure?: StatusFailure;
}

/** One hierarchy (model, file) as `pfs tree` shows it. */
export interface TreeHierarchy {
  key: HierKey;
  model: string;
  file: string;
  size: number;
  /** null while the boards are still electing. */
  root: { id: string; addr: string; /** Epoch ms of its HROOT line; null when not known. */ hrootAt: number | null } | null;
  /** Every board heard of in it, root first, then by depth and id. */
  boards: TreeBoard[];
}

export interface TreeSnapshot {
  /** Epoch ms. */
  at: number;
  hierarchies: TreeHierarchy[];
}

interface Sample {
  at: number;
  held: number;
}

interface Seen {
  id: number;
  addr: string;
  port: number;
  reply?: StatusReply;
  repliedAt: number;
  /** When its verified bytes last grew. */
  movedAt: number;
  samples: Sample[];
  /** From a root's tracker when the board itself has not answered yet. */
  trackerParent?: number;
  trackerDepth?: number;
}

interface Hier {
  key: HierKey;
  model: string;
  file: string;
  size: number;
  root?: { id: number; addr: string; port: number; heardAt: number; hrootAt: number | null };
  claimants: Map<number, number>;
  boards: Map<number, Seen>;
}

/** How long without an answer before a board counts as silent, and without progress as stuck (ms). */
export const SILENT_MS = 3000;
export const STUCK_MS = 5000;
/** A hierarchy nothing was heard of for this long is gone from the view (its boards rebooted or left). */
export const GONE_MS = 30_000;
/** The window rates are measured over (ms). */
const RATE_MS = 3000;

/** The subnet's hierarchies as heard so far. */
export class TreeModel {
  private readonly hiers = new Map<HierKey, Hier>();

  /** A ClaimRoot or ConfirmedRoot heard on the advert port, from `from`. */
  advert(now: number, from: { addr: string; port: number }, m: RootAdvert): void {
    const h = this.hier(m.key);
    if (m.type === 'ClaimRoot') {
      h.claimants.set(m.sender, now);
      return;
    }
    h.claimants.clear();
    if (h.root?.id !== m.sender) h.root = { id: m.sender, addr: from.addr, port: from.port, heardAt: now, hrootAt: null };
    else h.root.heardAt = now;
    this.board(h, m.sender, from.addr, from.port);
  }

  /** A board's answer to a status query, from `from`. */
  reply(now: number, from: { addr: string; port: number }, r: StatusReply): void {
    const h = this.hier(r.key);
    if (r.model) h.model = r.model;
    if (r.file) h.file = r.file;
    h.size = r.size;
    const b = this.board(h, r.sender, from.addr, from.port);
    b.reply = r;
    b.repliedAt = now;
    const last = b.samples[b.samples.length - 1];
    if (!last || r.held > last.held) b.movedAt = now;
    b.samples.push({ at: now, held: r.held });
    while (b.samples.length > 2 && b.samples[0]!.at < now - RATE_MS) b.samples.shift();
    if (r.role === 'root') {
      if (h.root?.id !== r.sender) h.root = { id: r.sender, addr: from.addr, port: from.port, heardAt: now, hrootAt: null };
      // The first answer fixes it: later ones differ only by the network's jitter.
      if (r.rootForMs >= 0 && h.root.hrootAt === null) h.root.hrootAt = now - r.rootForMs;
      for (const e of r.entries) {
        const m = this.board(h, e.id, e.addr, e.port);
        m.trackerParent = e.parentId;
        m.trackerDepth = e.depth;
      }
    }
  }

  /** Roots whose tracker lists more members than their first reply carried: ask for these pages next. */
  pages(): { key: HierKey; addr: string; port: number; first: number }[] {
    const out: { key: HierKey; addr: string; port: number; first: number }[] = [];
    for (const h of this.hiers.values()) {
      const r = h.root && h.boards.get(h.root.id)?.reply;
      if (!h.root || !r || r.role !== 'root') continue;
      for (let first = r.first + r.entries.length; first < r.members; first += Math.max(1, r.entries.length)) out.push({ key: h.key, addr: h.root.addr, port: h.root.port, first });
    }
    return out;
  }

  snapshot(now: number): TreeSnapshot {
    const hierarchies: TreeHierarchy[] = [];
    for (const h of this.hiers.values()) {
      if (!h.file && !h.root) continue; // only claims heard, nothing known of it yet
      const last = Math.max(h.root?.heardAt ?? -Infinity, ...[...h.boards.values()].map((b) => b.repliedAt));
      if (now - last > GONE_MS) continue;
      const seen = [...h.boards.values()];
      const boards = seen.map((b) => this.view(h, b, now));
      const byId = new Map(boards.map((b) => [b.id, b]));
      for (const b of boards) if (b.parent) byId.get(b.parent)?.children.push(b.id);
      for (const b of boards) b.children.sort();
      // Serving: complete, with children, and still answering (one that rebooted serves nobody).
      boards.forEach((b, i) => {
        if (b.state === 'complete' && b.children.length > 0 && now - seen[i]!.repliedAt <= SILENT_MS) b.state = 'serving';
      });
      const rootId = h.root ? xid(h.root.id) : null;
      boards.sort((a, b) => (a.id === rootId ? -1 : b.id === rootId ? 1 : a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
      hierarchies.push({
        key: h.key,
        model: h.model,
        file: h.file,
        size: h.size,
        root: h.root ? { id: xid(h.root.id), addr: h.root.addr, hrootAt: h.root.hrootAt === null ? null : Math.round(h.root.hrootAt) } : null,
        boards,
      });
    }
    hierarchies.sort((a, b) => a.model.localeCompare(b.model) || a.file.localeCompare(b.file) || a.key.localeCompare(b.key));
    return { at: now, hierarchies };
  }

  private view(h: Hier, b: Seen, now: number): TreeBoard {
    const r = b.reply;
    const isRoot = h.root?.id === b.id;
    // A board that completed has hung up on its parent; the root's tracker still says where it hangs.
    const parent = (r?.parentId || b.trackerParent) ?? 0;
    const first = b.samples[0];
    const last = b.samples[b.samples.length - 1];
    const rate = first && last && last.at > first.at ? ((last.held - first.held) * 1000) / (last.at - first.at) : 0;
    return {
      id: xid(b.id),
      addr: b.addr,
      role: r?.role ?? (isRoot ? 'root' : 'member'),
      state: stateOf(r, now - b.repliedAt, now - b.movedAt),
      parent: parent && !isRoot ? xid(parent) : null,
      depth: r ? r.depth : isRoot ? 0 : (b.trackerDepth ?? 0),
      children: [],
      held: r?.held ?? 0,
      rate: Math.max(0, Math.round(rate)),
      ...(r?.failure ? { failure: r.failure } : {}),
    };
  }

  private hier(key: HierKey): Hier {
    let h = this.hiers.get(key);
    if (!h) this.hiers.set(key, (h = { key, model: '', file: '', size: 0, claimants: new Map(), boards: new Map() }));
    return h;
  }

  private board(h: Hier, id: number, addr: string, port: number): Seen {
    let b = h.boards.get(id);
    if (!b) h.boards.set(id, (b = { id, addr, port, repliedAt: -Infinity, movedAt: -Infinity, samples: [] }));
    if (addr !== '0.0.0.0') {
      b.addr = addr;
      b.port = port;
    }
    return b;
  }
}

function stateOf(r: StatusReply | undefined, sinceReply: number, sinceMoved: number): BoardState {
  if (!r) return 'silent';
  // Quiet after it had the whole file: it rebooted into its new load (and told its root
  // so, Leaving). Done, not lost: at the end of an upgrade every board goes quiet.
  if (r.complete) return 'complete';
  if (sinceReply > SILENT_MS) return 'silent';
  if (r.role === 'failed') return 'failed';
  if (r.complete) return 'complete';
  if (r.role === 'listening' || r.role === 'claiming' || r.role === 'waiting') return 'electing';
  if (r.role === 'member' && !r.parentId) return 'orphaned';
  if (sinceMoved > STUCK_MS) return 'stuck';
  return 'downloading';
}
