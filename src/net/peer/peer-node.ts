import { createHash, randomInt } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Logger } from '../../log/logger';
import { silentLogger } from '../../log/logger';
import { timingFields } from '../../log/timing';
import { PfsError } from '../../errors';
import { DLoadNode, fileView, type DLoadAction, type DLoadEvent, type Election, type FileView, type HierKey, type InheritedRoot, type Role, type Timers } from '../../dload/index';
import type { BlockPlan } from './block-assembler';
import { fileMedium, type SpoolMedium } from './spool';
import { Fanout } from './fanout';
import { FilePipeline } from './pipeline';
import { OriginSource, type OriginOptions } from './origin-source';
import type { Source } from './source';
import { AheadSource } from './ahead-source';
import { SackShare } from '../tftp/sack-share';
import { ParentLink } from './parent-link';
import { ChildServer } from './child-server';
import { Datagrams } from './datagrams';
import { sleep } from '../../io/sleep';

export type { OriginOptions } from './origin-source';

export interface PeerNodeOptions {
  /** XID of this board on the subnet (u32, e.g. the low bytes of its MAC). */
  nodeId: number;
  model: string;
  /** This board's own address: peers connect to it; unicast datagrams come to it. */
  addr: string;
  /** UDP port for datagrams addressed to this board (0: from the kernel); equal to `broadcast.port` on a real subnet. */
  udpPort: number;
  /** Where hierarchy adverts go: the subnet broadcast address and the shared peer port (4051). */
  broadcast: { addr: string; port: number };
  /** TCP port children connect to (4051 on a real subnet; 0: from the kernel). */
  tcpPort: number;
  origin: OriginOptions;
  /** Folder the files are written to when no medium is given. */
  dir: string;
  forward?: 'cut' | 'store';
  /** How this board elects each file's root: `fast` (default) or `phone` (the phone's exact timing). */
  election?: Election;
  logger?: Logger;
  timers?: Partial<Timers>;
  /** Fault injection for tests and the lab: `corruptServed` flips bytes in what this board streams to children. */
  faults?: { corruptServed?: boolean };
}

/**
 * Blocks of each named component taken ahead once its manifest is in hand, before the
 * component's pipeline starts (128 × 1468 B each: with four, 0.6 s of a 10 Mbit/s WAN).
 */
const HINTED_AHEAD_BLOCKS = 128;
/** How long a component's transfer opened with its manifest (WantedFile.componentsHint) waits to be taken (ms). */
const HINTED_MS = 10_000;

/** How long a file that inherits a root waits for that root's election on this board to settle (ms). */
const SETTLE_MS = 2000;

/** A file this board wants: what the engine needs plus the SHA-256 list that guards every block. */
export interface WantedFile {
  name: string;
  plan: BlockPlan;
  /**
   * Where the file is written (a flash slot); default a file named like it in `dir`.
   * What the medium already holds is checked block by block and kept (a resume).
   */
  medium?: () => Promise<SpoolMedium>;
  /** Called while a resumed file's prefix is read back and checked. */
  checking?: () => void;
  /**
   * For a file of one block (the manifest): called once with the whole file, checked
   * against its SHA-256, if this board took it from the origin while still claiming
   * root (see AheadSource). The file's hierarchy goes on as usual; `fetch` still
   * resolves once it is on the medium.
   */
  early?: (bytes: Buffer) => void;
  /**
   * For that file (the manifest): the component names the configuration says it
   * lists. A board that takes it from the origin ahead opens their transfers with it
   * (no data yet), so the components' request round trip is paid during the
   * manifest's; a component this board then takes from the origin starts on its
   * transfer. The manifest decides: a transfer no component takes is dropped.
   */
  componentsHint?: string[];
  /**
   * The file that named this one (a component: its load's manifest). Under the fast
   * election, the root this board knows for that file takes this one too, without an
   * election (FileSpec.inherit); a board that knows none elects as usual.
   */
  inheritRootOf?: string;
}

