// One hierarchy (model, file) as seen by one board: election, membership, tracker
// (when root), parent and children. Pure: time comes in as `now` (ms), randomness
// from cfg.random, and everything to do goes out as actions.
//
// Datagrams are unauthenticated, so nothing a peer says may hold a board up for
// long: a root that sends corrupt blocks, leaves reports unanswered or keeps placing
// it under parents that fail is left (and ignored for shunMs); a parent that sends
// nothing for stallMs is dropped; what no board could hold (held beyond the file's
// size) and what comes from another address than the board it names are dropped.
import { hex32, preference, shortKey, xid, type HierKey } from './key';
import { Tracker, MAX_CHILDREN, type Placement } from './tracker';
import { encode, STREAM_STATUS, type Datagram, type MemberReport, type RootAdvert } from './wire';
import type { DLoadAction, DLoadEvent, Endpoint, FileFailureCode, FileSpec, InheritedRoot, NodeConfig, Timers } from './types';

/** `failed`: this board gave the file up (FileFailed) and takes no further part. */
export type Role = 'listening' | 'claiming' | 'waiting' | 'root' | 'member' | 'failed';

/** What election compares, strongest first: confirmed, bytes held, strength, node id. */
export interface Rank {
  readonly confirmed: boolean;
  readonly held: number;
  readonly strength: number;
  readonly id: number;
}

/** > 0 when a outranks b. Never 0 for two different boards (node ids differ). */
export function compareRank(a: Rank, b: Rank): number {
  if (a.confirmed !== b.confirmed) return a.confirmed ? 1 : -1;
  if (a.held !== b.held) return a.held - b.held;
  if (a.strength !== b.strength) return (a.strength >>> 0) - (b.strength >>> 0);
  return (a.id >>> 0) - (b.id >>> 0);
}

interface RootInfo {
  id: number;
  udp: Endpoint;
  tcp: Endpoint;
  lastHeard: number;
  rank: Rank;
}

interface Pending {
  kind: MemberReport['type'];
  parentId: number;
  refused: boolean;
  retryAt: number;
  /** When the root was first asked and has not answered since (ms). */
  since: number;
  /** When it was last sent (ms). */
  sentAt: number;
}

/** Counters a shell or the simulator may read. */
export interface SessionStats {
  advertsSent: number;
  reportsSent: number;
  placementsSent: number;
  parentChanges: number;
  corruptBlocks: number;
  maxChildren: number;
  rootTerms: number;
  /** Corrupt blocks that came from the origin itself (not from a parent). */
  originCorruptBlocks: number;
  /** Parents dropped for sending no verified block for stallMs. */
  stalls: number;
  /** Roots this board left (corrupt blocks, unanswered reports, failing parents). */
  rootsLeft: number;
  /** Datagrams dropped: a held beyond the file's size, or a sender at another address than known. */
  droppedImpossible: number;
  droppedWrongSource: number;
  /** Times this board started a claim (sent ClaimRoot) for the file. */
  claims: number;
}

export class FileSession {
  role: Role = 'listening';
  /** Verified prefix, in blocks. */
  verified: number;
  readonly total: number;
  readonly strength: number;
  root: RootInfo | null = null;
  parent: { id: number; ep: Endpoint; depth: number } | null = null;
  readonly children = new Set<number>();
  tracker: Tracker | null = null;
  readonly stats: SessionStats = {
    advertsSent: 0, reportsSent: 0, placementsSent: 0, parentChanges: 0, corruptBlocks: 0, maxChildren: 0, rootTerms: 0, originCorruptBlocks: 0,
    stalls: 0, rootsLeft: 0, droppedImpossible: 0, droppedWrongSource: 0, claims: 0,
  };

  private claimAt = 0;
  private adCount = 0;
  private nextAdAt = Infinity;
  private waitUntil = Infinity;
  private nextRootAdvertAt = Infinity;
  private lastAnswerAt = -Infinity;
  private pending: Pending | null = null;
  private originActive = false;
  private originPrepared = false;
  /** OpenOrigin sent with this claim (the request out, no data asked for). */
  private originOpened = false;
  private left = false;
  /** When this board last gave up on a silent root for this file (-Infinity: never). */
  private rootKnownAt = -Infinity;
  /** Root: when it last heard from a member (join, orphan, bad parent) or became complete. */
  private lastMemberAt = -Infinity;
  private originRetryAt = Infinity;
  private parentDepth = 0;
  /** Member: when the parent last gave a verified block, or was assigned (ms). */
  private progressAt = 0;
  /** Parents that failed this board in a row under its current root (reset by a verified block); refusals apart. */
  private failures = 0;
  private refusals = 0;
  /** Roots this board left: ignored until `until`; `times` doubles the next stay away. */
  private readonly shunned = new Map<number, { until: number; times: number }>();

