import dgram from 'node:dgram';
import { open, rename, rm } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { writeAll } from '../../io/write-all';
import type { Logger } from '../../log/logger';
import { silentLogger } from '../../log/logger';
import { decode, encodeAck, encodeError, encodeRequest, encodeSackAck, ErrorCode, Op, unwrapBlock, type Options } from './packet';
import { checkOAck, defaults, MAX_BLKSIZE, MAX_WINDOWSIZE, MIN_BLKSIZE, SACK_ACK_EVERY, SACK_MAX_AHEAD, SACK_MAX_RANGES, type Negotiated } from './options';
import { PfsError } from '../../errors';
import { TftpAbortedError, TftpNetworkError, TftpOptionError, TftpOutputError, TftpProtocolError, TftpRemoteError, TftpTimeoutError } from './errors';

export interface TftpGetOptions {
  host: string;
  /** Server port for the request; default 69. */
  port?: number;
  /** Local address the client's socket binds to (its source address). Default any: the route's. */
  localAddress?: string;
  file: string;
  /** Requested payload bytes per packet (RFC 2348); the server may lower it. Default 512 (not asked). */
  blksize?: number;
  /** Requested blocks per ACK (RFC 7440); the server may lower it. Default 1 (not asked). */
  windowsize?: number;
  /** Retransmission timeout in ms, default 1000. Whole seconds are also offered to the server (RFC 2349). */
  timeoutMs?: number;
  /** Retransmissions of one packet before giving up; the wait doubles each time. Default 5. */
  retries?: number;
  /** Upper bound for the whole transfer in ms; default none (retries bound a stalled one). */
  deadlineMs?: number;
  /** Ask the server for the file size (RFC 2349). Default true. */
  tsize?: boolean;
  /**
   * Ask for selective acknowledgement (this project's `sack` option, docs/TFTP.md):
   * blocks past a lost one are kept and only the lost one is sent again, and a server
   * that grants it sizes its window by the round trip. A server that does not know
   * the option leaves it out of its OACK (RFC 2347) and the transfer is plain RFC 7440.
   * Default true when windowsize is above 1.
   */
  sack?: boolean;
  /**
   * With `sack`: bytes the server may have in flight past the last block held in
   * order (what lands when the consumer pauses; one transfer moves at most this per
   * round trip). Default 256 KiB: 14 Mbit/s per transfer at 150 ms. A function is
   * asked at each ACK (a board's share among its transfers: SackShare). At most 4096 blocks.
   */
  sackWindowBytes?: number | (() => number);
  /**
   * With `sack` and `tsize`: ask that the server probe a silence with an empty DATA
   * packet instead of a block sent again (this project's `sackprobe` option,
   * docs/TFTP.md). Default true.
   */
  sackProbe?: boolean;
  logger?: Logger;
  signal?: AbortSignal;
  /**
   * Negotiate options but take no data until `begin()`: the request's round trips
   * are paid while the caller is still deciding. (A server that ignores options
   * sends DATA 1 at once; it is dropped and the server's retransmission taken later.)
   */
  hold?: boolean;
}

/**
 * A download in progress. Iterate it to receive the file's bytes in order, one
 * `Buffer` per DATA packet: each is a view into the received datagram, never a copy.
 * ACKs are held back while the consumer is behind, so a slow consumer slows the
 * sender instead of growing memory.
 */
export interface TftpDownload extends AsyncIterable<Buffer> {
  /** Options in force, once the server answered. */
  readonly negotiated: Promise<Negotiated>;
  /** Bytes received in order so far. */
  readonly bytes: number;
  abort(reason?: Error): void;
  /**
   * Push mode, instead of iterating: every block goes to `sink` synchronously as it
   * arrives. A `false` from `sink` holds back ACKs (the sender waits) until
   * `resume()`. Resolves when the file is complete; rejects on failure.
   */
  deliver(sink: (block: Buffer) => boolean | void): Promise<void>;
  resume(): void;
  /** Starts the data flow of a transfer opened with `hold`. */
  begin(): void;
  /**
   * Starts the data flow of a transfer opened with `hold` ahead of `deliver()`, but
   * takes only the server's first window (2 × min(windowsize, 16) blocks, docs/TFTP.md)
   * and then says `room` 0 until `deliver()` hands them on. Only a server that granted
   * `sack` is primed: plain RFC 7440 has no way to say "wait", and a silent receiver
   * would have its window sent again. Does nothing on a transfer already begun.
   *
   * `blocks`: take up to that many ahead instead (at most what the iterator queues), for
   * a file that is now certain to be taken; on a transfer already primed this widens it
   * at once (the server hears the new room).
   */
  prime(blocks?: number): void;
  /**
   * The request's round trip in ms: from the last request sent to the server's answer,
   * or, while none has come, how long the request has waited so far (0 before it went).
   * Measured from the last send, so a lost request does not make the path look longer.
   */
  roundTripMs(): number;
  /** Why the transfer failed, once it has; undefined while it runs or after it succeeded. */
  readonly failure: Error | undefined;
}