/** The shell's view of a file: the core's (see FileView), plus what only the shell knows. */
export interface FileStatus extends Omit<FileView, 'role'> {
  /** `tftp`: a board of the lab's traditional mode, with no hierarchy. */
  role: Role | 'tftp';
  /** Most verified bytes that waited for flash at once: what a slow flash costs in memory. */
  maxQueuedBytes: number;
}

interface Deferred {
  promise: Promise<void>;
  ok: () => void;
  fail: (e: Error) => void;
}

function deferred(): Deferred {
  let ok!: () => void;
  let fail!: (e: Error) => void;
  const promise = new Promise<void>((a, b) => ((ok = a), (fail = b)));
  promise.catch(() => {}); // observed through fetch() / served(); never unhandled
  return { promise, ok, fail };
}

/** What the driver keeps per file: its pipeline, its children, and the source's bookkeeping. */
interface FileIO {
  readonly key: HierKey;
  readonly name: string;
  readonly plan: BlockPlan;
  readonly pipeline: FilePipeline;
  readonly fanout: Fanout;
  readonly resumedBytes: number;
  /** A transfer opened ahead (OpenOrigin, PrepareOrigin), not yet taking data. */
  prepared?: { offset: number; dl: ReturnType<typeof OriginSource.prepare> };
  /** A one-block file taken ahead (PrepareOrigin with `early`), waiting for FetchOrigin. */
  ahead?: AheadSource;
  readonly early?: (bytes: Buffer) => void;
  readonly componentsHint?: string[];
  /** Released limit in blocks, as told by the core. */
  released: number;
  /** The slices of the most recently stored block, for the live stream. */
  recent?: { index: number; slices: Buffer[] };
  complete: boolean;
  /** Settles when every block is verified on the medium. */
  done: Deferred;
  /** Settles when the board may leave the hierarchy: complete, and no child still served. */
  left: Deferred;
  /** Timing probe milestones already logged for this file (each once). */
  marked: Set<string>;
}

/**
 * The real-socket shell around the DLoad core for one board. It feeds the core
 * datagrams, stream requests, block results and the time, and carries out the
 * actions: datagrams (datagrams.ts), the origin and parent sources (origin-source.ts,
 * parent-link.ts) feeding each file's pipeline (pipeline.ts), children served from
 * it (child-server.ts, fanout.ts).
 */
export class PeerNode {
  private coreRef?: DLoadNode;
  private readonly log: Logger;
  private readonly dlog: Logger;
  private readonly udp: Datagrams;
  private readonly children: ChildServer;
  private timer?: NodeJS.Timeout;
  /** When a held component's first window is next due (primeHinted). */
  private primeTimer?: NodeJS.Timeout;
  /** The manifest's root takes the components too (fast election; docs/PROTOCOL.md, Inherited root). */
  private get inheritsRoots(): boolean {
    return (this.o.election ?? 'fast') === 'fast';
  }
  private timerAt = Infinity;
  private readonly files = new Map<HierKey, FileIO>();
  /** Transfers opened with a manifest taken ahead, for the components it names (FileIO.componentsHint), by file name. */
  private readonly hinted = new Map<string, { dl: ReturnType<typeof OriginSource.prepare>; by: HierKey; expiry: NodeJS.Timeout; primed?: boolean; widened?: boolean }>();
  private stopped = false;
  /** The ports bound by start() (the options' values, or the kernel's choice for 0). */
  tcpPort = 0;
  udpPort = 0;

  /** The origin as this board's transfers take it: with one in-flight budget for all of them (SackShare). */
  private readonly origin: OriginOptions;
  private readonly share = new SackShare();

  constructor(private readonly o: PeerNodeOptions) {
    this.origin = { ...o.origin, sackShare: this.share };
    this.log = o.logger ?? silentLogger;
    this.dlog = this.log.child('DLoad');
    this.udp = new Datagrams(o, this.dlog, (bytes, from) => {
      if (!this.stopped && this.coreRef) this.run(this.coreRef.onDatagram(performance.now(), from, bytes));
    });
    this.children = new ChildServer(this.dlog, (header) => {
      if (!this.stopped) this.run(this.core.onStreamRequest(performance.now(), header));
    });
  }