  constructor(
    readonly key: HierKey,
    readonly spec: FileSpec,
    private readonly cfg: NodeConfig,
    private readonly t: Timers,
    now: number,
    out: DLoadAction[],
  ) {
    this.total = Math.ceil(spec.size / spec.blockBytes);
    this.verified = Math.min(spec.verifiedBlocks ?? 0, this.total);
    // Fast: a preference any board can compute, the same at every election of this
    // file; phone: a random rank drawn when the session starts, as the phone does.
    this.strength = cfg.election === 'phone' ? Math.floor(cfg.random() * 2 ** 32) >>> 0 : preference(key, cfg.nodeId);
    const inherit = cfg.election !== 'phone' && !this.complete ? spec.inherit : undefined;
    if (inherit?.self) {
      // Root of the manifest that named this file: every board that has the manifest
      // got it through this board's tree and will look here, so a claim would only
      // cost its 0.3 s. A board outside that tree that claims is answered as any
      // claimant is, and a second root yields as after a partition.
      out.push({ type: 'Log', level: 'INF', text: `${this.me} root of ${inherit.from}: root of H=${shortKey(key)} ${spec.name} without an election` });
      this.confirm(now, out, true);
    } else if (inherit) {
      const advert: RootAdvert = {
        type: 'ConfirmedRoot', key, sender: inherit.id, strength: preference(key, inherit.id), held: 0, tcpPort: inherit.tcpPort, ad: 0, map: 0,
      };
      this.becomeMember(now, inherit.udp, advert, out);
    } else this.listen(now);
    if (this.complete) {
      out.push({ type: 'Release', key, blocks: this.total });
      out.push({ type: 'FileComplete', key, file: spec.name });
    }
  }

  /** Root and taking its file from the origin, or holding it all: past any data hold. */
  get takingData(): boolean {
    return this.role === 'root' && (this.originActive || this.complete);
  }

  /**
   * When this board takes its file from the origin, as things stand at `now`: a root
   * past its hold, now; a root in its hold, at the hold's end; a claimant that has sent
   * its last tentative advert, at its confirmation (unless a stronger claim comes
   * first) plus the hold it will then take. Undefined in any other state: it may never.
   */
  takesDataAt(now: number): number | undefined {
    if (this.role === 'root') return this.originActive || this.complete ? now : this.originRetryAt;
    if (this.role !== 'claiming' || this.adCount < this.t.adverts) return undefined;
    if (this.complete) return undefined;
    return this.nextAdAt + this.holdAfterConfirm(this.nextAdAt, false);
  }

  /** What a board confirmed at `at` waits before it takes data: the re-election hold, its data hold, or nothing. */
  private holdAfterConfirm(at: number, certain: boolean): number {
    if (at - this.rootKnownAt < this.t.reelectHoldMs) return this.t.reelectHoldMs;
    return certain ? 0 : Math.round(this.t.dataHoldMs * (1 - this.strength / 2 ** 32));
  }

  get complete(): boolean {
    return this.verified >= this.total;
  }

  get heldBytes(): number {
    return Math.min(this.verified * this.spec.blockBytes, this.spec.size);
  }

  /**
   * This file's root as the files it names inherit it (FileSpec.inherit): this board,
   * the root it follows, or none while it elects (or has no root).
   */
  inheritance(from: string): InheritedRoot | undefined {
    // Only once past its data hold: a board that confirmed itself by mistake (the real
    // root busy) holds back its own file, and must not pull the ones it names either.
    if (this.takingData) return { self: true, from };
    if (this.role === 'member' && this.root) return { self: false, from, id: this.root.id, udp: this.root.udp, tcpPort: this.root.tcp.port };
    return undefined;
  }

  /** Blocks children may be sent now (cut: the verified prefix; store: all or nothing). */
  get released(): number {
    return this.cfg.forward === 'store' ? (this.complete ? this.total : 0) : this.verified;
  }

  /** Hops below the root of this board's parent position (root = 0). */
  get depth(): number {
    return this.role === 'root' ? 0 : this.parentDepth;
  }

  private get me(): string {
    return xid(this.cfg.nodeId);
  }

  rank(confirmed: boolean): Rank {
    return { confirmed, held: this.heldBytes, strength: this.strength, id: this.cfg.nodeId };
  }

  nextDeadline(): number {
    let d = Infinity;
    switch (this.role) {
      case 'listening': d = this.claimAt; break;
      case 'claiming': d = this.nextAdAt; break;
      case 'waiting': d = this.waitUntil; break;
      case 'root':
        d = Math.min(this.nextRootAdvertAt, this.originRetryAt);
        if (this.complete && !this.left && this.children.size === 0) d = Math.min(d, this.lastMemberAt + this.lingerMs());
        break;
      case 'failed':
        break;
      case 'member':
        if (this.pending) d = this.pending.retryAt;
        if (this.root && (this.pending || (!this.parent && !this.complete))) d = Math.min(d, this.root.lastHeard + this.t.rootSilenceMs);
        if (this.pending && !this.complete) d = Math.min(d, this.pending.since + this.t.unansweredMs);
        if (this.watchesStall) d = Math.min(d, this.progressAt + this.stallAfter);
        break;
    }
    return d;
  }

  /** A member fetching from a parent that must show progress (cut-through: each block as it is verified). */
  private get watchesStall(): boolean {
    return this.parent !== null && !this.complete && this.role === 'member' && this.cfg.forward !== 'store';
  }

  /**
   * How long a parent may send nothing: stallMs, and a tenth more per level below the
   * root, so that when a parent stalls, its children (nearest the fault) judge it before
   * their own children judge them, and the subtree below follows them unbroken.
   */
  private get stallAfter(): number {
    return this.t.stallMs * (1 + this.parentDepth / 10);
  }

