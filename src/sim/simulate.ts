// Deterministic discrete-event simulator that drives the DLoad core (src/dload)
// over a virtual subnet: broadcast domain with latency and loss, TCP-like flows
// with shared LAN uplinks/downlinks, a WAN link to the TFTP origin, crashes and
// a corrupting peer. Blocks are indices; a corrupt block is a flag, not bytes.
import type { FleetSummary } from './summary';
import { DLoadNode } from '../dload/node';
import type { FileSession } from '../dload/session';
import type { HierKey } from '../dload/key';
import type { DLoadAction, Endpoint, Timers } from '../dload/types';
import type { Level } from '../log/level';
import { EventQueue } from './heap';
import { Rng } from './rng';

/** A scheduled crash. `who`: a board index, the current root of file 0 (model 0), or a board that is serving children. */
export interface CrashSpec {
  readonly atMs: number;
  readonly who: number | 'root' | 'parent';
}

export interface SimOptions {
  boards: number;
  /** Files in one model's firmware set (default 1). */
  files?: number;
  /** Total bytes of one model's firmware set, split evenly over the files (default 8 MiB). */
  fileBytes?: number;
  /** Block size the per-block hashes cover (default 64 KiB). */
  blockBytes?: number;
  seed?: number;
  /** Each board's LAN uplink and downlink, bytes/s (default 100 Mbit/s). */
  lanRate?: number;
  /** One-way LAN latency for datagrams and connection set-up, ms (default 0.5). */
  lanLatencyMs?: number;
  /** WAN rate between the origin and the site, bytes/s, shared by all origin flows (default 10 Mbit/s). */
  wanRate?: number;
  wanRttMs?: number;
  /** Probability that any one datagram delivery is lost (default 0). */
  loss?: number;
  /** A count of random crashes during the transfer, or explicit crashes. */
  crashes?: number | readonly CrashSpec[];
  /** Board indices whose forwarded blocks all arrive corrupt. */
  corrupt?: readonly number[];
  /** Phone models on the subnet; board i has model i % models (default 1). */
  models?: number;
  forward?: 'cut' | 'store';
  /** 'pfs' (default) or 'tftp': every board fetches every file from the origin itself. */
  mode?: 'pfs' | 'tftp';
  /** Random garbage / foreign-version datagrams broadcast during the first 3 s. */
  garbage?: number;
  /** The last `count` boards boot at `atMs` already holding `held` (0..1) of every file. */
  late?: { count: number; atMs: number; held?: number };
  /** Boards with odd and even index cannot exchange datagrams until this time (ms). */
  partitionUntilMs?: number;
  /** Boards boot at a random moment in [0, bootJitterMs) (default 10). */
  bootJitterMs?: number;
  /** How long a TCP peer takes to notice that the other end died (default 1500 ms). */
  peerDeadMs?: number;
  /** Stop after this much virtual time even if not done (default 3600 s). */
  maxSeconds?: number;
  timers?: Partial<Timers>;
  /** Every console line of every board (slow for big fleets). */
  onLog?: (board: number, tMs: number, level: Level, text: string) => void;
}

/** The simulator's summary: the fleet figures plus what only a simulation can count. */
export interface SimSummary extends FleetSummary {
  models: number;
  blockBytes: number;
  /** Per hierarchy (model-major, then file): boards that are root at the end. */
  rootsPerFile: number[];
  /** Per hierarchy: index of the board that is root at the end (-1: none). */
  rootBoards: number[];
  /** Per hierarchy: root terms that started (1 = no re-election). */
  rootTerms: number[];
  /** Per hierarchy: virtual ms when the first root confirmed. */
  electionMs: number[];
  crashed: number;
  datagramsSent: number;
  datagramsLost: number;
  datagramsDropped: number;
  corruptDetected: number;
  parentChanges: number;
  events: number;
  wallMs: number;
}

interface Stream {
  readonly from: Board | null;
  readonly to: Board;
  readonly f: number;
  cursor: number;
  busy: boolean;
  bytes: number;
  remaining: number;
  rate: number;
  t0: number;
  ver: number;
  closed: boolean;
}

