import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../log/logger';
import { decode, encodeError, encodeOAck, ErrorCode, Op, unwrapBlock, writeDataHeader, type Ack, type Options } from './packet';
import { acceptOptions, SACK_ACK_EVERY, SACK_MAX_AHEAD, SACK_MAX_RANGES, type Negotiated } from './options';
import { WindowControl, type SharedPath } from './window-control';
import { loopStalls } from '../loop-stall';

export interface TransferLimits {
  maxBlksize: number;
  maxWindowsize: number;
  /** Largest window in bytes; windowsize is lowered to fit (see acceptOptions). */
  maxWindowBytes?: number;
  /** Largest timeout option granted, seconds. */
  maxTimeoutS?: number;
  timeoutMs: number;
  retries: number;
  /** Windows in flight before waiting for an ACK: 1 is RFC 7440 lock-step. */
  pipeline: number;
  /** Whether a client's `sack` option is granted (see WindowControl). Default true. */
  sack?: boolean;
  /** Longest a `sackprobe` client may keep saying "wait" (room 0) while it answers the probes, ms. */
  maxPauseMs?: number;
}

/** Default of TransferLimits.maxPauseMs: a flash stalled for two minutes is a board in trouble. */
export const MAX_PAUSE_MS = 120_000;

export interface TransferInit {
  handle: FileHandle;
  size: number;
  name: string;
  asked: Options;
  peer: { address: string; port: number };
  bind: string;
  limits: TransferLimits;
  log: Logger;
  /** The path to this client's address, shared with the other transfers to it (WindowControlOptions.path). */
  path?: SharedPath;
  onSent(payloadBytes: number): void;
  /** The client was silent for two round trips and was probed (with `sack`). */
  onProbe(): void;
  onEnd(error?: Error): void;
}

/** Blocks of file read at once: a run of ready-to-send DATA packets, never changed after loading. */
interface Chunk {
  readonly packets: Buffer[];
}

const CHUNK_BYTES = 64 * 1024;
/** Buffers one readv may take (Linux's IOV_MAX). */
const IOV_MAX = 1024;
const MAX_BACKOFF = 8;
/** Send times kept per block (sack): more slots than blocks ever in flight. */
const SENT_RING = SACK_MAX_AHEAD * 2;

/**
 * The sending side of one read request, on its own socket (the server's TID).
 * RFC 7440 windows: send `windowsize` blocks, wait for the ACK of the last one; an
 * earlier ACK means the client missed what follows it, so the window restarts there.
 * Duplicate ACKs are ignored (no Sorcerer's Apprentice): only the timer resends.
 * With `sack` (docs/TFTP.md) the client names the blocks it misses, only those go
 * again, and WindowControl sizes the window instead of windowsize x pipeline.
 */
export class Transfer {
  private sock!: dgram.Socket;
  private readonly params: Negotiated;
  private readonly oack: Options;
  private readonly lastBlock: number;
  private readonly blocksPerChunk: number;
  private readonly cache = new Map<number, Promise<Chunk>>();
  private readonly peerName: string;
  private phase: 'oack' | 'data' | 'ended' = 'data';
  private acked = 0;
  private sentUpTo = 0;
  private gen = 0;
  private readonly windowEnds: number[] = [];
  private sending: Promise<void> = Promise.resolve();
  private misses = 0;
  /** When the client last said "wait" (room 0) after room to send (ms); 0: it is not waiting. */
  private pausedAt = 0;
  private timer?: NodeJS.Timeout;
  /** When the current wait began, and the loop-stall meter's reading then. */
  private waitFrom = 0;
  private waitStalls = 0;
  /** Leaves the loop-stall meter, entered at start(). */
  private leaveStalls = (): void => {};
  /** Counts arm() calls: a timer that was re-armed before its deferred look is stale. */
  private armed = 0;
  /** When each window in flight (by its last block) was queued, for the round-trip estimate. */
  private readonly sentAt = new Map<number, number>();
  /** Smoothed ACK round trip and its variation, ms (RFC 6298); undefined before the first sample. */
  private srtt?: number;
  private rttvar = 0;
  /**
   * Whether the client has ACKed a DATA block: it receives at this transfer's port, so
   * it is the one that asked. Until then one window is in flight, and a timeout resends
   * one block, not the window: a request with a forged source cannot turn the server
   * into an amplifier aimed at someone else.
   */
  private proven = false;
  /** Whether any ACK came from the client's TID (see TftpServer: a repeated request is answered again, not doubled). */
  heard = false;
  private bound = false;