  /** True while this board stays away from root `id` (it left it). */
  private shuns(id: number, now: number): boolean {
    const s = this.shunned.get(id);
    return s !== undefined && now < s.until;
  }

  /**
   * Leaves the current root for `why`: drops the parent it placed us under, ignores
   * that root for shunMs (doubled each time we leave it again), and elects anew
   * among the others: another root is followed, or this board becomes one.
   */
  private leaveRoot(now: number, why: string, out: DLoadAction[]): void {
    const r = this.root!;
    const times = (this.shunned.get(r.id)?.times ?? 0) + 1;
    const away = this.t.shunMs * 2 ** Math.min(4, times - 1);
    this.shunned.set(r.id, { until: now + away, times });
    this.stats.rootsLeft++;
    out.push({ type: 'Log', level: 'WRN', text: `${this.me} leaves root ${xid(r.id)} (${why}): ignoring it for ${away} ms, electing H=${shortKey(this.key)}` });
    if (this.parent) {
      out.push({ type: 'DisconnectParent', key: this.key });
      this.parent = null;
    }
    this.pending = null;
    this.failures = 0;
    this.refusals = 0;
    this.listen(now);
  }

  /** A parent failed this board (lost, refused, stalled, corrupt): report it, or leave a root whose placements keep failing. */
  private parentFailed(now: number, kind: 'Orphaned' | 'BadParent', lost: number, refused: boolean, out: DLoadAction[]): void {
    if (this.role !== 'member' || this.complete) return;
    // A refusal is cheap and usually a race (a child moved away has not hung up yet): it takes four times as many.
    if (refused ? ++this.refusals >= 4 * this.t.parentFailures : ++this.failures >= this.t.parentFailures) {
      return this.leaveRoot(now, refused ? `${this.refusals} parents in a row refused it` : `${this.failures} parents in a row failed`, out);
    }
    this.report(now, kind, lost, refused, out);
  }

  // ---- election -------------------------------------------------------------------

  private listen(now: number): void {
    this.role = 'listening';
    this.root = null;
    // Stronger boards (more bytes held, higher strength) wait less, so the likely
    // winner claims first and most others never send a claim at all.
    const weak = 1 - this.strength / 2 ** 32;
    const left = 1 - this.heldBytes / this.spec.size;
    this.claimAt = now + this.t.claimBackoffMs * weak * (this.heldBytes > 0 ? 0.5 * left : 1);
  }

  private advert(confirmed: boolean, ad: number): Buffer {
    this.stats.advertsSent++;
    const msg: RootAdvert = {
      type: confirmed ? 'ConfirmedRoot' : 'ClaimRoot', key: this.key, sender: this.cfg.nodeId,
      strength: this.strength, held: this.heldBytes, tcpPort: this.cfg.tcpPort, ad, map: this.haveMap(),
    };
    return encode(msg);
  }

  /** Bit 31-i set when the i-th 1/32 of the file is held: a glance at progress in the log. */
  haveMap(): number {
    const n = Math.floor((this.heldBytes * 32) / this.spec.size);
    return n <= 0 ? 0 : n >= 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0;
  }

  private startClaim(now: number, out: DLoadAction[]): void {
    this.role = 'claiming';
    this.stats.claims++;
    this.adCount = 0;
    this.nextAdAt = now + this.t.advertMs;
    // Levels and words as on the phone's console (see the source document's root log).
    out.push({ type: 'Log', level: 'NOT', text: '^.idl_protocol.c-sendBroadcastOffer' });
    out.push({ type: 'Log', level: 'INF', text: `${this.me} TxBdcst ClaimRoot(tent): map=${hex32(this.haveMap())} strength=${hex32(this.strength)}` });
    out.push({ type: 'SendBroadcast', bytes: this.advert(false, 0) });
    if (this.t.openOriginWithClaim && !this.originOpened && !this.originPrepared && this.mayOpenOrigin(now)) {
      this.originOpened = true;
      out.push({ type: 'OpenOrigin', key: this.key, file: this.spec.name, fromOffset: this.heldBytes });
    }
  }

  /** A claimant may ask the origin for the file: it lacks bytes, takes none yet, and no root was heard moments ago. */
  private mayOpenOrigin(now: number): boolean {
    return !this.complete && !this.originActive && now - this.rootKnownAt >= this.t.reelectHoldMs;
  }