/**
 * Starts a read request. Throws TftpOptionError (PFS_ERR_TFTP_OPTION) at once for
 * a port, blksize or windowsize out of range; the transfer then fails with a
 * PfsError: PFS_ERR_TFTP_REMOTE, _TIMEOUT, _PROTOCOL, _ABORTED or _NETWORK (a host
 * that does not resolve, a socket error), or the error the `deliver` sink threw.
 */
export function tftpGet(opts: TftpGetOptions): TftpDownload {
  return new Download(opts);
}

const SACK_WINDOW_BYTES = 256 << 10;
/** Slots of the out-of-order store: more than SACK_MAX_AHEAD, so no two kept blocks share one. */
const SACK_RING = SACK_MAX_AHEAD * 2;
/** Blocks allowed to wait for the consumer before ACKs are held back. */
const QUEUE_BLOCKS = 256;
const MAX_BACKOFF = 8;

class Download implements TftpDownload {
  readonly negotiated: Promise<Negotiated>;
  bytes = 0;

  private readonly log: Logger;
  private readonly peerName: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly asked: Options = {};
  private sock?: dgram.Socket;
  private serverAddr = '';
  private serverTid = 0; // 0 until the server's first answer fixes its port
  private params: Negotiated = defaults();
  private settle!: { ok: (n: Negotiated) => void; fail: (e: Error) => void };
  private negotiatedDone = false;

  private expected = 1; // next absolute block number wanted
  private sinceAck = 0;
  private ackHeld = false;
  private lastReAckFor = -1;
  private misses = 0;
  private timer?: NodeJS.Timeout;
  private deadline?: NodeJS.Timeout;
  /** What to send again when the timer runs out; undefined while paused or done. */
  private resend?: () => void;
  private lastHeard = 0;
  private readonly resendAck = () => this.sendAck();
  private sink?: (block: Buffer) => boolean | void;
  private holding: boolean;
  /** Set by prime(): begin at the OACK if the server grants `sack`. */
  private primeAtOAck = false;
  /** Blocks taken before `deliver()` (prime()); 0: QUEUE_BLOCKS, as for the iterator. */
  private primeCap = 0;
  /** What prime(blocks) asked for before the OACK came. */
  private primeWanted = 0;

  private readonly queue: Buffer[] = [];
  private qHead = 0;

  /** With `sack`: blocks past a gap, at block % SACK_RING, and the highest block seen. */
  private ahead?: (Buffer | undefined)[];
  private aheadCount = 0;
  private highest = 0;
  /** With `sackprobe`: the highest block the server probed for (sent, and maybe lost on the way). */
  private probedTo = 0;
  private ackEvery = 1;
  private finished = false;
  private error?: Error;
  private wake?: () => void;