  // With `sack` (the client keeps blocks past a gap and names what is missing):
  /** The window, sized by the round trip and the losses. */
  readonly control?: WindowControl;
  /** The highest block the client reported holding. */
  private high = 0;
  /** Highest block ever sent: a block at or below it goes again as a resend (no round-trip sample from it). */
  private maxSent = 0;
  /** When each block was sent (block % SENT_RING), NaN for a resend. */
  private readonly sentTime?: Float64Array;
  /** Holes the client reported that were sent again: when, and the last new block queued before. */
  private readonly resentAt = new Map<number, { at: number; after: number }>();
  /** Whether the short wait's probe (the unreported tail sent again) was made since the last progress. */
  private probed = false;
  /** Blocks past `high` the client takes now; 0 while its consumer is behind. */
  private room = SACK_MAX_AHEAD;

  constructor(private readonly t: TransferInit) {
    const { agreed, oack } = acceptOptions(t.asked, t.size, t.limits);
    if (!('timeout' in oack)) agreed.timeoutMs = t.limits.timeoutMs;
    this.params = agreed;
    this.oack = oack;
    this.lastBlock = Math.floor(t.size / agreed.blksize) + 1;
    this.blocksPerChunk = Math.max(agreed.windowsize, Math.ceil(CHUNK_BYTES / agreed.blksize));
    this.peerName = `${t.peer.address}:${t.peer.port}`;
    if (agreed.sack) {
      const floor = Math.min(agreed.windowsize, SACK_ACK_EVERY);
      this.control = new WindowControl({ initial: floor * 2, floor, ceiling: SACK_MAX_AHEAD, path: t.path });
      this.sentTime = new Float64Array(SENT_RING);
    }
  }

  start(): void {
    this.leaveStalls = loopStalls.enter();
    this.sock = dgram.createSocket(isIP(this.t.bind) === 6 ? 'udp6' : 'udp4');
    this.sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.sock.on('error', (e) => this.end(e));
    this.sock.bind(0, this.t.bind, () => {
      this.bound = true;
      if (Object.keys(this.oack).length > 0) {
        this.phase = 'oack';
        this.sendOAck();
      } else {
        this.restartFrom(1);
      }
    });
  }

  /** The client asked again before answering: send the first packet again now (no retry counted). */
  nudge(): void {
    if (!this.bound) return; // its first packet has not left yet
    if (this.phase === 'oack') this.sock.send(encodeOAck(this.oack), this.t.peer.port, this.t.peer.address);
    else if (this.phase === 'data' && !this.proven) {
      this.gen++;
      this.queueSend(this.acked + 1, this.acked + 1, true);
    }
  }

  /** Ends the transfer without a word to the client (it has started over). */
  abandon(why: string): void {
    this.end(new Error(why));
  }

  cancel(why: string): void {
    if (this.phase === 'ended') return;
    this.sendError(ErrorCode.NotDefined, why);
    this.end(new Error(why));
  }

  private sendOAck(): void {
    this.sock.send(encodeOAck(this.oack), this.t.peer.port, this.t.peer.address);
    this.arm();
  }

  /** The last ERROR sent; the socket is closed only once it has left. */
  private lastWord?: Promise<void>;