  /** `certain`: root by inheritance, not by a fresh election; no data hold. */
  private confirm(now: number, out: DLoadAction[], certain = false): void {
    this.role = 'root';
    this.lastMemberAt = now;
    this.stats.rootTerms++;
    this.root = null;
    this.pending = null;
    this.tracker = new Tracker(this.cfg.nodeId, this.cfg.tcpPort, { badParentMs: this.t.badParentMs });
    out.push({ type: 'Log', level: 'NOT', text: 'UT:Confirmed root bumping strength' });
    out.push({
      type: 'Log', level: 'NOT',
      text: `@@@HROOT:${this.me} H=${shortKey(this.key)} m=${this.cfg.model} ROOT=${this.cfg.addr ?? '0.0.0.0'} ${this.spec.name}`,
    });
    out.push({ type: 'SendBroadcast', bytes: this.advert(true, 0) });
    this.nextRootAdvertAt = now + this.t.rootAdvertMs;
    if (this.parent) {
      out.push({ type: 'DisconnectParent', key: this.key });
      this.parent = null;
    }
    if (this.complete || this.originActive) return;
    if (now - this.rootKnownAt < this.t.reelectHoldMs) {
      // This file had a root moments ago; it may only be unheard (adverts lost on a
      // saturated port), not gone. Advertise as root for a while before taking the
      // file from the origin: if the old root lives, one of its adverts outranks this
      // one (it holds more) and this board yields without a second WAN copy.
      this.originRetryAt = now + this.t.reelectHoldMs;
      out.push({ type: 'Log', level: 'INF', text: `${this.me} root again after a silent root: origin in ${this.t.reelectHoldMs} ms unless it reappears` });
      return;
    }
    const hold = this.holdAfterConfirm(now, certain);
    if (hold > 0) {
      // Fast election: confirmed after a short claim, so a board that confirmed itself
      // while the real root was busy (or its claim lost) could be a second root. Its
      // hold, long unless it is the fleet's strongest, lets the real root's advert
      // reach it before it pulls a byte; the likely winner waits a few ms.
      this.originRetryAt = now + hold;
      out.push({ type: 'Log', level: 'DBG', text: `${this.me} origin in ${hold} ms unless a stronger root is heard H=${shortKey(this.key)}` });
      return;
    }
    this.fetchOrigin(out);
  }

  /** A claimant that stops claiming drops the origin transfer it prepared or started. */
  private dropOrigin(out: DLoadAction[]): void {
    if (this.originActive || this.originPrepared || this.originOpened) out.push({ type: 'StopOrigin', key: this.key });
    this.originActive = false;
    this.originPrepared = false;
    this.originOpened = false;
  }

  private fetchOrigin(out: DLoadAction[]): void {
    this.originActive = true;
    this.originPrepared = false;
    this.originOpened = false;
    this.originRetryAt = Infinity;
    out.push({ type: 'FetchOrigin', key: this.key, file: this.spec.name, fromOffset: this.heldBytes });
  }

  private becomeMember(now: number, from: Endpoint, m: RootAdvert, out: DLoadAction[]): void {
    if (this.role === 'claiming') this.dropOrigin(out);
    if (this.role === 'root') {
      out.push({ type: 'Log', level: 'NOT', text: `${this.me} yields to root ${xid(m.sender)} H=${shortKey(this.key)}` });
      this.dropOrigin(out);
      this.originRetryAt = Infinity;
      this.tracker = null;
    }
    this.role = 'member';
    if (this.root?.id !== m.sender) this.failures = this.refusals = 0;
    this.pending = null;
    // A new root needs a while before blocks flow again (its hold, its origin's round trips): the parent is not to blame meanwhile.
    this.progressAt = now;
    this.root = {
      id: m.sender, udp: from, tcp: { addr: from.addr, port: m.tcpPort }, lastHeard: now,
      rank: { confirmed: true, held: m.held, strength: m.strength, id: m.sender },
    };
    out.push({ type: 'Log', level: 'INF', text: `${this.me} root is ${xid(m.sender)} at ${from.addr} H=${shortKey(this.key)}` });
    this.report(now, 'JoinRequest', this.parent?.id ?? 0, false, out);
  }

  private report(now: number, kind: MemberReport['type'], parentId: number, refused: boolean, out: DLoadAction[]): void {
    this.pending = { kind, parentId, refused, retryAt: 0, since: this.pending?.since ?? now, sentAt: now };
    this.sendPending(now, out);
  }

  private sendPending(now: number, out: DLoadAction[]): void {
    const p = this.pending!;
    if (!this.root) return;
    this.stats.reportsSent++;
    p.sentAt = now;
    p.retryAt = now + this.t.joinRetryMs * (1 + 0.5 * this.cfg.random());
    const msg: MemberReport = {
      type: p.kind, key: this.key, sender: this.cfg.nodeId, tcpPort: this.cfg.tcpPort,
      children: this.children.size, held: this.heldBytes, parentId: p.parentId, refused: p.refused,
    };
    out.push({ type: 'SendUnicast', to: this.root.udp, bytes: encode(msg) });
  }

  /**
   * How long a complete root with no children stays after its last member report:
   * rootLingerMs for boards still on their way, or rootStayMs while its tracker holds
   * members that have not said Leaving, or knows of ones reported dead that never did
   * (one frozen, or slow, finds its root when it wakes; the others reboot as soon as
   * they are served, and tell it).
   */
  private lingerMs(): number {
    return (this.tracker?.outstanding ?? 0) > 0 ? Math.max(this.t.rootLingerMs, this.t.rootStayMs) : this.t.rootLingerMs;
  }

  /**
   * Complete and serving nobody: a member may leave now. A root stays a while for
   * boards still coming, and a claimant first finishes its claim: the others wait on it.
   */
  private maybeLeave(now: number, out: DLoadAction[]): void {
    if (this.left || !this.complete || this.children.size > 0) return;
    if (this.role === 'member' || (this.role === 'root' && now >= this.lastMemberAt + this.lingerMs())) {
      this.left = true;
      out.push({ type: 'MayLeave', key: this.key });
    }
  }

