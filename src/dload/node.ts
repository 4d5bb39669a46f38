import { hierarchyKey, type HierKey } from './key';
import { FileSession } from './session';
import { ANY_KEY, decode, encode, STATUS_FAILURES, STREAM_STATUS, type StatusFailure, type StatusQuery } from './wire';
import { StatusLimiter, statusReply, type SessionNotes } from './status';
import { electionTimers, type DLoadAction, type DLoadEvent, type Endpoint, type FileSpec, type NodeConfig, type Timers } from './types';

/** Datagram counters; `dropped*` are datagrams the engine refused to act on. */
export interface NodeCounters {
  datagrams: number;
  droppedMalformed: number;
  droppedVersion: number;
  droppedForeignKey: number;
  /** Status queries answered, and those refused by the rate limit. */
  statusReplies: number;
  statusLimited: number;
}

/**
 * The DLoad engine of one board: one FileSession per (model, file) it wants.
 * Sans-IO: the shell feeds datagrams, stream headers, block results and time,
 * and carries out the returned actions in order. Call tick(now) whenever
 * now >= nextDeadline().
 */
export class DLoadNode {
  readonly sessions = new Map<HierKey, FileSession>();
  readonly counters: NodeCounters = { datagrams: 0, droppedMalformed: 0, droppedVersion: 0, droppedForeignKey: 0, statusReplies: 0, statusLimited: 0 };
  private readonly timers: Timers;
  /** Per session, what the status query reports beyond the session: since when root, why given up. */
  private readonly notes = new Map<HierKey, SessionNotes>();
  private readonly limiter = new StatusLimiter();

  constructor(readonly cfg: NodeConfig) {
    this.timers = { ...electionTimers(cfg.election), ...cfg.timers };
  }

  /** Start taking part in the hierarchy of `spec` for this board's model. Returns the key and first actions. */
  addFile(now: number, spec: FileSpec): { key: HierKey; actions: DLoadAction[] } {
    const key = hierarchyKey(this.cfg.model, spec.name);
    const out: DLoadAction[] = [];
    if (!this.sessions.has(key)) {
      const s = new FileSession(key, spec, this.cfg, this.timers, now, out);
      this.sessions.set(key, s);
      this.note(now, s, out);
    }
    return { key, actions: out };
  }

  session(key: HierKey): FileSession | undefined {
    return this.sessions.get(key);
  }

  /** A UDP datagram on the peer port, from `from` (its source address and port). */
  onDatagram(now: number, from: Endpoint, bytes: Uint8Array): DLoadAction[] {
    this.counters.datagrams++;
    const m = decode(bytes);
    if (m.type === 'Malformed') {
      if (m.reason === 'version') this.counters.droppedVersion++;
      else this.counters.droppedMalformed++;
      return [];
    }
    // A StatusReply is for whoever asked (pfs tree); a board acts on none.
    if (m.type === 'StreamRequest' || m.type === 'StreamResponse' || m.type === 'StatusReply') {
      this.counters.droppedMalformed++;
      return [];
    }
    if (m.type === 'StatusQuery' && m.key === ANY_KEY) return this.answerStatus(now, from, m, [...this.sessions.values()]);
    const s = this.sessions.get(m.key);
    if (!s) {
      this.counters.droppedForeignKey++;
      return [];
    }
    if (m.type === 'StatusQuery') return this.answerStatus(now, from, m, [s]);
    if (m.sender === this.cfg.nodeId) return []; // our own broadcast looping back
    const out: DLoadAction[] = [];
    s.onDatagram(now, from, m, out);
    this.note(now, s, out);
    return out;
  }

  /**
   * The first bytes a child sent on a peer TCP connection (at least 26: see
   * docs/PROTOCOL.md). Gives ServeChild or RejectChild (answer with that status
   * and close); a header that does not decode gives RejectChild with key "" (just close).
   */
  onStreamRequest(now: number, header: Uint8Array): DLoadAction[] {
    const m = decode(header);
    if (m.type !== 'StreamRequest') return [{ type: 'RejectChild', key: '', childId: 0, status: STREAM_STATUS.BAD_OFFSET }];
    if (!this.sessions.has(m.key)) return [{ type: 'RejectChild', key: m.key, childId: m.sender, status: STREAM_STATUS.UNKNOWN_KEY }];
    return this.onEvent(now, { type: 'ChildConnected', key: m.key, childId: m.sender, fromOffset: m.offset });
  }

  /** Block results, connection changes, origin failures (see DLoadEvent). Unknown keys are ignored. */
  onEvent(now: number, ev: DLoadEvent): DLoadAction[] {
    const s = this.sessions.get(ev.key);
    if (!s) return [];
    const out: DLoadAction[] = [];
    s.onEvent(now, ev, out);
    this.note(now, s, out);
    return out;
  }

  /**
   * The board is going away (it reboots into its new load, or stops): in every
   * hierarchy where it is a member, a Leaving to its root. Call before closing the
   * sockets; nothing else is to be fed to the engine after it.
   */
  depart(): DLoadAction[] {
    const out: DLoadAction[] = [];
    for (const s of this.sessions.values()) s.depart(out);
    return out;
  }

  /** Timers: call when now >= nextDeadline(). Calling early is harmless. */
  tick(now: number): DLoadAction[] {
    const out: DLoadAction[] = [];
    for (const s of this.sessions.values()) {
      if (s.nextDeadline() > now) continue;
      const from = out.length;
      s.tick(now, out);
      this.note(now, s, out, from);
    }
    return out;
  }

  /** Read-only: the sessions are looked at, never called; each reply is counted by the rate limit. */
  private answerStatus(now: number, from: Endpoint, q: StatusQuery, sessions: FileSession[]): DLoadAction[] {
    const out: DLoadAction[] = [];
    for (const s of sessions) {
      if (!this.limiter.allow(now, from.addr)) {
        this.counters.statusLimited++;
        break;
      }
      this.counters.statusReplies++;
      const reply = statusReply(s, this.cfg.nodeId, this.cfg.model, this.notes.get(s.key) ?? {}, q, now);
      out.push({ type: 'SendUnicast', to: from, bytes: encode(reply) });
    }
    return out;
  }

  /** What the status query tells beyond the session: since when it is root, why it gave up (from its FileFailed). */
  private note(now: number, s: FileSession, out: readonly DLoadAction[], from = 0): void {
    let n = this.notes.get(s.key);
    if (!n) this.notes.set(s.key, (n = {}));
    if (s.role !== 'root') n.rootSince = undefined;
    else n.rootSince ??= now;
    for (let i = from; i < out.length; i++) {
      const a = out[i]!;
      if (a.type === 'FileFailed') n.failure = (STATUS_FAILURES as readonly string[]).includes(a.code) ? (a.code as StatusFailure) : '';
    }
  }

  /** Earliest time (ms, same clock as `now`) tick() has work; Infinity if none. */
  nextDeadline(): number {
    let d = Infinity;
    for (const s of this.sessions.values()) d = Math.min(d, s.nextDeadline());
    return d;
  }
}