  /** The DLoad core; exists once start() bound the TCP port it advertises. */
  get core(): DLoadNode {
    if (!this.coreRef) throw new PfsError('PFS_ERR_NETWORK', `peer node ${this.o.addr}: start() it first`);
    return this.coreRef;
  }

  async start(): Promise<void> {
    this.tcpPort = await this.children.listen(this.o.tcpPort, this.o.addr);
    this.coreRef = new DLoadNode({
      nodeId: this.o.nodeId,
      model: this.o.model,
      tcpPort: this.tcpPort,
      addr: this.o.addr,
      forward: this.o.forward ?? 'cut',
      random: () => randomInt(0, 2 ** 32) / 2 ** 32,
      election: this.o.election,
      timers: this.o.timers,
    });
    this.dlog.dbg(`+++ fd=${this.children.fd} Listening on peer TCP port ${this.tcpPort}`);
    this.dlog.not('^.idl_child.c-openUDPPort');
    await this.udp.open();
    this.udpPort = this.udp.port;
    this.dlog.not(`|parent=-1><fd[0]=-1 fd[1]=-1 FULL=0`);
  }

  /**
   * Joins the hierarchy for `file`; resolves once the whole file is verified on flash.
   * Rejects with PFS_ERR_FLASH_WRITE (flash refused a write) or PFS_ERR_ORIGIN_CORRUPT
   * (this board was root and the origin's copy kept failing its hashes).
   */
  async fetch(file: WantedFile): Promise<void> {
    const existing = [...this.files.values()].find((f) => f.name === file.name);
    if (existing) return existing.done.promise;
    const path = join(this.o.dir, basename(file.name));
    let io!: FileIO;
    const pipeline = new FilePipeline(
      file.name,
      file.plan,
      file.medium ?? (() => fileMedium(path)),
      {
        // Cut-through: children get a block once its hash matched, while flash writes it
        // (docs/DATAPATH.md); the core counts it, and releases it, once it is on flash.
        verified: (index, slices) => {
          if (this.o.forward !== 'store') io.fanout.release(Math.min((index + 1) * file.plan.blockSize, file.plan.size), slices);
        },
        stored: (index, slices) => {
          io.recent = { index, slices };
          this.event({ type: 'BlockVerified', key: io.key, index });
        },
        corrupt: (index, source, e) => {
          this.log.wrn(e.message);
          if (source.kind === 'origin') io.prepared = undefined;
          this.event({ type: 'BlockCorrupt', key: io.key, index });
        },
        failed: (e) => {
          this.log.err(e.message, { code: e.code });
          this.event({ type: 'LocalFailure', key: io.key, code: 'PFS_ERR_FLASH_WRITE', reason: e.message });
        },
      },
      // Every file's writes tell the board's SackShare how fast its flash takes data.
      { checking: file.checking, flashWriting: this.share.flashWriting },
    );
    const kept = await pipeline.open();
    if (kept > 0) this.log.inf(`${file.name}: resuming after ${kept} verified blocks already on flash`);
    const inherit = file.inheritRootOf === undefined ? undefined : await this.settledRootOf(file.inheritRootOf);
    const spec = { name: file.name, size: file.plan.size, blockBytes: file.plan.blockSize, verifiedBlocks: kept, inherit };
    const { key, actions } = this.core.addFile(performance.now(), spec);
    io = {
      key,
      name: file.name,
      plan: file.plan,
      pipeline,
      resumedBytes: Math.min(file.plan.size, kept * file.plan.blockSize),
      fanout: new Fanout(
        pipeline.spool,
        file.plan.size,
        {
          served: (child) => this.event({ type: 'ChildGone', key, childId: Number(child), complete: true }),
          lost: (child) => this.event({ type: 'ChildGone', key, childId: Number(child), complete: false }),
        },
        { log: this.dlog, corrupt: this.o.faults?.corruptServed },
      ),
      released: 0,
      complete: false,
      done: deferred(),
      left: deferred(),
      marked: new Set(),
      early: file.early,
      componentsHint: file.componentsHint,
    };
    this.files.set(key, io);
    this.run(actions);
    return io.done.promise;
  }