  /**
   * This board is going away (a reboot into its new load, or a stop): a member tells
   * its root, once, so that no board is placed under it from now on. A lost Leaving
   * costs what it did before there was one: the next child sent here finds nobody and
   * reports it Orphaned. A root says nothing: its members judge it silent and elect.
   */
  depart(out: DLoadAction[]): void {
    if (this.role !== 'member' || !this.root) return;
    this.stats.reportsSent++;
    out.push({ type: 'Log', level: 'DBG', text: `${this.me} leaving root ${xid(this.root.id)} H=${shortKey(this.key)}` });
    const msg: MemberReport = {
      type: 'Leaving', key: this.key, sender: this.cfg.nodeId, tcpPort: this.cfg.tcpPort,
      children: this.children.size, held: this.heldBytes, parentId: this.parent?.id ?? 0, refused: false,
    };
    out.push({ type: 'SendUnicast', to: this.root.udp, bytes: encode(msg) });
    this.pending = null;
  }

  // ---- inputs ---------------------------------------------------------------------

  /** A decoded datagram for this key from another board. */
  onDatagram(now: number, from: Endpoint, m: Datagram, out: DLoadAction[]): void {
    if (this.role === 'failed') return;
    if (m.type !== 'ParentAssigned' && m.held > this.spec.size) {
      // No board holds more of the file than it has: a forged rank or report.
      this.stats.droppedImpossible++;
      return;
    }
    switch (m.type) {
      case 'ClaimRoot':
      case 'ConfirmedRoot':
        return this.onAdvert(now, from, m, out);
      case 'JoinRequest':
      case 'Orphaned':
      case 'BadParent':
      case 'Leaving':
        return this.onReport(now, from, m, out);
      case 'ParentAssigned':
        if (m.target !== this.cfg.nodeId || this.role !== 'member' || this.root?.id !== m.sender) return;
        if (from.addr !== this.root.udp.addr) {
          // Only the root places this board; another host putting the root's id in the header does not.
          this.stats.droppedWrongSource++;
          return;
        }
        // An answer from the root is as good a sign of life as its advert.
        this.root.lastHeard = now;
        this.pending = null;
        this.parentDepth = m.depth;
        if (this.complete) return;
        if (this.parent?.id === m.parentId) return;
        if (this.parent) out.push({ type: 'DisconnectParent', key: this.key });
        this.stats.parentChanges++;
        this.progressAt = now;
        this.parent = {
          id: m.parentId, depth: m.depth,
          ep: { addr: m.parentAddr === '0.0.0.0' ? from.addr : m.parentAddr, port: m.parentPort },
        };
        out.push({ type: 'Log', level: 'INF', text: `${this.me} parent ${xid(m.parentId)} at ${this.parent.ep.addr}:${m.parentPort} depth=${m.depth} from ${this.heldBytes} H=${shortKey(this.key)}` });
        out.push({ type: 'ConnectParent', key: this.key, parentId: m.parentId, parent: this.parent.ep, fromOffset: this.heldBytes, depth: m.depth });
        return;
    }
  }

  private onAdvert(now: number, from: Endpoint, m: RootAdvert, out: DLoadAction[]): void {
    if (this.shuns(m.sender, now)) return;
    if (this.root && m.sender === this.root.id && from.addr !== this.root.udp.addr) {
      // Our root's id from another address: another host speaking for it.
      this.stats.droppedWrongSource++;
      return;
    }
    if (m.relay) return this.onRelay(now, m, out);
    const confirmed = m.type === 'ConfirmedRoot';
    const theirs: Rank = { confirmed, held: m.held, strength: m.strength, id: m.sender };
    switch (this.role) {
      case 'listening':
        if (confirmed) return this.becomeMember(now, from, m, out);
        if (compareRank(theirs, this.rank(false)) > 0) {
          this.role = 'waiting';
          this.waitUntil = now + this.t.waitRootMs;
        } else if (this.cfg.election === 'phone') this.startClaim(now, out);
        else {
          // A weaker board claims: every stronger listener must claim before it confirms,
          // but by rank (within one advert period, the strongest first), so that the
          // others hear the strongest and stay quiet instead of all claiming at once.
          this.claimAt = Math.min(this.claimAt, now + this.t.advertMs * (1 - this.strength / 2 ** 32));
        }
        return;
      case 'waiting':
        if (confirmed) return this.becomeMember(now, from, m, out);
        if (compareRank(theirs, this.rank(false)) > 0) this.waitUntil = now + this.t.waitRootMs;
        return;
      case 'claiming':
        if (compareRank(theirs, this.rank(false)) <= 0) return;
        if (confirmed) return this.becomeMember(now, from, m, out);
        out.push({ type: 'Log', level: 'DBG', text: `${this.me} stronger claim from ${xid(m.sender)}: stop claiming` });
        this.dropOrigin(out);
        this.role = 'waiting';
        this.waitUntil = now + this.t.waitRootMs;
        return;
      case 'root':
        if (confirmed && compareRank(theirs, this.rank(true)) > 0) return this.becomeMember(now, from, m, out);
        // A tentative (or weaker confirmed) claim: tell it a root runs here, at most every rootAnswerMs.
        if (now - this.lastAnswerAt >= this.t.rootAnswerMs) {
          this.lastAnswerAt = now;
          out.push({ type: 'SendBroadcast', bytes: this.advert(true, 0) });
        }
        return;
      case 'member': {
        const r = this.root!;
        if (m.sender === r.id) {
          if (confirmed) {
            r.lastHeard = now;
            r.rank = theirs;
            // Unanswered, and the root speaks: it may have been asked before it had the
            // file (a member joining an inherited root) or the report was lost. Ask again
            // now rather than at the retry, at most once per advert period.
            if (this.pending && now - this.pending.sentAt >= this.t.advertMs) this.sendPending(now, out);
          }
          return;
        }
        if (!confirmed) return this.relayRoot(now, from, out);
        // Another confirmed root: follow it if it is our parent (it became root keeping us:
        // its tracker must know us to place others), if ours has gone silent, or, while we
        // have no working parent, if it outranks ours. A board whose blocks flow stays put:
        // a stronger advert (perhaps a forged one) does not pull it out of a working tree.
        const ourParent = this.parent?.id === m.sender && this.parent.ep.addr === from.addr;
        const idle = !this.parent;
        if (ourParent || (idle && compareRank(theirs, r.rank) > 0) || now - r.lastHeard >= this.t.rootSilenceMs) {
          this.becomeMember(now, from, m, out);
        }
        return;
      }
    }
  }