  private sendError(code: number, message: string): void {
    const sock = this.sock;
    this.lastWord = new Promise((ok) => sock.send(encodeError(code, message), this.t.peer.port, this.t.peer.address, () => ok()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port !== this.t.peer.port || rinfo.address !== this.t.peer.address) {
      this.sock.send(encodeError(ErrorCode.UnknownTid, 'Unknown transfer ID'), rinfo.port, rinfo.address);
      return;
    }
    const p = decode(msg);
    if (p.op === Op.ERROR) {
      this.t.log.dbg(`client ended ${this.t.name}: error ${p.code} ${p.message}`, { peer: this.peerName });
      this.end(new Error(`client sent error ${p.code}: ${p.message}`));
      return;
    }
    if (p.op !== Op.ACK) {
      this.sendError(ErrorCode.IllegalOperation, 'expected ACK');
      this.end(new Error(`client sent opcode ${p.op} during a read`));
      return;
    }
    this.heard = true;
    if (this.phase === 'oack') {
      if (p.block === 0) {
        this.phase = 'data';
        this.misses = 0;
        this.restartFrom(1);
      }
      return;
    }
    if (this.phase !== 'data') return;
    if (this.control) return this.onSackAck(p);
    const a = unwrapBlock(p.block, this.acked + 1);
    if (a <= this.acked || a > this.sentUpTo) return; // duplicate or stale: only the timer resends
    // A window's round trip. After a restart the ACK may be for the earlier copy (Karn):
    // that sample is too short, which costs nothing, as the wait never goes below the
    // agreed timeout.
    const at = this.sentAt.get(a);
    if (at !== undefined) this.sample(performance.now() - at);
    for (const end of this.sentAt.keys()) if (end <= a) this.sentAt.delete(end);
    this.acked = a;
    this.misses = 0;
    this.proven = true;
    if (a === this.lastBlock) {
      this.t.log.dbg(`sent ${this.t.name}`, { peer: this.peerName, bytes: this.t.size });
      this.end();
      return;
    }
    while (this.windowEnds.length > 0 && this.windowEnds[0]! < a) this.windowEnds.shift();
    if (this.windowEnds[0] === a) {
      this.windowEnds.shift();
      this.fillPipeline();
    } else {
      // An ACK inside a window: the client lost what follows it (RFC 7440). Start over there.
      this.restartFrom(a + 1);
    }
  }

  /**
   * With `sack`: the client holds up to `a` in order and up to `high` with holes.
   * Each hole goes again once a round trip while reported; new blocks go while fewer
   * than the window are unreported.
   */
  private onSackAck(p: Ack): void {
    const a = unwrapBlock(p.block, this.acked + 1);
    // After a timeout sentUpTo went back; what was sent before still counts.
    const top = Math.max(this.sentUpTo, this.maxSent);
    if (a < this.acked || a > top) return; // stale, or a block never sent
    const now = performance.now();
    const control = this.control!;
    let high = p.sack ? unwrapBlock(p.sack.high, a + 1) : a;
    if (high < a || high > top) high = a;
    if (high > this.sentUpTo) this.sentUpTo = high;
    if (p.sack) {
      // A client that said "wait" (room 0: its consumer is behind) answers the probes
      // while it waits: alive, so the wait is no loss, and when it opens again the next
      // timeout starts from the round trip, not from a backoff doubled per probe.
      if (this.room === 0) this.misses = 0;
      if (p.sack.room === 0 && this.pausedAt === 0) this.pausedAt = now;
      else if (p.sack.room > 0) this.pausedAt = 0;
      this.room = p.sack.room;
    }
    const holes = p.sack?.holes ?? [];
    // With `sackprobe`, the answer to a probe for a block the client lacks has that
    // block as `high` and in its last hole: everything up to it was sent, so what is
    // missing was lost. No round trip from it (the block is not there).
    const lastTo = holes.length >= 2 ? unwrapBlock(holes[holes.length - 1]!, high) : -1;
    const highMissing = this.params.sackProbe === true && lastTo === high;
    if (high > this.high) {
      const at = highMissing ? NaN : this.sentTime![high % SENT_RING]!;
      if (!Number.isNaN(at) && at > 0) {
        this.sample(now - at);
        control.rtt(now - at);
      }
      this.high = high;
    }
    if (a > this.acked) {
      this.acked = a;
      this.misses = 0;
      this.probed = false;
      this.proven = true;
    } else if (high > a) {
      this.misses = 0;
      this.probed = false;
    }
    if (a === this.lastBlock) {
      this.t.log.dbg(`sent ${this.t.name}`, { peer: this.peerName, bytes: this.t.size, peakWindow: control.peak, shrinks: control.shrinks });
      this.end();
      return;
    }
    // Resend what is reported missing. A hole sent again is lost again once the client
    // holds a block sent after it (the path keeps order), else after two round trips
    // (the round trip grows with the queue, and a report comes every few blocks).
    const again = Math.max(20, (this.srtt ?? this.params.timeoutMs) * 2);
    let lost = 0;
    let coveredTo = high;
    const reported = new Set<number>();
    for (let i = 0; i + 1 < holes.length; i += 2) {
      const from = Math.max(unwrapBlock(holes[i]!, a + 1), a + 1);
      const to = Math.min(unwrapBlock(holes[i + 1]!, from), highMissing ? high : high - 1);
      for (let b = from; b <= to; b++) {
        reported.add(b);
        const last = this.resentAt.get(b);
        if (last !== undefined && high <= last.after && now - last.at < again) continue;
        lost++;
        this.resentAt.set(b, { at: now, after: this.sentUpTo });
        this.queueSend(b, b, true);
      }
      if (holes.length >= SACK_MAX_RANGES * 2) coveredTo = to;
    }
    for (const b of this.resentAt.keys()) if (b <= a || (b <= coveredTo && !reported.has(b))) this.resentAt.delete(b);
    control.report(high, lost, this.sentUpTo);
    this.fillWindow();
  }

  /** With `sack`: new blocks while fewer than the window are unreported. */
  private fillWindow(): void {
    const flight = this.sentUpTo - this.high + this.resentAt.size;
    // Until the client has ACKed a DATA block, no more than a plain window (see `proven`).
    const window = this.proven ? this.control!.window : Math.min(this.control!.window, this.params.windowsize);
    const room = window - flight;
    const limit = Math.min(this.lastBlock, this.acked + SACK_MAX_AHEAD - 1, this.high + this.room);
    if (room > 0 && this.sentUpTo < limit) {
      const from = this.sentUpTo + 1;
      this.sentUpTo = Math.min(limit, this.sentUpTo + room);
      this.queueBlocks(from, this.sentUpTo);
    }
    this.control!.used(this.sentUpTo - this.high + this.resentAt.size);
    // Every block is on its way: what it has in flight is the others' on this path from
    // now on (what is left here is resends), not one round trip later when the last ACK comes.
    if (this.sentUpTo === this.lastBlock) this.control!.finished();
    this.arm();
  }

  /** Queues blocks `from`..`to` in runs that each lie in one chunk. */
  private queueBlocks(from: number, to: number): void {
    while (from <= to) {
      const end = Math.min(to, (this.chunkOf(from) + 1) * this.blocksPerChunk);
      this.queueSend(from, end);
      from = end + 1;
    }
  }

  /** Forgets what is in flight and sends again from `block`. */
  private restartFrom(block: number): void {
    this.gen++;
    this.windowEnds.length = 0;
    this.sentAt.clear();
    this.sentUpTo = block - 1;
    if (this.control) {
      this.resentAt.clear();
      this.fillWindow();
      return;
    }
    this.fillPipeline();
  }

  /** Keeps `pipeline` windows in flight (1 = RFC 7440 lock-step). */
  private fillPipeline(): void {
    const depth = this.proven ? this.t.limits.pipeline : 1;
    while (this.windowEnds.length < depth && this.sentUpTo < this.lastBlock) {
      const from = this.sentUpTo + 1;
      const to = Math.min(from + this.params.windowsize - 1, this.lastBlock);
      this.sentUpTo = to;
      this.windowEnds.push(to);
      this.sentAt.set(to, performance.now());
      this.queueSend(from, to);
    }
    this.arm();
  }

  /** Before the client has ACKed any DATA: the first block again, alone (see `proven`). */
  private resendFirst(): void {
    this.gen++;
    this.queueSend(this.acked + 1, this.acked + 1, true);
    this.arm();
  }

  /** Sends are chained so windows leave in order even when their reads finish out of order. */
  private queueSend(from: number, to: number, single = false): void {
    const gen = this.gen;
    this.sending = this.sending.then(async () => {
      if (gen !== this.gen || this.phase !== 'data') return;
      try {
        const first = this.chunkOf(from);
        const last = this.chunkOf(to);
        const a = await this.load(first);
        const b = last === first ? a : await this.load(last);
        if (gen !== this.gen || this.phase !== 'data') return;
        const times = this.sentTime;
        const now = times ? performance.now() : 0;
        for (let blk = from; blk <= to; blk++) {
          const chunk = this.chunkOf(blk) === first ? a : b;
          const pkt = chunk.packets[(blk - 1) % this.blocksPerChunk]!;
          this.sock.send(pkt, this.t.peer.port, this.t.peer.address);
          this.t.onSent(pkt.length - 4);
          if (times) {
            // Karn: a block sent twice gives no round trip (which copy was answered?).
            times[blk % SENT_RING] = blk <= this.maxSent ? NaN : now;
            if (blk > this.maxSent) this.maxSent = blk;
          }
        }
      } catch (e) {
        this.sendError(ErrorCode.NotDefined, 'read error on server');
        this.end(e as Error);
        return;
      }
      // Read the next chunk while this window is on the wire.
      if (to < this.lastBlock && !single) void this.load(this.chunkOf(to + 1)).catch(() => {});
    });
  }

  private chunkOf(block: number): number {
    return Math.floor((block - 1) / this.blocksPerChunk);
  }

  /** Reads a chunk with one readv straight into its packets' payload areas. */
  private load(c: number): Promise<Chunk> {
    const cached = this.cache.get(c);
    if (cached) return cached;
    // With `sack` a hole may be sent again from anywhere the client has not acknowledged.
    const keep = this.control ? Math.min(c - 1, this.chunkOf(this.acked + 1)) : c - 1;
    for (const k of this.cache.keys()) if (k < keep) this.cache.delete(k);
    const { blksize } = this.params;
    const firstBlock = c * this.blocksPerChunk + 1;
    const n = Math.min(this.blocksPerChunk, this.lastBlock - firstBlock + 1);
    const pos = (firstBlock - 1) * blksize;
    const dataLen = Math.min(n * blksize, this.t.size - pos);
    const buf = Buffer.allocUnsafe(n * 4 + dataLen);
    const packets: Buffer[] = [];
    const views: Buffer[] = [];
    let off = 0;
    for (let i = 0; i < n; i++) {
      const len = Math.max(0, Math.min(blksize, this.t.size - pos - i * blksize));
      writeDataHeader(buf.subarray(off, off + 4), firstBlock + i);
      if (len > 0) views.push(buf.subarray(off + 4, off + 4 + len));
      packets.push(buf.subarray(off, off + 4 + len));
      off += 4 + len;
    }
    const p = (async () => {
      // At most IOV_MAX buffers a call: below blksize 64 a chunk has more packets than that, and readv refuses.
      for (let k = 0, at = pos; k < views.length; k += IOV_MAX) {
        const part = views.slice(k, k + IOV_MAX);
        const want = part.reduce((sum, v) => sum + v.length, 0);
        const { bytesRead } = await this.t.handle.readv(part, at);
        if (bytesRead !== want) throw new Error(`${this.t.name} shrank while being served`);
        at += want;
      }
      return { packets };
    })();
    this.cache.set(c, p);
    return p;
  }

  private arm(): void {
    clearTimeout(this.timer);
    const armed = ++this.armed;
    // The round trip may raise the first wait, never the ceiling of the backed-off one
    // (the agreed timeout x MAX_BACKOFF, as the client's): a server that waited longer
    // than a lossy client's whole patience let the client give up first, since a
    // duplicate ACK never makes it resend (Sorcerer's Apprentice).
    const wait = this.probeWait() ?? Math.min(this.baseRto() * 2 ** this.misses, this.params.timeoutMs * MAX_BACKOFF);
    this.waitFrom = performance.now();
    this.waitStalls = loopStalls.reading();
    this.waitFor(armed, wait, wait);
  }

  /**
   * Looks again in `ms`. Node runs due timers before it reads the sockets: after the
   * process was busy (a slow or emulated CPU) the timer would resend a window whose ACK
   * already waits in the socket. So it looks only after the sockets are read
   * (setImmediate runs after the poll phase); an ACK read then has re-armed it. And the
   * time the process was held up is no silence of the client's (loop-stall.ts): the
   * wait goes on by that much, up to the longest a client waits.
   */
  private waitFor(armed: number, ms: number, wait: number): void {
    this.timer = setTimeout(
      () =>
        setImmediate(() => {
          if (armed !== this.armed || this.phase === 'ended') return;
          const elapsed = performance.now() - this.waitFrom;
          const silent = elapsed - (loopStalls.reading() - this.waitStalls);
          if (silent < wait && elapsed < wait + this.params.timeoutMs * MAX_BACKOFF) return this.waitFor(armed, wait - silent, wait);
          this.expire();
        }),
      ms,
    );
  }

  /**
   * With `sack`, the first wait after progress is short (two round trips): when it
   * runs out the sender probes (one block again, see expire()) instead of waiting the
   * whole timeout for a tail whose loss the client cannot report.
   */
  private probeWait(): number | undefined {
    if (!this.control || !this.proven || this.probed || this.srtt === undefined || this.room === 0) return undefined;
    return Math.min(this.baseRto(), Math.max(100, 2 * this.srtt, this.srtt + 4 * this.rttvar));
  }

  private sample(ms: number): void {
    if (this.srtt === undefined) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
  }

  /**
   * The wait before a resend (RFC 6298): the agreed timeout, or longer when ACKs take
   * longer, so a window still on its way through a slow link or a busy process (qemu)
   * is not sent a second time behind itself. Each timeout in a row doubles it (arm()).
   */
  private baseRto(): number {
    const t = this.params.timeoutMs;
    return this.srtt === undefined ? t : Math.min(Math.max(t, this.srtt + 4 * this.rttvar), t * MAX_BACKOFF);
  }

  private expire(): void {
    if (this.control && this.phase === 'data' && this.proven && !this.probed && this.srtt !== undefined && this.room > 0) {
      // The probe: the client that gets it reports what it lacks, and only that goes
      // again; no retry is counted.
      this.probed = true;
      this.t.onProbe();
      if (this.params.sackProbe) {
        // No data (sackprobe): a client whose report was only late answers with what it
        // holds, and one that lost the tail names it, up to the block probed for.
        this.sendEmptyProbe('no report');
      } else {
        // The last block sent (or the first missing) again.
        const b = this.sentUpTo > this.high ? this.sentUpTo : this.acked + 1;
        this.t.log.dbg(`no report for ${this.t.name}: probing with block ${b}`, { peer: this.peerName });
        this.queueSend(b, b, true);
      }
      this.arm();
      return;
    }
    if (this.misses >= this.t.limits.retries) {
      this.sendError(ErrorCode.NotDefined, 'timed out');
      this.end(new Error(`no ACK from ${this.peerName} after ${this.misses + 1} tries`));
      return;
    }
    this.misses++;
    const waiting = this.control !== undefined && this.proven && this.room === 0;
    // A client that said "wait" is not sent anything again (its probe is logged below).
    if (!waiting) this.t.log.dbg(`no ACK for ${this.t.name}: resending from block ${this.acked + 1}`, { peer: this.peerName, try: this.misses, rtoMs: Math.round(this.baseRto()) });
    if (this.phase === 'oack') this.sendOAck();
    else if (waiting) {
      // The client's consumer is behind (a slow flash, or a primed window held until its
      // manifest verifies): it says when to go on. Meanwhile a timeout counts towards
      // giving up on a client gone; with `sackprobe` it also asks, without data, whether
      // the client is still there, and its answer (room 0 still) resets that count, so a
      // wait longer than the server's patience does not cost the transfer (and the WAN
      // a second copy of what it had sent).
      if (this.params.sackProbe) {
        const limit = this.t.limits.maxPauseMs ?? MAX_PAUSE_MS;
        if (this.pausedAt > 0 && performance.now() - this.pausedAt > limit) {
          // Alive but waiting for ever (a consumer stuck, or a client holding the slot): bounded.
          this.sendError(ErrorCode.NotDefined, 'waited too long');
          this.end(new Error(`${this.peerName} said "wait" for more than ${limit / 1000} s`));
          return;
        }
        this.t.onProbe();
        this.sendEmptyProbe('waiting client');
      }
      this.arm();
    } else if (this.control && this.proven) {
      // A whole timeout without a word: what the client never reported counts as lost.
      this.control.timeout();
      this.restartFrom(Math.max(this.high, this.acked + 1) + 1);
      this.queueSend(this.acked + 1, this.acked + 1, true);
    } else if (this.proven) this.restartFrom(this.acked + 1);
    else this.resendFirst();
  }

  /**
   * An empty DATA numbered with the last block sent (`sackprobe`), behind whatever is
   * queued: the path keeps order, so the client has seen (or lost) every block up to
   * it when it arrives, and answers with a report at once.
   */
  private sendEmptyProbe(why: string): void {
    const b = this.sentUpTo;
    const gen = this.gen;
    this.t.log.dbg(`${why} for ${this.t.name}: probing for block ${b}, without data`, { peer: this.peerName });
    this.sending = this.sending.then(() => {
      if (gen === this.gen && this.phase === 'data') this.sock.send(writeDataHeader(Buffer.allocUnsafe(4), b), this.t.peer.port, this.t.peer.address);
    });
  }

  private end(error?: Error): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    clearTimeout(this.timer);
    this.leaveStalls();
    if (error) this.t.log.inf(`transfer of ${this.t.name} to ${this.peerName} failed: ${error.message}`);
    this.cache.clear();
    const sock = this.sock;
    // Closing at once would drop an ERROR still on its way to the client.
    if (this.lastWord) void this.lastWord.then(() => sock.close());
    else sock.close();
    void this.t.handle.close();
    this.t.onEnd(error);
  }
}