  /**
   * Resolves once every file this board took part in is complete (or given up) and
   * none of its children is still being served: the board may reboot without
   * orphaning anyone.
   */
  served(): Promise<void> {
    return Promise.all([...this.files.values()].map((io) => io.left.promise)).then(() => {});
  }

  /**
   * The root of `name` once its election here has settled: a board that took the
   * manifest ahead while claiming (AheadSource) has it before it is confirmed, and on
   * a WAN of short round trips always does. Waits while this board claims or waits
   * for a stronger claimant, or is root in its data hold, at most SETTLE_MS (a claim
   * takes 0.3 s and a hold at most 1 s; the phone's timing inherits nothing).
   */
  private async settledRootOf(name: string): Promise<InheritedRoot | undefined> {
    const until = performance.now() + SETTLE_MS;
    for (;;) {
      const session = this.sessionOf(name);
      const role = session?.role;
      const settling = role === 'claiming' || role === 'waiting' || (role === 'root' && !session!.takingData);
      if (!settling || this.stopped || performance.now() >= until) return this.rootOf(name);
      await sleep(5);
    }
  }

  private sessionOf(name: string) {
    const io = [...this.files.values()].find((f) => f.name === name);
    return io && this.coreRef?.session(io.key);
  }

  /** The root this board knows now for `name`: itself, a peer, or none (no hierarchy, or still electing). */
  private rootOf(name: string): InheritedRoot | undefined {
    return this.sessionOf(name)?.inheritance(name);
  }

  status(): FileStatus[] {
    const out: FileStatus[] = [];
    for (const [key, io] of this.files) {
      const s = this.coreRef?.session(key);
      if (!s) continue;
      out.push({ ...fileView(s, this.o.nodeId, io.resumedBytes), name: io.name, maxQueuedBytes: io.pipeline.maxPendingBytes });
    }
    return out;
  }

  /** Leaves every hierarchy and closes every socket, children's included; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.primeTimer);
    // Its roots hear that it goes, so that they place no board under it from now on.
    if (this.coreRef) for (const a of this.coreRef.depart()) this.act(a);
    for (const name of [...this.hinted.keys()]) this.takeHinted(name)?.abort();
    const closing: Promise<void>[] = [this.udp.close(), this.children.stop()];
    for (const io of this.files.values()) {
      this.dropSource(io);
      io.fanout.close();
      closing.push(io.pipeline.close().catch(() => {}));
    }
    await Promise.all(closing);
  }

  // ---- feeding the core ------------------------------------------------------------

  private event(ev: DLoadEvent): void {
    if (this.stopped) return;
    this.run(this.core.onEvent(performance.now(), ev));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    // Node runs due timers before it reads the sockets. After this process was held
    // up (a starved CPU, a long GC), the adverts that arrived meanwhile are still
    // unread when the timer fires: a member would judge its root silent with the
    // root's adverts waiting in its socket, elect anew, and a second root would pull
    // the file through the WAN again. setImmediate runs after the poll phase, so the
    // core sees everything that arrived before it looks at the clock.
    setImmediate(this.onTick);
  };

  private readonly onTick = (): void => {
    if (this.stopped) return;
    this.run(this.core.tick(performance.now()));
  };

  /** Carries out actions in order, then sleeps until the core's next deadline. */
  private run(actions: DLoadAction[]): void {
    for (const a of actions) this.act(a);
    if (this.hinted.size > 0) this.primeHinted();
    const at = this.core.nextDeadline();
    if (at < this.timerAt && Number.isFinite(at) && !this.stopped) {
      clearTimeout(this.timer);
      this.timerAt = at;
      this.timer = setTimeout(this.onTimer, Math.max(0, at - performance.now()));
    }
  }