  /**
   * Fast election: a member that hears a board claim while its own root lives tells
   * the claimant so by unicast (a relay: ClaimRoot in its root's name, flags bit 1), as
   * the root's own answer would. The root alone may be too busy to answer before a
   * short claim confirms (a late board, a starved root); one of its members is not.
   * At most every rootAnswerMs per member.
   */
  private relayRoot(now: number, from: Endpoint, out: DLoadAction[]): void {
    const r = this.root!;
    if (this.cfg.election === 'phone' || now - r.lastHeard >= this.t.rootSilenceMs || now - this.lastAnswerAt < this.t.rootAnswerMs) return;
    this.lastAnswerAt = now;
    const held = Math.max(r.rank.held, this.heldBytes);
    out.push({
      type: 'SendUnicast', to: from,
      bytes: encode({ type: 'ClaimRoot', key: this.key, sender: r.id, strength: r.rank.strength, held, tcpPort: r.tcp.port, ad: 0, map: 0, relay: true }),
    });
  }

  /**
   * A member says root `m.sender` lives. It only ever delays: a claimant stops and
   * waits (waitRootMs) for the root's own advert, and a root still in its data hold
   * holds on that long before it pulls; nobody joins on a relay (it comes from the
   * member's address, not the root's), so a forged one costs a wait, never a byte.
   */
  private onRelay(now: number, m: RootAdvert, out: DLoadAction[]): void {
    switch (this.role) {
      case 'claiming':
      case 'listening':
      case 'waiting':
        if (this.role === 'claiming') {
          out.push({ type: 'Log', level: 'DBG', text: `${this.me} root ${xid(m.sender)} lives (a member says): stop claiming` });
          this.dropOrigin(out);
        }
        // Wait for the root's own advert.
        this.role = 'waiting';
        this.waitUntil = now + this.t.waitRootMs;
        return;
      case 'root':
        if (this.originActive || this.complete || !Number.isFinite(this.originRetryAt) || this.heldBytes > 0) return;
        this.originRetryAt = Math.max(this.originRetryAt, now + this.t.waitRootMs);
        out.push({ type: 'Log', level: 'DBG', text: `${this.me} root ${xid(m.sender)} lives (a member says): origin in ${Math.round(this.originRetryAt - now)} ms unless it is heard` });
        return;
      default:
        return;
    }
  }

  private onReport(now: number, from: Endpoint, m: MemberReport, out: DLoadAction[]): void {
    const tr = this.tracker;
    if (!tr) return;
    if (m.type === 'Leaving') {
      // Not a board still on its way: the root's linger does not restart for it. Its
      // children get their new places without a word: the leaver waited until they had
      // the file, and one that still fetches hears the connection close and asks.
      const moved = tr.leave(now, m.sender, from);
      if (moved) out.push({ type: 'Log', level: 'DBG', text: `${xid(m.sender)} leaves H=${shortKey(this.key)}: forgotten${moved.length ? `, ${moved.length} of its children placed anew` : ''}` });
      return;
    }
    this.lastMemberAt = now;
    const tcp = { addr: from.addr, port: m.tcpPort };
    tr.rootServes(this.children.size);
    let placed: Placement[];
    if (m.type === 'JoinRequest') placed = tr.join(now, m.sender, from, tcp, m.parentId, m.children);
    else if (m.type === 'Orphaned') placed = tr.orphaned(now, m.sender, from, tcp, m.parentId, m.refused, m.children);
    else {
      const before = tr.counters.disbelieved;
      placed = tr.badParent(now, m.sender, from, tcp, m.parentId, m.children);
      const verdict = tr.counters.disbelieved === before && tr.isSuspect(m.parentId);
      out.push({
        type: 'Log', level: 'WRN',
        text: verdict
          ? `${xid(m.sender)} reports corrupt block from ${xid(m.parentId)}: no children for it for a while`
          : `${xid(m.sender)} reports corrupt block from ${xid(m.parentId)}, not its parent here: not believed`,
      });
    }
    this.sendPlacements(placed, out);
  }