  constructor(private readonly opts: TftpGetOptions) {
    this.log = opts.logger ?? silentLogger;
    this.peerName = `${opts.host}:${opts.port ?? 69}`;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.retries = opts.retries ?? 5;
    this.holding = opts.hold === true;
    this.negotiated = new Promise((ok, fail) => (this.settle = { ok, fail }));
    this.negotiated.catch(() => {}); // the iterator reports the failure; avoid an unhandled rejection
    const refuse = (what: string) => new TftpOptionError(this.peerName, opts.file, what);
    if (opts.port !== undefined && !(Number.isInteger(opts.port) && opts.port >= 1 && opts.port <= 65535)) throw refuse(`port ${opts.port} outside 1..65535`);
    if (opts.blksize !== undefined) {
      if (!(opts.blksize >= MIN_BLKSIZE && opts.blksize <= MAX_BLKSIZE)) throw refuse(`blksize ${opts.blksize} outside ${MIN_BLKSIZE}..${MAX_BLKSIZE}`);
      if (opts.blksize !== 512) this.asked.blksize = String(opts.blksize);
    }
    if (opts.windowsize !== undefined) {
      if (!(opts.windowsize >= 1 && opts.windowsize <= MAX_WINDOWSIZE)) throw refuse(`windowsize ${opts.windowsize} outside 1..${MAX_WINDOWSIZE}`);
      if (opts.windowsize > 1) this.asked.windowsize = String(opts.windowsize);
    }
    if (opts.timeoutMs !== undefined && opts.timeoutMs >= 1000 && opts.timeoutMs <= 255_000 && opts.timeoutMs % 1000 === 0) {
      this.asked.timeout = String(opts.timeoutMs / 1000);
    }
    if (opts.tsize !== false) this.asked.tsize = '0';
    if (opts.sack ?? (opts.windowsize ?? 1) > 1) this.asked.sack = '1';
    if (this.asked.sack && this.asked.tsize && opts.sackProbe !== false) this.asked.sackprobe = '1';
    if (opts.signal) {
      if (opts.signal.aborted) queueMicrotask(() => this.abort(opts.signal!.reason));
      else opts.signal.addEventListener('abort', () => this.abort(opts.signal!.reason), { once: true });
    }
    // A name that does not resolve or a socket that cannot be used is the network's
    // fault, not a bug: it reaches the caller as PFS_ERR_TFTP_NETWORK, naming the server.
    this.start().catch((e: Error) => this.fail(e instanceof PfsError ? e : new TftpNetworkError(this.peerName, `"${opts.file}"`, e)));
  }