interface FileState {
  key: HierKey;
  inbound: Stream | null;
  connecting: Board | null;
  origin: Stream | null;
  /** When the origin transfer was prepared (PrepareOrigin), if it was. */
  preparedAt?: number;
  readonly out: Map<number, Stream>;
  released: number;
  done: boolean;
}

interface Board {
  readonly i: number;
  readonly id: number;
  readonly ep: Endpoint;
  readonly model: number;
  readonly rng: Rng;
  node: DLoadNode | null;
  alive: boolean;
  readonly corrupt: boolean;
  timerAt: number;
  fs: FileState[];
  readonly keyIndex: Map<HierKey, number>;
  readonly outActive: Set<Stream>;
  readonly inActive: Set<Stream>;
}

const MODEL_NAMES = ['CP-7961G', 'CP-7941G', 'CP-7971G', 'CP-7911G', 'CP-7962G', 'CP-7942G', 'CP-7965G', 'CP-7975G'];

export function simulate(o: SimOptions): SimSummary {
  const wall0 = performance.now();
  const n = o.boards;
  const files = o.files ?? 1;
  const models = o.models ?? 1;
  const fileBytes = o.fileBytes ?? 8 * 1024 * 1024;
  const blockBytes = o.blockBytes ?? 64 * 1024;
  const lanRate = o.lanRate ?? 100e6 / 8;
  const wanRate = o.wanRate ?? 10e6 / 8;
  const wanRttMs = o.wanRttMs ?? 150;
  const lat = o.lanLatencyMs ?? 0.5;
  const loss = o.loss ?? 0;
  const forward = o.forward ?? 'cut';
  const mode = o.mode ?? 'pfs';
  const peerDeadMs = o.peerDeadMs ?? 1500;
  const maxMs = (o.maxSeconds ?? 3600) * 1000;
  const rng = new Rng(o.seed ?? 1);
  const q = new EventQueue();
  let now = 0;
  let events = 0;

  // File sizes: the set split evenly, whole blocks, the last file takes the rest.
  const per = Math.max(blockBytes, Math.floor(fileBytes / files / blockBytes) * blockBytes);
  const sizes = Array.from({ length: files }, (_, f) => (f < files - 1 ? per : Math.max(1, fileBytes - per * (files - 1))));
  const names = sizes.map((_, f) => `/dnld/SIM${f}.9-4-2SR2-2S.loads`);
  const totals = sizes.map((s) => Math.ceil(s / blockBytes));
  const blockLen = (f: number, i: number) => Math.min(blockBytes, sizes[f]! - i * blockBytes);

  const stats = { sent: 0, lost: 0, corrupt: 0, originBytes: 0, maxDepth: 0, crashed: 0, badDelivery: 0 };
  const electionMs: number[] = Array(models * files).fill(-1);
  let remaining = 0;
  let finishedAt = -1;
  const wanActive = new Set<Stream>();

  const boards: Board[] = [];
  const byAddr = new Map<string, Board>();
  const byId = new Map<number, Board>();
  const corruptSet = new Set(o.corrupt ?? []);
  for (let i = 0; i < n; i++) {
    const k = i + 1;
    const b: Board = {
      i, id: (0x08002700 + i) >>> 0, ep: { addr: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, port: 4051 },
      model: i % models, rng: rng.fork(), node: null, alive: true, corrupt: corruptSet.has(i), timerAt: Infinity,
      fs: [], keyIndex: new Map(), outActive: new Set(), inActive: new Set(),
    };
    boards.push(b);
    byAddr.set(b.ep.addr, b);
    byId.set(b.id, b);
  }

  const late = o.late;
  const lateFrom = late ? n - late.count : n;
  for (const b of boards) {
    const at = b.i >= lateFrom ? late!.atMs : b.rng.next() * (o.bootJitterMs ?? 10);
    q.push(at, () => boot(b));
  }
  remaining = n * files;

  // ---- crashes and garbage ---------------------------------------------------------
  const limitMs = ((models * fileBytes) / wanRate) * 1000 + wanRttMs;
  const crashes: CrashSpec[] = typeof o.crashes === 'number'
    ? Array.from({ length: o.crashes }, () => ({ atMs: 1000 + rng.next() * limitMs, who: rng.int(n) }))
    : [...(o.crashes ?? [])];
  for (const c of crashes) q.push(c.atMs, () => crash(pickCrash(c.who)));
  for (let g = 0; g < (o.garbage ?? 0); g++) {
    const len = rng.int(60);
    const bytes = Buffer.alloc(len);
    for (let j = 0; j < len; j++) bytes[j] = rng.int(256);
    if (g % 3 === 0 && len >= 5) bytes.write('PFS', 0, 'latin1'); // right magic, likely foreign version or type
    const from = boards[rng.int(n)]!;
    q.push(rng.next() * 3000, () => broadcast(from, bytes, true));
  }

  function pickCrash(who: CrashSpec['who']): Board | undefined {
    if (typeof who === 'number') return boards[who];
    for (const b of boards) {
      if (!b.alive || !b.node) continue;
      const s = b.node.session(b.fs[0]!.key)!;
      if (who === 'root' && s.role === 'root' && b.model === 0) return b;
      if (who === 'parent' && s.role === 'member' && b.fs[0]!.out.size > 0 && !s.complete) return b;
    }
    return undefined;
  }

  // ---- boards ----------------------------------------------------------------------
  function boot(b: Board): void {
    if (!b.alive) return;
    const model = MODEL_NAMES[b.model % MODEL_NAMES.length]! + (b.model >= MODEL_NAMES.length ? `-${b.model}` : '');
    const held = b.i >= lateFrom ? late!.held ?? 0 : 0;
    if (mode === 'tftp') {
      b.fs = sizes.map(() => newFileState('', 0));
      sizes.forEach((_, f) => startOrigin(b, f, 0, 0));
      return;
    }
    const node = new DLoadNode({
      nodeId: b.id, model, tcpPort: 4051, addr: b.ep.addr, forward, random: () => b.rng.next(), timers: o.timers,
    });
    b.node = node;
    const acts: DLoadAction[] = [];
    sizes.forEach((size, f) => {
      const verifiedBlocks = Math.floor(totals[f]! * held);
      const r = node.addFile(now, { name: names[f]!, size, blockBytes, verifiedBlocks });
      b.fs.push(newFileState(r.key, 0));
      b.keyIndex.set(r.key, f);
      acts.push(...r.actions);
    });
    perform(b, acts);
  }

  function newFileState(key: HierKey, released: number): FileState {
    return { key, inbound: null, connecting: null, origin: null, out: new Map(), released, done: false };
  }

  function schedTimer(b: Board): void {
    if (!b.node || !b.alive) return;
    const d = Math.max(now, b.node.nextDeadline());
    if (d >= b.timerAt || d === Infinity) return;
    b.timerAt = d;
    q.push(d, () => {
      if (!b.alive || b.timerAt !== d) return;
      b.timerAt = Infinity;
      perform(b, b.node!.tick(now));
    });
  }

  function perform(b: Board, acts: DLoadAction[]): void {
    for (const a of acts) {
      if (!b.alive) return;
      switch (a.type) {
        case 'Log':
          o.onLog?.(b.i, now, a.level, a.text);
          break;
        case 'SendBroadcast': {
          const bytes = a.bytes;
          q.push(now + lat, () => broadcast(b, bytes, false));
          break;
        }
        case 'SendUnicast': {
          stats.sent++;
          const to = byAddr.get(a.to.addr);
          if (!to || (loss > 0 && b.rng.next() < loss) || partitioned(b, to)) {
            stats.lost++;
            break;
          }
          const bytes = a.bytes;
          q.push(now + lat, () => deliver(b, to, bytes));
          break;
        }
        case 'ConnectParent': connect(b, b.keyIndex.get(a.key)!, a.parent, a.fromOffset, a.depth); break;
        case 'DisconnectParent': disconnectParent(b, b.keyIndex.get(a.key)!); break;
        case 'PrepareOrigin':
          b.fs[b.keyIndex.get(a.key)!]!.preparedAt = now;
          break;
        case 'FetchOrigin': {
          const f = b.keyIndex.get(a.key)!;
          const h = b.model * files + f;
          if (electionMs[h]! < 0) electionMs[h] = now;
          // TFTP: request + option ack, then ACK 0 + first data: two round trips,
          // one if the transfer was prepared at least a round trip ago.
          const prepared = b.fs[f]!.preparedAt;
          const ready = prepared !== undefined && now - prepared >= wanRttMs;
          b.fs[f]!.preparedAt = undefined;
          startOrigin(b, f, a.fromOffset / blockBytes, ready ? wanRttMs : 2 * wanRttMs);
          break;
        }
        case 'StopOrigin': {
          const fs = b.fs[b.keyIndex.get(a.key)!]!;
          if (fs.origin) closeStream(fs.origin);
          fs.origin = null;
          fs.preparedAt = undefined;
          break;
        }
        case 'ServeChild': serve(b, b.keyIndex.get(a.key)!, a.childId, a.fromOffset); break;
        case 'RejectChild': {
          const child = byId.get(a.childId);
          const f = b.keyIndex.get(a.key);
          if (!child || f === undefined) break;
          q.push(now + lat, () => {
            if (child.alive && child.fs[f]!.connecting === b) {
              child.fs[f]!.connecting = null;
              perform(child, child.node!.onEvent(now, { type: 'ParentLost', key: a.key, refused: true }));
            }
          });
          break;
        }
        case 'Release': {
          const fs = b.fs[b.keyIndex.get(a.key)!]!;
          fs.released = a.blocks;
          for (const s of fs.out.values()) pump(s);
          break;
        }
        case 'FileComplete': fileDone(b, b.keyIndex.get(a.key)!); break;
        case 'MayLeave': break;
      }
    }
    schedTimer(b);
  }

  function fileDone(b: Board, f: number): void {
    const fs = b.fs[f]!;
    if (fs.done) return;
    fs.done = true;
    remaining--;
    if (remaining === 0) finishedAt = now;
  }

  function partitioned(a: Board, b: Board): boolean {
    return o.partitionUntilMs !== undefined && now < o.partitionUntilMs && (a.i & 1) !== (b.i & 1);
  }

  function broadcast(from: Board, bytes: Buffer, garbage: boolean): void {
    if (!from.alive && !garbage) return;
    stats.sent++;
    for (const to of boards) {
      if (to === from || !to.alive || !to.node) continue;
      if ((loss > 0 && to.rng.next() < loss) || partitioned(from, to)) {
        stats.lost++;
        continue;
      }
      perform(to, to.node.onDatagram(now, from.ep, bytes));
    }
  }

  function deliver(from: Board, to: Board, bytes: Buffer): void {
    if (!to.alive || !to.node) return;
    perform(to, to.node.onDatagram(now, from.ep, bytes));
  }

  // ---- TCP-like streams ------------------------------------------------------------
  function connect(child: Board, f: number, ep: Endpoint, fromOffset: number, depth: number): void {
    disconnectParent(child, f);
    stats.maxDepth = Math.max(stats.maxDepth, depth);
    const parent = byAddr.get(ep.addr);
    const fs = child.fs[f]!;
    if (!parent) return;
    fs.connecting = parent;
    const fail = () => {
      if (child.alive && fs.connecting === parent) {
        fs.connecting = null;
        perform(child, child.node!.onEvent(now, { type: 'ParentLost', key: fs.key, refused: false }));
      }
    };
    if (!parent.alive) {
      q.push(now + peerDeadMs, fail);
      return;
    }
    q.push(now + lat, () => {
      if (!child.alive || fs.connecting !== parent) return;
      if (!parent.alive || !parent.node) return void q.push(now + peerDeadMs, fail);
      const pk = parent.fs[f]?.key;
      if (pk !== fs.key) return void q.push(now + lat, fail);
      perform(parent, parent.node.onEvent(now, { type: 'ChildConnected', key: pk, childId: child.id, fromOffset }));
    });
  }

  function serve(parent: Board, f: number, childId: number, fromOffset: number): void {
    const child = byId.get(childId)!;
    const cfs = child.fs[f]!;
    const pfs = parent.fs[f]!;
    if (!child.alive || cfs.connecting !== parent) {
      perform(parent, parent.node!.onEvent(now, { type: 'ChildGone', key: pfs.key, childId, complete: false }));
      return;
    }
    cfs.connecting = null;
    const old = pfs.out.get(childId);
    if (old) closeStream(old);
    const s = newStream(parent, child, f, fromOffset / blockBytes);
    cfs.inbound = s;
    pfs.out.set(childId, s);
    pump(s);
  }

  function newStream(from: Board | null, to: Board, f: number, cursor: number): Stream {
    return { from, to, f, cursor, busy: false, bytes: 0, remaining: 0, rate: 0, t0: now, ver: 0, closed: false };
  }

  function startOrigin(b: Board, f: number, fromBlock: number, delay: number): void {
    const fs = b.fs[f]!;
    if (fs.origin) closeStream(fs.origin);
    const s = newStream(null, b, f, fromBlock);
    fs.origin = s;
    q.push(now + delay, () => pump(s));
  }

  function disconnectParent(child: Board, f: number): void {
    const fs = child.fs[f]!;
    fs.connecting = null;
    const s = fs.inbound;
    if (!s) return;
    fs.inbound = null;
    closeStream(s);
    const p = s.from!;
    if (p.fs[f]!.out.get(child.id) === s) p.fs[f]!.out.delete(child.id);
    const done = s.cursor >= totals[f]!;
    q.push(now + lat, () => {
      if (p.alive && p.node) perform(p, p.node.onEvent(now, { type: 'ChildGone', key: p.fs[f]!.key, childId: child.id, complete: done }));
    });
  }

  function pump(s: Stream): void {
    if (s.closed || s.busy) return;
    const total = totals[s.f]!;
    const limit = s.from ? s.from.fs[s.f]!.released : total;
    if (s.cursor >= limit || s.cursor >= total) return;
    s.busy = true;
    s.bytes = s.remaining = blockLen(s.f, s.cursor);
    s.t0 = now;
    s.rate = 0;
    if (s.from) s.from.outActive.add(s);
    else wanActive.add(s);
    s.to.inActive.add(s);
    reflowAround(s);
  }

  function shareOf(s: Stream): number {
    const up = s.from ? lanRate / s.from.outActive.size : wanRate / wanActive.size;
    return Math.min(up, lanRate / s.to.inActive.size);
  }

  function reflow(s: Stream): void {
    if (!s.busy) return;
    s.remaining -= ((now - s.t0) * s.rate) / 1000;
    if (s.remaining < 0) s.remaining = 0;
    s.t0 = now;
    s.rate = shareOf(s);
    const ver = ++s.ver;
    q.push(now + (s.remaining / s.rate) * 1000, () => {
      if (s.ver === ver && !s.closed) blockArrived(s);
    });
  }

  function reflowAround(s: Stream): void {
    for (const x of s.from ? s.from.outActive : wanActive) reflow(x);
    for (const x of s.to.inActive) if (!(s.from ? s.from.outActive.has(x) : wanActive.has(x))) reflow(x);
  }

  function endTransfer(s: Stream): void {
    s.busy = false;
    s.ver++;
    if (s.from) s.from.outActive.delete(s);
    else wanActive.delete(s);
    s.to.inActive.delete(s);
    const others = [...(s.from ? s.from.outActive : wanActive), ...s.to.inActive];
    for (const x of others) reflow(x);
  }

  function closeStream(s: Stream): void {
    if (s.closed) return;
    if (s.busy) {
      if (!s.from) stats.originBytes += Math.round(s.bytes - (s.remaining - ((now - s.t0) * s.rate) / 1000));
      endTransfer(s);
    }
    s.closed = true;
  }

  function blockArrived(s: Stream): void {
    const index = s.cursor;
    const len = s.bytes;
    endTransfer(s);
    if (!s.from) stats.originBytes += len;
    s.cursor++;
    const b = s.to;
    const fs = b.fs[s.f]!;
    if (!b.node) {
      // tftp mode: no engine, the board just counts blocks.
      if (s.cursor >= totals[s.f]!) {
        s.closed = true;
        fileDone(b, s.f);
      } else pump(s);
      return;
    }
    if (s.from?.corrupt) {
      stats.corrupt++;
      perform(b, b.node.onEvent(now, { type: 'BlockCorrupt', key: fs.key, index }));
    } else {
      if (s.from && s.from.node!.session(fs.key)!.verified <= index) stats.badDelivery++;
      perform(b, b.node.onEvent(now, { type: 'BlockVerified', key: fs.key, index }));
    }
    if (s.closed) return;
    if (s.cursor >= totals[s.f]!) {
      // Everything sent: the parent's side of the connection ends.
      if (s.from) {
        disconnectParent(b, s.f);
      } else {
        s.closed = true;
        if (fs.origin === s) fs.origin = null;
      }
      return;
    }
    pump(s);
  }

  // ---- crashes ---------------------------------------------------------------------
  function crash(b: Board | undefined): void {
    if (!b || !b.alive) return;
    b.alive = false;
    stats.crashed++;
    o.onLog?.(b.i, now, 'ERR', `*** crash ${b.ep.addr}`);
    for (let f = 0; f < b.fs.length; f++) {
      const fs = b.fs[f]!;
      if (!fs.done) remaining--;
      if (fs.origin) closeStream(fs.origin);
      const inb = fs.inbound;
      if (inb) {
        closeStream(inb);
        const p = inb.from!;
        if (p.fs[f]!.out.get(b.id) === inb) p.fs[f]!.out.delete(b.id);
        q.push(now + peerDeadMs, () => {
          if (p.alive && p.node) perform(p, p.node.onEvent(now, { type: 'ChildGone', key: fs.key, childId: b.id, complete: false }));
        });
      }
      for (const s of fs.out.values()) {
        closeStream(s);
        const c = s.to;
        q.push(now + peerDeadMs, () => {
          if (c.alive && c.fs[f]!.inbound === s) {
            c.fs[f]!.inbound = null;
            perform(c, c.node!.onEvent(now, { type: 'ParentLost', key: c.fs[f]!.key, refused: false }));
          }
        });
      }
      fs.out.clear();
    }
    if (remaining === 0 && finishedAt < 0) finishedAt = now;
  }

  // ---- run -------------------------------------------------------------------------
  for (;;) {
    const e = q.pop();
    if (!e || e.t > maxMs) break;
    now = e.t;
    events++;
    e.run();
    if (finishedAt >= 0 && remaining === 0) break;
  }

  // ---- summary ---------------------------------------------------------------------
  const rootsPerFile = Array(models * files).fill(0);
  const rootTerms = Array(models * files).fill(0);
  const rootBoards: number[] = Array(models * files).fill(-1);
  let maxChildren = 0;
  let dropped = 0;
  let parentChanges = 0;
  let allVerified = finishedAt >= 0 && stats.badDelivery === 0;
  for (const b of boards) {
    if (b.alive && b.fs.some((fs) => !fs.done)) allVerified = false;
    if (!b.node) continue;
    const c = b.node.counters;
    dropped += c.droppedMalformed + c.droppedVersion + c.droppedForeignKey;
    b.fs.forEach((fs, f) => {
      const s: FileSession = b.node!.session(fs.key)!;
      const h = b.model * files + f;
      if (b.alive && s.role === 'root') {
        rootsPerFile[h]++;
        rootBoards[h] = b.i;
      }
      rootTerms[h] += s.stats.rootTerms;
      maxChildren = Math.max(maxChildren, s.stats.maxChildren);
      parentChanges += s.stats.parentChanges;
    });
  }
  return {
    boards: n, mode, forward, files, models, fileBytes, blockBytes,
    originBytes: stats.originBytes,
    fleetSeconds: finishedAt >= 0 ? finishedAt / 1000 : Infinity,
    limitSeconds: limitMs / 1000,
    allVerified,
    maxDepth: stats.maxDepth,
    maxChildren,
    rootsPerFile: mode === 'tftp' ? [] : rootsPerFile,
    rootBoards: mode === 'tftp' ? [] : rootBoards,
    rootTerms: mode === 'tftp' ? [] : rootTerms,
    electionMs,
    crashed: stats.crashed,
    datagramsSent: stats.sent,
    datagramsLost: stats.lost,
    datagramsDropped: dropped,
    corruptDetected: stats.corrupt,
    parentChanges,
    events,
    wallMs: Math.round(performance.now() - wall0),
  };
}