  private sendPlacements(placed: readonly Placement[], out: DLoadAction[]): void {
    for (const p of placed) {
      this.stats.placementsSent++;
      out.push({
        type: 'SendUnicast', to: p.to,
        bytes: encode({
          type: 'ParentAssigned', key: this.key, sender: this.cfg.nodeId, target: p.target,
          parentId: p.parentId, parentAddr: p.parent.addr, parentPort: p.parent.port, depth: p.depth,
        }),
      });
    }
  }

  onEvent(now: number, ev: DLoadEvent, out: DLoadAction[]): void {
    if (this.role === 'failed') {
      if (ev.type === 'ChildConnected') out.push({ type: 'RejectChild', key: this.key, childId: ev.childId, status: STREAM_STATUS.UNKNOWN_KEY });
      return;
    }
    switch (ev.type) {
      case 'BlockVerified': {
        if (ev.index !== this.verified || this.complete) {
          out.push({ type: 'Log', level: 'WRN', text: `${this.me} block ${ev.index} out of order (have ${this.verified}): ignored` });
          return;
        }
        this.verified++;
        this.progressAt = now;
        this.failures = this.refusals = 0;
        if (this.cfg.forward !== 'store') out.push({ type: 'Release', key: this.key, blocks: this.verified });
        if (this.complete) {
          out.push({ type: 'Log', level: 'NOT', text: `${this.me} ${this.spec.name} complete: ${this.spec.size} bytes verified` });
          if (this.cfg.forward === 'store') out.push({ type: 'Release', key: this.key, blocks: this.total });
          out.push({ type: 'FileComplete', key: this.key, file: this.spec.name });
          this.originActive = false;
          if (this.parent) {
            out.push({ type: 'DisconnectParent', key: this.key });
            this.parent = null;
          }
          if (this.pending?.kind === 'Orphaned' || this.pending?.kind === 'BadParent') this.pending = null;
          this.lastMemberAt = now;
          this.maybeLeave(now, out);
        }
        return;
      }
      case 'BlockCorrupt':
        this.stats.corruptBlocks++;
        if (this.role === 'root' || this.originActive) {
          const limit = this.cfg.originCorruptLimit ?? 3;
          if (++this.stats.originCorruptBlocks >= limit) {
            this.giveUp(now, 'PFS_ERR_ORIGIN_CORRUPT', `block ${ev.index} from the origin failed its SHA-256 (${this.stats.originCorruptBlocks} corrupt origin blocks): the origin's copy is not the one the load was signed with`, out);
            return;
          }
          out.push({ type: 'Log', level: 'ERR', text: `${this.me} origin block ${ev.index} corrupt: refetching from ${this.heldBytes}` });
          out.push({ type: 'StopOrigin', key: this.key });
          this.originActive = false;
          this.originRetryAt = now + this.t.originRetryMs;
          return;
        }
        if (!this.parent) return;
        out.push({ type: 'Log', level: 'ERR', text: `${this.me} block ${ev.index} from ${xid(this.parent.id)} corrupt: dropping parent, resume from ${this.heldBytes}` });
        out.push({ type: 'DisconnectParent', key: this.key });
        {
          const bad = this.parent.id;
          this.parent = null;
          // Every block of the tree passes through the root: one that corrupts them feeds no one.
          if (this.role === 'member' && bad === this.root?.id) this.leaveRoot(now, `corrupt block ${ev.index} from the root itself`, out);
          else this.parentFailed(now, 'BadParent', bad, false, out);
        }
        return;
      case 'ParentLost': {
        if (!this.parent) return;
        const lost = this.parent.id;
        this.parent = null;
        out.push({ type: 'Log', level: 'WRN', text: `${this.me} lost parent ${xid(lost)}${ev.refused ? ' (refused)' : ''}: resume from ${this.heldBytes}` });
        this.parentFailed(now, 'Orphaned', lost, ev.refused, out);
        return;
      }
      case 'ChildConnected': {
        const off = ev.fromOffset;
        if (off > this.spec.size || (off % this.spec.blockBytes !== 0 && off !== this.spec.size)) {
          out.push({ type: 'RejectChild', key: this.key, childId: ev.childId, status: STREAM_STATUS.BAD_OFFSET });
          return;
        }
        if (!this.children.has(ev.childId) && this.children.size >= MAX_CHILDREN) {
          out.push({ type: 'Log', level: 'INF', text: `${this.me} refuses child ${xid(ev.childId)}: ${MAX_CHILDREN} children already` });
          out.push({ type: 'RejectChild', key: this.key, childId: ev.childId, status: STREAM_STATUS.BUSY });
          return;
        }
        this.children.add(ev.childId);
        this.stats.maxChildren = Math.max(this.stats.maxChildren, this.children.size);
        out.push({ type: 'ServeChild', key: this.key, childId: ev.childId, fromOffset: off });
        return;
      }
      case 'ChildGone':
        if (!this.children.delete(ev.childId)) return;
        this.maybeLeave(now, out);
        return;
      case 'LocalFailure':
        this.giveUp(now, ev.code, ev.reason, out);
        return;
      case 'OriginFailed':
        if (this.role === 'claiming') {
          // Started ahead of confirming: confirming starts it again.
          this.originActive = false;
          return;
        }
        if (this.role !== 'root' || this.complete) return;
        out.push({ type: 'Log', level: 'ERR', text: `${this.me} origin fetch failed (${ev.reason}): retry from ${this.heldBytes}` });
        this.originActive = false;
        this.originRetryAt = now + this.t.originRetryMs;
        return;
    }
  }

