import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { basename, join } from 'node:path';
import type { Logger } from '../../log/logger';
import { silentLogger } from '../../log/logger';
import { PfsError } from '../../errors';
import { DLoadNode, type DLoadAction, type FileSpec, type HierKey, type Timers } from '../../dload/index';
import { decode, encode, STREAM_STATUS } from '../../dload/wire';
import { BlockAssembler, BlockCorruptError, type BlockPlan } from './block-assembler';
import { fileMedium, Spool, type SpoolMedium } from './spool';
import { Fanout } from './fanout';
import { tftpGet, type TftpDownload } from '../tftp/client';

export interface OriginOptions {
  host: string;
  port: number;
  blksize?: number;
  windowsize?: number;
  timeoutMs?: number;
}

export interface PeerNodeOptions {
  /** XID of this board on the subnet (u32, e.g. the low bytes of its MAC). */
  nodeId: number;
  model: string;
  /** This board's own address: peers connect to it; unicast datagrams come to it. */
  addr: string;
  /** UDP port for datagrams addressed to this board; equal to `broadcast.port` on a real subnet. */
  udpPort: number;
  /** Where hierarchy adverts go: the subnet broadcast address and the shared peer port (4051). */
  broadcast: { addr: string; port: number };
  /** TCP port children connect to (4051 on a real subnet). */
  tcpPort: number;
  origin: OriginOptions;
  /** Folder the files are written to (the flash spool). */
  dir: string;
  forward?: 'cut' | 'store';
  logger?: Logger;
  timers?: Partial<Timers>;
}

/** A file this board wants: what the engine needs plus the SHA-256 list that guards every block. */
export interface WantedFile {
  name: string;
  plan: BlockPlan;
  /** Where the file is written (a flash slot); default a file named like it in `dir`. */
  medium?: () => Promise<SpoolMedium>;
  /** Blocks already on the medium and checked against the plan (a resume after a reboot). */
  verifiedBlocks?: number;
}

export interface FileStatus {
  name: string;
  role: string;
  size: number;
  verifiedBytes: number;
  complete: boolean;
  parentId: number | null;
  rootId: number | null;
  depth: number;
  children: number;
  /** Most children this board served at once for this file. */
  maxChildren: number;
}

/** Appends waiting for flash before the source is paused. */
const MAX_PENDING_APPENDS = 16;
const STREAM_REQUEST_BYTES = 26;
const STREAM_RESPONSE_BYTES = 35;

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

interface FileIO {
  readonly key: HierKey;
  readonly name: string;
  readonly plan: BlockPlan;
  readonly spool: Spool;
  readonly fanout: Fanout;
  /** Increases with every new source; callbacks of an older source are ignored. */
  source: number;
  parent?: net.Socket;
  origin?: TftpDownload;
  /** A transfer opened ahead (PrepareOrigin), not yet taking data. */
  prepared?: { offset: number; dl: TftpDownload };
  /** Next block index handed to the spool (what is queued or written). */
  queued: number;
  /** Released limit in blocks, as told by the core. */
  released: number;
  pending: number;
  paused?: () => void;
  /** The slices of the most recently verified block, for the live stream. */
  recent?: { index: number; slices: Buffer[] };
  complete: boolean;
  /** Settles when every block is verified on the medium. */
  done: Deferred;
  /** Settles when the board may leave the hierarchy: complete, and no child still served. */
  left: Deferred;
}

/**
 * The real-socket shell around the DLoad core for one board: UDP adverts on the
 * shared peer port, TCP to parent and children, TFTP to the origin when root, the
 * spool on flash. It feeds the core events and the time, and carries out its actions.
 */
export class PeerNode {
  readonly core: DLoadNode;
  private readonly log: Logger;
  private readonly dlog: Logger;
  private bcast?: dgram.Socket;
  private ucast?: dgram.Socket;
  private server?: net.Server;
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private readonly files = new Map<HierKey, FileIO>();
  /** Children that sent a StreamRequest and await the core's ServeChild / RejectChild. */
  private readonly waitingChildren = new Map<string, net.Socket>();
  private stopped = false;

  constructor(private readonly o: PeerNodeOptions) {
    this.log = o.logger ?? silentLogger;
    this.dlog = this.log.child('DLoad');
    this.core = new DLoadNode({
      nodeId: o.nodeId,
      model: o.model,
      tcpPort: o.tcpPort,
      addr: o.addr,
      forward: o.forward ?? 'cut',
      random: () => randomInt(0, 2 ** 32) / 2 ** 32,
      timers: o.timers,
    });
  }