  private act(a: DLoadAction): void {
    switch (a.type) {
      case 'Log':
        return this.dlog.log(a.level, a.text);
      case 'SendBroadcast':
        return this.udp.broadcast(a.bytes);
      case 'SendUnicast':
        return this.udp.send(a.bytes, a.to.addr, a.to.port);
      case 'ConnectParent':
        return this.connectParent(a.key, a.parentId, a.parent.addr, a.parent.port, a.fromOffset);
      case 'DisconnectParent':
      case 'StopOrigin': {
        const io = this.files.get(a.key);
        if (io) this.dropSource(io);
        // A claim given up: the components' transfers opened with it are another root's to take.
        if (a.type === 'StopOrigin') this.dropHintedBy(a.key);
        return;
      }
      case 'OpenOrigin': {
        const io = this.files.get(a.key);
        if (!io || io.prepared || io.ahead) return;
        this.mark(io, 'claimant asks the origin');
        this.openTransfer(io, a.file, a.fromOffset);
        // The components it names, asked for now: their request's round trip overlaps the manifest's.
        if (this.takesAhead(io)) this.openHinted(io);
        return;
      }
      case 'PrepareOrigin': {
        const io = this.files.get(a.key);
        if (!io || io.ahead) return;
        if (this.takesAhead(io)) return this.takeAhead(io, a.file);
        if (!io.prepared) this.openTransfer(io, a.file, a.fromOffset);
        return;
      }
      case 'FetchOrigin':
        return this.fetchOrigin(a.key, a.file);
      case 'ServeChild': {
        const io = this.files.get(a.key);
        const sock = io && this.children.serve(a.key, a.childId, this.o.nodeId, io.plan.size, a.fromOffset);
        if (sock) io.fanout.add(sock, String(a.childId), a.fromOffset);
        return;
      }
      case 'RejectChild':
        return this.children.reject(a.key, a.childId, this.o.nodeId, a.status);
      case 'Release':
        return this.release(a.key, a.blocks);
      case 'FileComplete': {
        const io = this.files.get(a.key);
        if (!io || io.complete) return;
        io.complete = true;
        this.dropSource(io);
        io.done.ok();
        return;
      }
      case 'FileFailed': {
        const io = this.files.get(a.key);
        if (!io) return;
        this.dropSource(io);
        io.fanout.close();
        // The pipeline's own error names the device and offset; the core's names the origin.
        io.done.fail(io.pipeline.failed ?? new PfsError(a.code, `${a.file}: ${a.reason}`));
        io.left.ok();
        return;
      }
      case 'MayLeave':
        this.files.get(a.key)?.left.ok();
        return;
      default: {
        const unknown: never = a;
        throw new Error(`unhandled DLoad action ${JSON.stringify(unknown)}`);
      }
    }
  }

  // ---- sources: origin (root) or parent (member) -------------------------------------

  private dropSource(io: FileIO): void {
    io.pipeline.detach();
    io.ahead?.stop();
    io.ahead = undefined;
    io.prepared?.dl.abort();
    io.prepared = undefined;
  }

  private fetchOrigin(key: HierKey, file: string): void {
    const io = this.files.get(key);
    if (!io) return;
    this.mark(io, 'root takes data from the origin');
    const ahead = io.ahead;
    io.ahead = undefined;
    if (ahead) {
      ahead.onEnded((e) => this.originEnded(io, ahead, e));
      return io.pipeline.attach(ahead);
    }
    // A transfer prepared at any offset serves: TFTP always starts at 0 and the pipeline skips.
    const prepared = this.takePrepared(io) ?? this.takeHinted(file);
    // HTTP can start where flash ends (a root restarting with part of the file); TFTP
    // cannot seek, so OriginSource takes `from` only for HTTP and the pipeline skips.
    const from = io.pipeline.storedBlocks * io.plan.blockSize;
    const source: OriginSource = new OriginSource(this.origin, file, this.log.child('TFTP'), (e) => this.originEnded(io, source, e), prepared, from);
    io.pipeline.attach(firstBytes(source, () => this.mark(io, 'first byte from the origin')));
  }