  private async start(): Promise<void> {
    const host = this.opts.host;
    const addr = isIP(host) ? host : (await lookup(host)).address;
    if (this.finished) return;
    this.serverAddr = addr;
    // Large windows arrive as bursts; the kernel's default buffer holds only ~90 datagrams.
    const sock = dgram.createSocket({ type: isIP(addr) === 6 ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
    this.sock = sock;
    sock.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    sock.on('error', (e) => this.fail(new TftpNetworkError(this.peerName, `"${this.opts.file}"`, e)));
    await new Promise<void>((ok) => sock.bind(0, this.opts.localAddress, ok));
    if (this.opts.deadlineMs !== undefined) {
      this.deadline = setTimeout(() => {
        this.sendError(ErrorCode.NotDefined, 'transfer deadline passed');
        this.fail(new TftpTimeoutError(this.peerName, this.opts.file, `deadline of ${this.opts.deadlineMs} ms passed after ${this.bytes} bytes`));
      }, this.opts.deadlineMs);
    }
    this.log.dbg(`RRQ ${this.opts.file}`, { server: this.peerName, ...this.asked });
    this.sendRequest();
  }

  private readonly resendRequest = () => this.sendRequest();

  /** A request has gone out: the server may answer even after we give up. */
  private requested = false;

  /** When the last request went out (performance.now()), and how long the server took to answer it. */
  private requestedAt: number | undefined;
  private answeredAfter: number | undefined;

  roundTripMs(): number {
    if (this.answeredAfter !== undefined) return this.answeredAfter;
    return this.requestedAt === undefined ? 0 : performance.now() - this.requestedAt;
  }

  private sendRequest(): void {
    this.requested = true;
    this.requestedAt = performance.now();
    this.send(encodeRequest(Op.RRQ, this.opts.file, 'octet', this.asked), this.opts.port ?? 69);
    this.arm(this.resendRequest);
  }

  private send(buf: Buffer, port = this.serverTid): void {
    this.sock?.send(buf, port, this.serverAddr);
  }

  /** The last ERROR sent; the socket is closed only once it has left. */
  private lastWord?: Promise<void>;

  private sendError(code: number, message: string): void {
    const sock = this.sock;
    if (!this.serverTid || !sock) return;
    this.lastWord = new Promise((ok) => sock.send(encodeError(code, message), this.serverTid, this.serverAddr, () => ok()));
  }

  /**
   * Sets what the retransmission timer resends. The timer is not re-armed per packet
   * (that costs more than the packet): it wakes, sees how long ago we last heard
   * from the server, and sleeps again for the rest.
   */
  private arm(resend: () => void): void {
    this.resend = resend;
    this.lastHeard = performance.now();
    if (!this.timer) this.timer = setTimeout(this.onTimer, this.waitMs());
  }

  private waitMs(): number {
    return this.timeoutMs * Math.min(2 ** this.misses, MAX_BACKOFF);
  }

  // Node runs due timers before it reads the sockets: after the process was busy (a
  // slow or emulated CPU) the timer would resend though the server's answer waits in
  // the socket, and a resent ACK inside a window makes the server send it again. So it
  // looks after the sockets are read (setImmediate runs after the poll phase); `timer`
  // stays set meanwhile, so arm() starts no second one.
  private readonly onTimer = (): void => void setImmediate(this.onTimerLook);

  private readonly onTimerLook = (): void => {
    this.timer = undefined;
    if (!this.resend || this.finished) return;
    const left = this.lastHeard + this.waitMs() - performance.now();
    if (left > 1) {
      this.timer = setTimeout(this.onTimer, left);
      return;
    }
    if (this.misses >= this.retries) {
      this.sendError(ErrorCode.NotDefined, 'timed out');
      const what = this.negotiatedDone ? `no data after block ${this.expected - 1}` : 'no answer to the read request';
      this.fail(new TftpTimeoutError(this.peerName, this.opts.file, `${what} after ${this.retries + 1} tries`));
      return;
    }
    this.misses++;
    this.log.dbg('timeout, retransmitting', { file: this.opts.file, try: this.misses, block: this.expected });
    const resend = this.resend;
    this.arm(resend);
    resend();
  };

  private progress(): void {
    this.misses = 0;
    this.lastHeard = performance.now();
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.finished && this.error) {
      if (this.lingering && rinfo.address === this.serverAddr) this.refuseLate(rinfo.port);
      return;
    }
    if (rinfo.address !== this.serverAddr || (this.serverTid !== 0 && rinfo.port !== this.serverTid)) {
      // RFC 1350: a packet from an unknown TID gets ERROR 5 and does not disturb the transfer.
      this.sock?.send(encodeError(ErrorCode.UnknownTid, 'Unknown transfer ID'), rinfo.port, rinfo.address);
      return;
    }
    if (this.serverTid !== 0 && msg.length >= 4 && msg[0] === 0 && msg[1] === Op.DATA) {
      // The hot path: no packet object, just the block number and a view of the payload.
      this.onData(msg.readUInt16BE(2), msg.subarray(4));
      return;
    }
    const p = decode(msg);
    if (this.serverTid === 0) {
      if (p.op === Op.ERROR || p.op === Op.OACK || p.op === Op.DATA) this.serverTid = rinfo.port;
      else return;
    }
    switch (p.op) {
      case Op.ERROR:
        this.fail(new TftpRemoteError(this.peerName, this.opts.file, p.code, p.message));
        return;
      case Op.OACK:
        return this.onOAck(p.options);
      case Op.DATA:
        return this.onData(p.block, p.payload);
      case 0:
        this.sendError(ErrorCode.IllegalOperation, p.why);
        this.fail(new TftpProtocolError(this.peerName, this.opts.file, p.why));
        return;
      default:
        this.sendError(ErrorCode.IllegalOperation, 'unexpected packet');
        this.fail(new TftpProtocolError(this.peerName, this.opts.file, `unexpected opcode ${p.op} during a read`));
    }
  }

  private onOAck(options: Options): void {
    if (this.negotiatedDone) {
      if (this.expected === 1 && !this.holding) this.send(encodeAck(0)); // our ACK 0 was lost
      return;
    }
    const got = checkOAck(this.asked, options, defaults());
    if (typeof got === 'string') {
      this.sendError(ErrorCode.OptionRefused, got);
      this.fail(new TftpProtocolError(this.peerName, this.opts.file, got));
      return;
    }
    this.agree(got);
    if (this.holding && this.primeAtOAck && got.sack) {
      this.primeCap = Math.max(2 * this.ackEvery, this.primeWanted);
      this.holding = false;
    }
    if (this.holding) {
      this.resend = undefined; // the server keeps the transfer open, resending its OACK
      return;
    }
    this.send(encodeAck(0));
    this.arm(this.resendAck0);
  }

  private readonly resendAck0 = () => this.send(encodeAck(0));

  begin(): void {
    if (!this.holding || this.finished) return;
    this.holding = false;
    if (this.negotiatedDone && this.expected === 1) {
      this.send(encodeAck(0));
      this.arm(this.resendAck0);
    }
  }

  prime(blocks = 0): void {
    if (this.finished || this.sink) return;
    const wanted = Math.min(QUEUE_BLOCKS, blocks);
    if (this.primeCap > 0) {
      // Primed already: wider, and said now (a held ACK goes out with the new room).
      if (wanted <= this.primeCap) return;
      this.primeCap = wanted;
      if (this.ackHeld) this.resume();
      else if (this.expected > 1) this.sendAck();
      return;
    }
    if (!this.holding) return;
    if (!this.negotiatedDone) {
      this.primeAtOAck = true;
      this.primeWanted = Math.max(this.primeWanted, wanted);
      return;
    }
    if (!this.params.sack) return;
    this.primeCap = Math.max(2 * this.ackEvery, wanted);
    this.begin();
  }

  private agree(n: Negotiated): void {
    this.answeredAfter = performance.now() - (this.requestedAt ?? performance.now());
    this.params = n;
    if (n.sack) {
      this.ahead = new Array<Buffer | undefined>(SACK_RING);
      this.ackEvery = Math.min(n.windowsize, SACK_ACK_EVERY);
    }
    this.negotiatedDone = true;
    this.progress();
    this.settle.ok(n);
    this.log.dbg('negotiated', { file: this.opts.file, blksize: n.blksize, windowsize: n.windowsize, tsize: n.tsize });
  }

  private onData(wire: number, payload: Buffer): void {
    if (this.holding) return; // not taking data yet (a server that ignored the options)
    // A server that ignores options answers the RRQ with DATA 1 directly (RFC 2347).
    if (!this.negotiatedDone) this.agree(defaults());
    if (this.finished) {
      // Dally: the final ACK was lost. A sack server may probe with any block it has not
      // heard of (not only the last), so any block we hold gets the final ACK again.
      if (unwrapBlock(wire, this.expected) <= this.expected - 1) this.send(encodeAck(this.expected - 1));
      return;
    }
    const block = unwrapBlock(wire, this.expected);
    if (this.ahead) return this.onSackData(block, payload);
    const { blksize, windowsize, tsize } = this.params;
    if (block !== this.expected) {
      // A gap: ACK what we hold, once, so the sender restarts from there (RFC 7440).
      // A duplicate: ACK again only if it comes long after our last ACK (the sender
      // timed out: our ACK was lost). A duplicate right behind the original is the
      // network's, and answering it would make a naive sender send everything twice
      // (the Sorcerer's Apprentice, from the receiving side).
      const gap = block > this.expected;
      const stale = performance.now() - this.lastAckAt >= this.timeoutMs / 4;
      if (!this.ackHeld && this.lastReAckFor !== this.expected && (gap || stale)) {
        this.lastReAckFor = this.expected;
        this.sendAck();
      }
      return;
    }
    if (payload.length > blksize) {
      this.sendError(ErrorCode.IllegalOperation, 'block larger than blksize');
      this.fail(new TftpProtocolError(this.peerName, this.opts.file, `block ${block} has ${payload.length} bytes, blksize is ${blksize}`));
      return;
    }
    this.progress();
    this.expected++;
    this.bytes += payload.length;
    if (tsize !== undefined && this.bytes > tsize) {
      this.sendError(ErrorCode.NotDefined, 'more data than tsize');
      this.fail(new TftpProtocolError(this.peerName, this.opts.file, `server sent more than the announced ${tsize} bytes`));
      return;
    }
    const more = payload.length > 0 ? this.push(payload) : true;
    if (this.finished) return; // the consumer failed the transfer
    if (payload.length < blksize) return this.finish(tsize);
    if (++this.sinceAck >= windowsize) {
      if (!more) {
        // The consumer is behind: hold the ACK (and the timer) until it catches up.
        this.ackHeld = true;
        this.resend = undefined;
        return;
      }
      this.sendAck();
    }
    this.resend = this.resendAck;
  }

  /**
   * With `sack`: a block past a gap is kept, and the gap reported at once (a selective
   * ACK naming the missing blocks), so the sender resends just those without waiting
   * for a timeout. In order, it is delivered with whatever it joins up with.
   */
  private onSackData(block: number, payload: Buffer): void {
    const { blksize, tsize } = this.params;
    const ahead = this.ahead!;
    if (payload.length > blksize) {
      this.sendError(ErrorCode.IllegalOperation, 'block larger than blksize');
      this.fail(new TftpProtocolError(this.peerName, this.opts.file, `block ${block} has ${payload.length} bytes, blksize is ${blksize}`));
      return;
    }
    if (block - this.expected >= SACK_MAX_AHEAD) return; // past what we keep: sent again later
    if (payload.length === 0 && this.params.sackProbe && !this.isEmptyLastBlock(block)) return this.onProbe(block);
    if (this.holds(block)) {
      // Held already: the sender timed out (our ACK was lost) if it has been a while.
      if (!this.ackHeld && performance.now() - this.lastAckAt >= this.timeoutMs / 4) this.sendAck();
      return;
    }
    if (block > this.expected) {
      this.progress();
      ahead[block % SACK_RING] = payload;
      this.aheadCount++;
      const newGap = block > this.highest + 1;
      if (block > this.highest) this.highest = block;
      if (++this.sinceAck >= this.ackEvery || newGap) {
        if (!this.ackHeld) this.sendAck();
      }
      this.resend = this.ackHeld ? undefined : this.resendAck;
      return;
    }
    this.progress();
    // A gap just filled: say so at once, with the gaps still open, so the sender's
    // view (and its resends of them) does not wait for the next ACK.
    const filled = this.aheadCount > 0;
    let more = true;
    let p: Buffer | undefined = payload;
    while (p) {
      this.expected++;
      this.bytes += p.length;
      if (tsize !== undefined && this.bytes > tsize) {
        this.sendError(ErrorCode.NotDefined, 'more data than tsize');
        this.fail(new TftpProtocolError(this.peerName, this.opts.file, `server sent more than the announced ${tsize} bytes`));
        return;
      }
      if (p.length > 0 && !this.push(p)) more = false;
      if (this.finished) return; // the consumer failed the transfer
      if (p.length < blksize) return this.finish(tsize);
      p = this.aheadCount > 0 ? ahead[this.expected % SACK_RING] : undefined;
      if (p) {
        ahead[this.expected % SACK_RING] = undefined;
        this.aheadCount--;
      }
    }
    if (this.expected - 1 > this.highest) this.highest = this.expected - 1;
    if (!more) {
      // The consumer is behind: one ACK saying so (room 0: the sender stops, without
      // taking the silence for loss), then none until it catches up.
      if (!this.ackHeld) {
        this.ackHeld = true;
        this.sendAck();
      }
      this.resend = undefined;
      return;
    }
    if ((++this.sinceAck >= this.ackEvery || filled) && !this.ackHeld) this.sendAck();
    if (!this.ackHeld) this.resend = this.resendAck;
  }

  /** With `sack`: whether `block` is here already (delivered, or kept past a gap). */
  private holds(block: number): boolean {
    return block < this.expected || (block > this.expected && this.ahead![block % SACK_RING] !== undefined);
  }

  /** Whether `block` is the file's last block and holds no byte (the size is a multiple of blksize). */
  private isEmptyLastBlock(block: number): boolean {
    const { tsize, blksize } = this.params;
    return tsize !== undefined && tsize % blksize === 0 && block === tsize / blksize + 1;
  }

  /**
   * With `sackprobe`: the server heard nothing for two round trips and says it has sent
   * up to `block`. Answer at once; what we lack up to there is reported missing, so a
   * lost tail goes again, and a report that was only late costs nothing.
   */
  private onProbe(block: number): void {
    this.progress();
    if (!this.holds(block) && block > this.probedTo) this.probedTo = block;
    this.sendAck();
  }

  private lastAckAt = 0;

  private sendAck(): void {
    this.sinceAck = 0;
    this.lastAckAt = performance.now();
    if (this.ahead) this.send(this.sackAck());
    else this.send(encodeAck(this.expected - 1));
  }

  /** What we hold: in order up to expected - 1, and the gaps below the highest block seen. */
  private sackAck(): Buffer {
    const holes: number[] = [];
    const ahead = this.ahead!;
    // A probe for a block we lack (onProbe) makes it the report's `high`, and missing:
    // everything up to it was sent, so what is not here was lost.
    const probed = this.probedTo > this.highest && this.probedTo >= this.expected;
    const top = probed ? this.probedTo + 1 : this.highest;
    if (this.aheadCount > 0 || probed) {
      let from = 0;
      for (let b = this.expected; b < top && holes.length < SACK_MAX_RANGES * 2; b++) {
        const missing = ahead[b % SACK_RING] === undefined;
        if (missing && from === 0) from = b;
        else if (!missing && from !== 0) {
          holes.push(from, b - 1);
          from = 0;
        }
      }
      if (from !== 0 && holes.length < SACK_MAX_RANGES * 2) holes.push(from, top - 1);
    }
    const high = probed ? this.probedTo : Math.max(this.highest, this.expected - 1);
    // Held: nothing new until the consumer catches up (resume() says so).
    const w = this.opts.sackWindowBytes;
    const bytes = typeof w === 'function' ? w() : (w ?? SACK_WINDOW_BYTES);
    const budget = Math.max(SACK_ACK_EVERY, Math.min(SACK_MAX_AHEAD, Math.floor(bytes / this.params.blksize)));
    let room = this.ackHeld ? 0 : Math.max(0, this.expected - 1 + budget - high);
    // Primed (prime()): nothing past the first window until deliver() takes it.
    if (this.primeCap && !this.sink) room = Math.min(room, Math.max(0, this.primeCap - high));
    return encodeSackAck(this.expected - 1, high, room, holes);
  }

  private finish(tsize: number | undefined): void {
    this.sendAck();
    this.resend = undefined;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    if (tsize !== undefined && this.bytes !== tsize) {
      this.fail(new TftpProtocolError(this.peerName, this.opts.file, `got ${this.bytes} bytes, server announced ${tsize}`));
      return;
    }
    this.finished = true;
    this.log.dbg('received', { file: this.opts.file, bytes: this.bytes });
    // Stay a moment to re-ACK a retransmitted last block, without keeping the process up.
    const sock = this.sock;
    sock?.unref();
    setTimeout(() => sock?.close(), Math.min(this.timeoutMs * 2, 3000)).unref();
    this.wake?.();
  }

  /** Hands a block on; false when the consumer has enough waiting. */
  private push(buf: Buffer): boolean {
    if (this.sink) {
      try {
        return this.sink(buf) !== false;
      } catch (e) {
        // The consumer refused the data (a failed hash, a full disk): end the transfer.
        this.sendError(ErrorCode.NotDefined, 'transfer aborted by receiver');
        this.fail(e as Error);
        return false;
      }
    }
    this.queue.push(buf);
    this.wake?.();
    return this.queue.length - this.qHead < (this.primeCap || QUEUE_BLOCKS);
  }

  resume(): void {
    if (!this.ackHeld || this.finished) return;
    this.ackHeld = false;
    this.sendAck();
    this.arm(this.resendAck);
  }

  deliver(sink: (block: Buffer) => boolean | void): Promise<void> {
    if (this.sink || (this.qHead < this.queue.length && !this.primeCap)) throw new Error('deliver() must be called once, before any block is read');
    this.sink = sink;
    // A primed transfer's first window, handed on before what follows it.
    let more = true;
    for (let b = this.take(false); b && !this.error; b = this.take(false)) {
      try {
        if (sink(b) === false) more = false;
      } catch (e) {
        this.sendError(ErrorCode.NotDefined, 'transfer aborted by receiver');
        this.fail(e as Error);
      }
    }
    this.queue.length = 0;
    this.qHead = 0;
    if (more) this.resume();
    else if (!this.finished && !this.ackHeld) {
      this.ackHeld = true;
      this.resend = undefined;
    }
    return new Promise((ok, fail) => {
      this.wake = () => {
        if (this.error) fail(this.error);
        else if (this.finished) ok();
      };
      // A transfer that already ended (a prepared one whose request failed) settles now:
      // nothing would call wake again.
      if (this.finished) this.wake();
    });
  }

  get failure(): Error | undefined {
    return this.error;
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.error = e;
    this.resend = undefined;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    if (!this.negotiatedDone) this.settle.fail(e);
    const sock = this.sock;
    const close = () => {
      try {
        sock?.close();
      } catch {
        // already closed
      }
    };
    // Closing at once would drop an ERROR still on its way to the server.
    if (this.lastWord) void this.lastWord.then(close);
    else if (sock && this.serverTid === 0 && this.requested) this.lingerForServer(sock, close);
    else close();
    this.wake?.();
  }

  /** Set while a transfer that ended before the server's first reply waits to refuse that reply. */
  private lingering = false;

  /**
   * A transfer given up before the server answered (an ahead fetch whose claim was
   * lost) still has a request out: without an answer the server would resend its
   * first window until its own patience ran out, over the WAN. Stay a while to say
   * ERROR to whatever the server sends first, then close.
   */
  private lingerForServer(sock: dgram.Socket, close: () => void): void {
    this.lingering = true;
    sock.unref();
    const timer = setTimeout(() => {
      this.lingering = false;
      close();
    }, Math.min(this.timeoutMs * 3, 5000));
    timer.unref();
    this.lingerDone = () => {
      clearTimeout(timer);
      this.lingering = false;
      close();
    };
  }

  private lingerDone?: () => void;

  private refuseLate(port: number): void {
    const sock = this.sock;
    if (!sock) return;
    this.lingering = false;
    sock.send(encodeError(ErrorCode.NotDefined, 'transfer aborted'), port, this.serverAddr, () => this.lingerDone?.());
  }

  abort(reason?: Error): void {
    if (this.finished) return;
    this.sendError(ErrorCode.NotDefined, 'transfer aborted');
    this.fail(new TftpAbortedError(this.peerName, this.opts.file, reason));
  }

  /** The next queued block; `resume`: ACK again once the queue is half empty (the iterator). */
  private take(resume = true): Buffer | undefined {
    if (this.qHead >= this.queue.length) return undefined;
    const b = this.queue[this.qHead]!;
    this.queue[this.qHead++] = undefined as unknown as Buffer;
    if (this.qHead > 1024 && this.qHead * 2 > this.queue.length) {
      this.queue.splice(0, this.qHead);
      this.qHead = 0;
    }
    if (resume && this.queue.length - this.qHead < QUEUE_BLOCKS / 2) this.resume();
    return b;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for (;;) {
        const b = this.take();
        if (b) {
          yield b;
          continue;
        }
        if (this.error) throw this.error;
        if (this.finished) return;
        await new Promise<void>((ok) => (this.wake = ok));
        this.wake = undefined;
      }
    } finally {
      if (!this.finished) this.abort(new Error('consumer stopped reading'));
    }
  }
}