  async start(): Promise<void> {
    const server = net.createServer((sock) => this.onChildConnection(sock));
    this.server = server;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.o.tcpPort, this.o.addr, () => ok());
    });
    const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1;
    this.dlog.dbg(`+++ fd=${fd} Listening on peer TCP port ${this.o.tcpPort}`);
    this.dlog.not('^.idl_child.c-openUDPPort');
    this.bcast = await udpSocket(this.o.broadcast.port, '0.0.0.0', true);
    this.bcast.on('message', (m, r) => this.onDatagram(m, r));
    if (this.o.udpPort !== this.o.broadcast.port) {
      this.ucast = await udpSocket(this.o.udpPort, this.o.addr, false);
      this.ucast.on('message', (m, r) => this.onDatagram(m, r));
    }
    this.dlog.not(`|parent=-1><fd[0]=-1 fd[1]=-1 FULL=0`);
  }

  /** Joins the hierarchy for `file`; resolves once the whole file is verified on flash. */
  fetch(file: WantedFile): Promise<void> {
    const verified = file.verifiedBlocks ?? 0;
    const spec: FileSpec = { name: file.name, size: file.plan.size, blockBytes: file.plan.blockSize, verifiedBlocks: verified };
    const now = performance.now();
    const { key, actions } = this.core.addFile(now, spec);
    let io = this.files.get(key);
    if (!io) {
      const keep = Math.min(file.plan.size, verified * file.plan.blockSize);
      const path = join(this.o.dir, basename(file.name));
      const spool = new Spool(file.name, file.medium ?? (() => fileMedium(path)), keep);
      const created: FileIO = {
        key,
        name: file.name,
        plan: file.plan,
        spool,
        fanout: new Fanout(spool, file.plan.size, {
          served: (child) => this.event({ type: 'ChildGone', key, childId: Number(child), complete: true }),
          lost: (child) => this.event({ type: 'ChildGone', key, childId: Number(child), complete: false }),
        }),
        source: 0,
        queued: verified,
        released: 0,
        pending: 0,
        complete: false,
        done: deferred(),
        left: deferred(),
      };
      io = created;
      this.files.set(key, io);
      void spool.open().then(
        () => this.run(actions),
        (e: Error) => created.done.fail(e),
      );
    }
    return io.done.promise;
  }

  /**
   * Resolves once every file this board took part in is complete and none of its
   * children is still being served: the board may reboot without orphaning anyone.
   */
  served(): Promise<void> {
    return Promise.all([...this.files.values()].map((io) => io.left.promise)).then(() => {});
  }

  status(): FileStatus[] {
    const out: FileStatus[] = [];
    for (const [key, io] of this.files) {
      const s = this.core.session(key);
      if (!s) continue;
      out.push({
        name: io.name,
        role: s.role,
        size: io.plan.size,
        verifiedBytes: s.heldBytes,
        complete: s.complete,
        parentId: s.parent?.id ?? null,
        rootId: s.role === 'root' ? this.o.nodeId : (s.root?.id ?? null),
        depth: s.depth,
        children: s.children.size,
        maxChildren: s.stats.maxChildren,
      });
    }
    return out;
  }

  /** Leaves every hierarchy and closes every socket; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    for (const io of this.files.values()) {
      io.source++;
      io.parent?.destroy();
      io.origin?.abort();
      io.fanout.close();
      await io.spool.close().catch(() => {});
    }
    for (const s of this.waitingChildren.values()) s.destroy();
    this.bcast?.close();
    this.ucast?.close();
    await new Promise<void>((ok) => (this.server ? this.server.close(() => ok()) : ok()));
  }

  // ---- feeding the core ------------------------------------------------------------

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.stopped) return;
    this.run(this.core.onDatagram(performance.now(), { addr: rinfo.address, port: rinfo.port }, msg));
  }

  private event(ev: Parameters<DLoadNode['onEvent']>[1]): void {
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
        return this.sendUdp(a.bytes, this.o.broadcast.port, this.o.broadcast.addr);
      case 'SendUnicast':
        return this.sendUdp(a.bytes, a.to.port, a.to.addr);
      case 'ConnectParent':
        return this.connectParent(a.key, a.parentId, a.parent.addr, a.parent.port, a.fromOffset);
      case 'DisconnectParent': {
        const io = this.files.get(a.key);
        if (io) this.dropSource(io);
        return;
      }
      case 'PrepareOrigin': {
        const io = this.files.get(a.key);
        if (!io || io.origin || io.prepared) return;
        io.prepared = { offset: a.fromOffset, dl: tftpGet({ ...this.o.origin, file: a.file, logger: this.log.child('TFTP'), hold: true }) };
        io.prepared.dl.negotiated.catch(() => {});
        return;
      }
      case 'FetchOrigin':
        return this.fetchOrigin(a.key, a.file, a.fromOffset);
      case 'StopOrigin': {
        const io = this.files.get(a.key);
        if (io?.origin || io?.prepared) this.dropSource(io);
        return;
      }
      case 'ServeChild':
        return this.serveChild(a.key, a.childId, a.fromOffset);
      case 'RejectChild':
        return this.rejectChild(a.key, a.childId, a.status);
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
        io.done.fail(new PfsError(a.code, `${a.file}: ${a.reason}`));
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

  private sendUdp(bytes: Buffer, port: number, addr: string): void {
    (this.ucast ?? this.bcast)?.send(bytes, port, addr);
  }

  // ---- sources: origin (root) or parent (member) -------------------------------------

  private dropSource(io: FileIO): void {
    io.source++;
    io.parent?.destroy();
    io.parent = undefined;
    io.origin?.abort();
    io.origin = undefined;
    io.prepared?.dl.abort();
    io.prepared = undefined;
    io.paused = undefined;
  }

  /** An assembler for a new source that starts at `fromOffset`, feeding the spool. */
  private assembler(io: FileIO, fromOffset: number, name: string): { push: (b: Buffer) => boolean; source: number } {
    this.dropSource(io);
    const source = io.source;
    const first = Math.floor(fromOffset / io.plan.blockSize);
    const asm = new BlockAssembler(io.plan, first, name, {
      verified: (index, slices, length) => {
        // Blocks already queued from an earlier source are the same bytes: skip them.
        if (index < io.queued) return;
        io.queued = index + 1;
        io.pending++;
        io.spool.append(slices, length, (err) => {
          io.pending--;
          if (err) {
            this.log.err(`flash write of ${io.name} failed: ${err.message}`);
            io.done.fail(err);
            return;
          }
          io.recent = { index, slices };
          this.event({ type: 'BlockVerified', key: io.key, index });
          if (io.pending < MAX_PENDING_APPENDS / 2 && io.paused) {
            const resume = io.paused;
            io.paused = undefined;
            resume();
          }
        });
      },
    });
    const push = (b: Buffer): boolean => {
      if (io.source !== source) return true;
      try {
        asm.push(b);
      } catch (e) {
        if (!(e instanceof BlockCorruptError)) throw e;
        this.log.wrn(e.message);
        this.dropSource(io);
        this.event({ type: 'BlockCorrupt', key: io.key, index: e.block });
        return true;
      }
      return io.pending < MAX_PENDING_APPENDS;
    };
    return { push, source };
  }

  private fetchOrigin(key: HierKey, file: string, fromOffset: number): void {
    const io = this.files.get(key);
    if (!io) return;
    const prepared = io.prepared?.offset === fromOffset ? io.prepared.dl : undefined;
    if (prepared) io.prepared = undefined; // keep it from being aborted with the old source
    const { push, source } = this.assembler(io, fromOffset, `origin ${this.o.origin.host}:${this.o.origin.port}`);
    const dl = prepared ?? tftpGet({ ...this.o.origin, file, logger: this.log.child('TFTP') });
    io.origin = dl;
    dl.begin();
    // TFTP cannot seek: a resumed root reads from the start and skips what it holds.
    let skip = fromOffset;
    dl.deliver((b) => {
      if (skip > 0) {
        if (b.length <= skip) {
          skip -= b.length;
          return true;
        }
        b = b.subarray(skip);
        skip = 0;
      }
      const more = push(b);
      if (!more) io.paused = () => dl.resume();
      return more;
    }).then(
      () => {},
      (e: Error) => {
        if (io.source !== source) return;
        io.origin = undefined;
        this.event({ type: 'OriginFailed', key, reason: e.message });
      },
    );
  }

  private connectParent(key: HierKey, parentId: number, addr: string, port: number, fromOffset: number): void {
    const io = this.files.get(key);
    if (!io) return;
    const { push, source } = this.assembler(io, fromOffset, `parent ${addr}:${port}`);
    const sock = net.connect({ host: addr, port, noDelay: true });
    io.parent = sock;
    sock.setKeepAlive(true, 5000);
    sock.write(encode({ type: 'StreamRequest', key, sender: this.o.nodeId, offset: fromOffset }));
    let header: Buffer | undefined = Buffer.alloc(0);
    let reported = false;
    const lost = (refused: boolean) => {
      if (reported || io.source !== source) return;
      reported = true;
      io.parent = undefined;
      this.event({ type: 'ParentLost', key, refused });
    };
    sock.on('data', (chunk: Buffer) => {
      if (io.source !== source) return;
      if (header) {
        // The header is 35 bytes once per connection; collecting it is not the data path.
        header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
        if (header.length < STREAM_RESPONSE_BYTES) return;
        const r = decode(header.subarray(0, STREAM_RESPONSE_BYTES));
        const rest = header.subarray(STREAM_RESPONSE_BYTES);
        header = undefined;
        if (r.type !== 'StreamResponse' || r.status !== STREAM_STATUS.OK || r.offset !== fromOffset || r.size !== io.plan.size) {
          this.dlog.inf(`parent ${parentId.toString(16)} refused ${io.name}: ${r.type === 'StreamResponse' ? `status ${r.status}` : 'bad header'}`);
          sock.destroy();
          lost(true);
          return;
        }
        if (rest.length === 0) return;
        chunk = rest;
      }
      if (!push(chunk)) {
        sock.pause();
        io.paused = () => sock.resume();
      }
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      // A parent closes once it has sent everything; blocks may still be on their way to flash.
      if (!io.complete && io.queued < Math.ceil(io.plan.size / io.plan.blockSize)) lost(false);
    });
  }

  // ---- children ----------------------------------------------------------------------

  private onChildConnection(sock: net.Socket): void {
    sock.setNoDelay(true);
    let header: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
      if (header.length < STREAM_REQUEST_BYTES) return;
      sock.off('data', onData);
      sock.pause();
      const req = decode(header.subarray(0, STREAM_REQUEST_BYTES));
      if (req.type !== 'StreamRequest') {
        sock.destroy();
        return;
      }
      this.waitingChildren.set(`${req.key}/${req.sender}`, sock);
      sock.on('close', () => this.waitingChildren.delete(`${req.key}/${req.sender}`));
      this.run(this.core.onStreamRequest(performance.now(), header));
    };
    sock.on('data', onData);
    sock.on('error', () => {});
    sock.setTimeout(10_000, () => {
      if (header.length < STREAM_REQUEST_BYTES) sock.destroy();
    });
  }

  private serveChild(key: HierKey, childId: number, fromOffset: number): void {
    const sock = this.waitingChildren.get(`${key}/${childId}`);
    const io = this.files.get(key);
    if (!sock || !io) return;
    this.waitingChildren.delete(`${key}/${childId}`);
    sock.setTimeout(0);
    sock.write(encode({ type: 'StreamResponse', key, sender: this.o.nodeId, status: STREAM_STATUS.OK, size: io.plan.size, offset: fromOffset }));
    // The child only ever reads; anything more it sends is ignored.
    sock.resume();
    io.fanout.add(sock, String(childId), fromOffset);
  }

  private rejectChild(key: HierKey, childId: number, status: number): void {
    const sock = this.waitingChildren.get(`${key}/${childId}`);
    if (!sock) return;
    this.waitingChildren.delete(`${key}/${childId}`);
    sock.end(encode({ type: 'StreamResponse', key: key || '0'.repeat(16), sender: this.o.nodeId, status: status as 0, size: 0, offset: 0 }));
  }

  private release(key: HierKey, blocks: number): void {
    const io = this.files.get(key);
    if (!io || blocks <= io.released) return;
    const live = io.recent && blocks === io.released + 1 && io.recent.index === blocks - 1 ? io.recent.slices : undefined;
    io.released = blocks;
    io.fanout.release(Math.min(blocks * io.plan.blockSize, io.plan.size), live);
  }
}

function udpSocket(port: number, addr: string, broadcast: boolean): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: broadcast });
  return new Promise((ok, fail) => {
    s.once('error', fail);
    s.bind(port, addr, () => {
      s.off('error', fail);
      s.setBroadcast(true);
      ok(s);
    });
  });
}