  /**
   * The one way out for a file this board cannot finish: drop the source and every
   * child, stop advertising. Members of a root that gave up hear it fall silent and
   * elect another; a board never takes another's word that the file is bad.
   */
  private giveUp(now: number, code: FileFailureCode, reason: string, out: DLoadAction[]): void {
    if (this.role === 'failed') return;
    out.push({ type: 'Log', level: 'ERR', text: `${this.me} gives up ${this.spec.name} (${code}): ${reason}` });
    if (this.originActive || this.originPrepared || this.originOpened) out.push({ type: 'StopOrigin', key: this.key });
    if (this.parent) out.push({ type: 'DisconnectParent', key: this.key });
    // It serves nobody from now on: its root is to place no board under it, nor wait for it.
    this.depart(out);
    this.originActive = false;
    this.originPrepared = false;
    this.originOpened = false;
    this.originRetryAt = Infinity;
    this.parent = null;
    this.pending = null;
    this.tracker = null;
    this.root = null;
    this.children.clear();
    this.role = 'failed';
    this.lastMemberAt = now;
    out.push({ type: 'FileFailed', key: this.key, file: this.spec.name, code, reason });
  }

  tick(now: number, out: DLoadAction[]): void {
    switch (this.role) {
      case 'failed':
        return;
      case 'listening':
        if (now >= this.claimAt) this.startClaim(now, out);
        return;
      case 'waiting':
        if (now >= this.waitUntil) {
          out.push({ type: 'Log', level: 'DBG', text: `${this.me} no root confirmed: listening again` });
          this.listen(now);
        }
        return;
      case 'claiming':
        if (now < this.nextAdAt) return;
        out.push({ type: 'Log', level: 'NOT', text: '^.idl_timeout.c-doTimeout' });
        out.push({ type: 'Log', level: 'DBG', text: `Timeout ${this.me} hier=ClaimRoot(tent)` });
        if (this.adCount < this.t.adverts) {
          this.adCount++;
          this.nextAdAt = now + this.t.advertMs;
          out.push({ type: 'Log', level: 'NOT', text: '^.idl_protocol.c-sendBroadcastOffer' });
          out.push({ type: 'Log', level: 'INF', text: `${this.me} TxBdcst Ad ${this.adCount}: ClaimRoot(tent)` });
          out.push({ type: 'SendBroadcast', bytes: this.advert(false, this.adCount) });
          if (this.mayOpenOrigin(now)) {
            if (this.adCount === this.t.startOriginAtAd) this.fetchOrigin(out);
            else if (this.adCount === this.t.prepareOriginAtAd && !this.originPrepared) {
              this.originPrepared = true;
              out.push({ type: 'PrepareOrigin', key: this.key, file: this.spec.name, fromOffset: this.heldBytes });
            }
          }
        } else this.confirm(now, out);
        return;
      case 'root':
        if (now >= this.nextRootAdvertAt) {
          this.nextRootAdvertAt = now + this.t.rootAdvertMs;
          out.push({ type: 'SendBroadcast', bytes: this.advert(true, 0) });
        }
        if (now >= this.originRetryAt && !this.complete) this.fetchOrigin(out);
        this.maybeLeave(now, out);
        return;
      case 'member': {
        const r = this.root!;
        if (this.watchesStall && now >= this.progressAt + this.stallAfter) {
          const p = this.parent!;
          this.stats.stalls++;
          out.push({ type: 'Log', level: 'WRN', text: `${this.me} parent ${xid(p.id)} sent no verified block for ${Math.round(now - this.progressAt)} ms: dropping it, resume from ${this.heldBytes}` });
          out.push({ type: 'DisconnectParent', key: this.key });
          this.parent = null;
          this.parentFailed(now, 'Orphaned', p.id, false, out);
          if (this.role !== 'member') return;
        }
        if (this.pending && !this.complete && now >= this.pending.since + this.t.unansweredMs) {
          return this.leaveRoot(now, `no answer to ${this.pending.kind} for ${Math.round(now - this.pending.since)} ms`, out);
        }
        if ((this.pending || (!this.parent && !this.complete)) && now >= r.lastHeard + this.t.rootSilenceMs) {
          out.push({ type: 'Log', level: 'WRN', text: `${this.me} root ${xid(r.id)} silent ${now - r.lastHeard} ms: electing H=${shortKey(this.key)}` });
          this.rootKnownAt = now;
          this.pending = null;
          this.listen(now);
          return;
        }
        if (this.pending && now >= this.pending.retryAt) this.sendPending(now, out);
        return;
      }
    }
  }
}