/**
 * Downloads to `outPath` through `outPath.part`, renamed into place only when the
 * whole file arrived, so a failed transfer never leaves a truncated file behind.
 * Blocks are gathered while the previous write is under way and go down in one
 * `writev` (from 64 KiB; the transfer pauses once 4 MiB wait): one system call per
 * many datagrams, and no copies.
 */
export async function tftpGetToFile(
  opts: TftpGetOptions,
  outPath: string,
  onProgress?: (bytes: number, total?: number) => void,
): Promise<{ bytes: number; seconds: number }> {
  const started = performance.now();
  const part = `${outPath}.part`;
  const fh = await open(part, 'w').catch((e: NodeJS.ErrnoException) => {
    throw new TftpOutputError(outPath, e);
  });
  const dl = tftpGet(opts);
  let total: number | undefined;
  dl.negotiated.then((n) => (total = n.tsize), () => {});
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let written = 0; // where the next batch goes: one write at a time, in order
  let writing: Promise<void> | undefined;
  let writeError: Error | undefined;
  const flush = (): void => {
    const list = batch;
    const at = written;
    written += batchBytes;
    batch = [];
    batchBytes = 0;
    writing = writeAll(fh, list, at).then(
      () => {
        writing = undefined;
        if (batchBytes > 0) flush();
        dl.resume();
      },
      (e: Error) => {
        writing = undefined;
        writeError = e;
        dl.abort(e);
      },
    );
  };
  try {
    await dl.deliver((block) => {
      batch.push(block);
      batchBytes += block.length;
      onProgress?.(dl.bytes, total);
      if (!writing && batchBytes >= 64 * 1024) flush();
      return batchBytes < 4 << 20;
    });
    while (writing) await writing;
    if (batchBytes > 0) {
      flush();
      await writing;
    }
    if (writeError) throw writeError;
    await fh.close();
    await rename(part, outPath);
  } catch (e) {
    // The transfer's own error first; a write still under way fails too once the file closes.
    // Anything not from the transfer (closing or renaming the file) is the output's fault.
    const first = writeError ? new TftpOutputError(outPath, writeError) : e instanceof PfsError ? e : new TftpOutputError(outPath, e as Error);
    while (writing) await writing.catch(() => {});
    await fh.close().catch(() => {});
    await rm(part, { force: true });
    throw first;
  }
  return { bytes: dl.bytes, seconds: (performance.now() - started) / 1000 };
}

/**
 * Downloads a small file (a configuration, a manifest) into memory. Refuses more
 * than `maxBytes`: this is not the path for firmware, which streams.
 */
export async function tftpGetBuffer(opts: TftpGetOptions, maxBytes = 1 << 20): Promise<Buffer> {
  const parts: Buffer[] = [];
  const dl = tftpGet(opts);
  await dl.deliver((b) => {
    if (dl.bytes > maxBytes) throw new TftpProtocolError(`${opts.host}:${opts.port ?? 69}`, opts.file, `larger than ${maxBytes} bytes`);
    parts.push(b);
  });
  return Buffer.concat(parts, dl.bytes);
}