  private originEnded(io: FileIO, source: Source, e?: Error): void {
    if (e) return this.event({ type: 'OriginFailed', key: io.key, reason: e.message });
    // The last block's BlockVerified completes the file; a transfer that ended
    // short of it served a file that is not the one planned.
    if (!io.pipeline.allQueued) {
      this.log.wrn(`${io.name}: ${source.label} ended the transfer before the last block`);
      this.event({ type: 'BlockCorrupt', key: io.key, index: io.pipeline.storedBlocks });
    }
  }

  /** Opens `file`'s origin transfer (request and options, no data): the one opened for a named component, else a new one. */
  private openTransfer(io: FileIO, file: string, offset: number): void {
    io.prepared = { offset, dl: this.takeHinted(file) ?? OriginSource.prepare(this.origin, file, this.log.child('TFTP')) };
  }

  /**
   * The transfer opened ahead for this file, now to be taken; undefined if none. One
   * whose request already failed (the server refused, or never answered) is not reused.
   */
  private takePrepared(io: FileIO): ReturnType<typeof OriginSource.prepare> | undefined {
    const dl = io.prepared?.dl;
    io.prepared = undefined;
    if (!dl?.failure) return dl;
    dl.abort();
    return undefined;
  }

  /** A one-block file its caller waits on (the manifest), none of it held yet: its claimant takes it ahead. */
  private takesAhead(io: FileIO): boolean {
    return !!io.early && io.plan.hashes.length === 1 && io.pipeline.storedBlocks === 0;
  }

  /**
   * A claimant of a one-block file its caller waits on (the manifest) takes it from
   * the origin at once rather than only opening the transfer: the caller may start on
   * what it names while the election still runs. Handed over only if it verifies. The
   * transfer opened with the claim (OpenOrigin) is the one that takes it, so its
   * request's round trip was paid during the first advert period.
   */
  private takeAhead(io: FileIO, file: string): void {
    this.mark(io, 'claimant takes data from the origin ahead');
    const opened = this.takePrepared(io);
    io.ahead = new AheadSource(this.origin, file, io.plan.size, this.log.child('TFTP'), (bytes) => {
      if (!createHash('sha256').update(bytes).digest().equals(io.plan.hashes[0]!)) {
        this.log.wrn(`${io.name}: the copy taken ahead from the origin does not match its SHA-256: waiting for the hierarchy`);
        return;
      }
      this.mark(io, 'whole file ahead of the election');
      io.early?.(bytes);
    }, opened);
    this.openHinted(io);
  }

  /** Opens (request and options, no data) the transfers of the components the configuration names with the manifest. */
  private openHinted(io: FileIO): void {
    for (const name of io.componentsHint ?? []) {
      if (this.hinted.has(name)) continue;
      const expiry = setTimeout(() => this.takeHinted(name)?.abort(), HINTED_MS).unref();
      this.hinted.set(name, { dl: OriginSource.prepare(this.origin, name, this.log.child('TFTP')), by: io.key, expiry });
    }
  }

  /**
   * The components the configuration names are this board's to take once it takes the
   * manifest's data as its root (Inherited root): each transfer opened with the
   * manifest takes the origin's first window one round trip before that moment, so the
   * window arrives as the board would take it, and waits unacknowledged until the
   * manifest verifies (TftpDownload.prime). That moment is the confirmation for the
   * fleet's preferred board, whose data hold is a few ms: its window is asked for in the
   * claim's last advert period. A board with a long hold (most likely one confirmed by
   * mistake, beside the real root) asks only near its hold's end, so it usually hears
   * the real root first and costs nothing. What a claim or a hold lost after the window
   * was asked for costs is that window per name, no more.
   */
  private primeHinted(): void {
    clearTimeout(this.primeTimer);
    this.primeTimer = undefined;
    // The phone's election gives each component an election of its own, which another
    // board may win: a window taken for it here would cross the WAN for nothing (4 of
    // them, 1.0124 copies per model, in an 8-board lab with --election phone).
    if (!this.inheritsRoots) return;
    const now = performance.now();
    let next = Infinity;
    for (const h of this.hinted.values()) {
      if (h.primed) continue;
      const at = this.coreRef?.session(h.by)?.takesDataAt(now);
      if (at === undefined || !Number.isFinite(at)) continue;
      const wait = at - h.dl.roundTripMs() - now;
      if (wait > 0) {
        next = Math.min(next, wait);
        continue;
      }
      h.primed = true;
      h.dl.prime();
    }
    if (Number.isFinite(next) && !this.stopped) this.primeTimer = setTimeout(() => this.primeHinted(), Math.ceil(next)).unref();
  }

  /**
   * The verified manifest lists these components. A board that is its root past the
   * data hold will take them (Inherited root): each transfer opened with the manifest
   * takes more ahead now, so the WAN keeps moving their bytes while the board makes its
   * slot ready, instead of idling from the first window until their pipelines start.
   * A name the manifest does not list keeps its one window.
   */
  certain(names: readonly string[]): void {
    if (!this.inheritsRoots) return;
    for (const name of names) {
      const h = this.hinted.get(name);
      if (!h || h.widened || !this.coreRef?.session(h.by)?.takingData) continue;
      h.widened = true;
      h.dl.prime(HINTED_AHEAD_BLOCKS);
    }
  }

  /** A transfer opened for a component named ahead (takeAhead), now this file's; undefined if none, or its request failed. */
  private takeHinted(name: string): ReturnType<typeof OriginSource.prepare> | undefined {
    const h = this.hinted.get(name);
    if (!h) return undefined;
    this.hinted.delete(name);
    clearTimeout(h.expiry);
    if (!h.dl.failure) return h.dl;
    h.dl.abort();
    return undefined;
  }

  private dropHintedBy(key: HierKey): void {
    for (const [name, h] of [...this.hinted]) if (h.by === key) this.takeHinted(name)?.abort();
  }

  private connectParent(key: HierKey, parentId: number, addr: string, port: number, fromOffset: number): void {
    const io = this.files.get(key);
    if (!io) return;
    this.mark(io, 'member connects to its parent');
    const link = new ParentLink(
      { key, file: io.name, nodeId: this.o.nodeId, parentId, addr, port, fromOffset, size: io.plan.size, blockSize: io.plan.blockSize, log: this.dlog },
      (refused) => {
        // A parent closes once it has sent everything; blocks may still be on their way to flash.
        if (refused || (!io.complete && !io.pipeline.allQueued)) this.event({ type: 'ParentLost', key, refused });
      },
    );
    io.pipeline.attach(link);
  }

  /**
   * The timing probe: one DBG line per milestone and file, with the ms since this
   * process started (what bench/first-byte.ts reads back from a lab's board logs).
   */
  private mark(io: FileIO, milestone: string): void {
    if (io.marked.has(milestone)) return;
    io.marked.add(milestone);
    this.log.dbg(`timing: ${milestone}`, { ...timingFields(), file: io.name });
  }

  private release(key: HierKey, blocks: number): void {
    const io = this.files.get(key);
    if (!io || blocks <= io.released) return;
    const live = io.recent && blocks === io.released + 1 && io.recent.index === blocks - 1 ? io.recent.slices : undefined;
    io.released = blocks;
    io.fanout.release(Math.min(blocks * io.plan.blockSize, io.plan.size), live);
  }
}

/** `source`, calling `first` when its first bytes reach the pipeline (the timing probe). */
function firstBytes(source: Source, first: () => void): Source {
  let seen = false;
  return {
    kind: source.kind,
    startsAt: source.startsAt,
    get label() {
      return source.label;
    },
    start: (sink) =>
      source.start((b) => {
        if (!seen) {
          seen = true;
          first();
        }
        return sink(b);
      }),
    resume: () => source.resume(),
    stop: () => source.stop(),
  };
}
