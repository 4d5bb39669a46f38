import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from '../../log/logger';
import { silentLogger } from '../../log/logger';
import { decode, encodeError, ErrorCode, Op } from './packet';
import { MAX_BLKSIZE, MAX_WINDOWSIZE } from './options';
import { TftpNetworkError } from './errors';
import { resolveServedFile, ServedPathError } from './served-path';
import { Transfer, type TransferLimits } from './transfer';
import type { SharedPath } from './window-control';

export interface TftpServerOptions {
  /** The one directory served; nothing outside it is ever readable. */
  root: string;
  /** UDP port for requests; 0 picks a free one. Default 69. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1: the origin is opened up on purpose, not by accident. */
  bind?: string;
  logger?: Logger;
  /** Largest blksize granted (RFC 2348). Default 65464. */
  maxBlksize?: number;
  /** Largest windowsize granted (RFC 7440). Default 64. */
  maxWindowsize?: number;
  /** Retransmission timeout in ms unless the client negotiates one. Default 1000. */
  timeoutMs?: number;
  /** Retransmissions before a transfer is given up (the wait doubles, up to 8 timeouts). Default 5, at most 10. */
  retries?: number;
  /**
   * Longest a client that answers the probes may keep saying "wait" (room 0, with
   * `sack` and `sackprobe`) before its transfer is ended, ms. Default 120000.
   */
  maxPauseMs?: number;
  /** Largest timeout option a client is granted, seconds; a larger one is not acknowledged. Default 5. */
  maxTimeoutS?: number;
  /**
   * Largest window in bytes: windowsize is lowered so one window never exceeds it.
   * Default 128 KiB. (With `sack` the window is the round trip's, at most 4096 blocks.)
   */
  maxWindowBytes?: number;
  /** Transfers at once, all clients together; past it a request gets ERROR 0 "server busy". Default 64. */
  maxTransfers?: number;
  /** Transfers at once to one client address. Default 8. */
  maxPerClient?: number;
  /**
   * Windows sent before waiting for the first one's ACK. 1 (default) is RFC 7440's
   * lock-step; 2 keeps a long link busy while the ACK travels back. Clients need no
   * change: an ACK ending a window moves the pipeline, one inside a window restarts it.
   */
  pipeline?: number;
  /**
   * Grant a client's `sack` option (docs/TFTP.md): it keeps blocks past a gap and
   * names what is missing, only that is sent again, and the window is sized by the
   * round trip (WindowControl) instead of windowsize x pipeline. Default true.
   */
  sack?: boolean;
}

export interface TftpServerStats {
  transfers: number;
  active: number;
  /** DATA payload bytes sent, retransmissions included. */
  bytesSent: number;
  /** The same, per requested file name. */
  bytesByFile: Map<string, number>;
  errors: number;
  /** With `sack`: the largest window any ended transfer reached, blocks (0 if none used sack). */
  peakWindow: number;
  /** With `sack`: rounds in which an ended transfer's window shrank (a queue building, a loss, a timeout). */
  windowShrinks: number;
  /** With `sack`: times a silent client was probed (two round trips without a report). */
  probes: number;
}

/**
 * A read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440) for one directory: the
 * far origin of the lab and the tests. Each transfer gets its own socket (its TID).
 */
export class TftpServer {
  readonly stats: TftpServerStats = { transfers: 0, active: 0, bytesSent: 0, bytesByFile: new Map(), errors: 0, peakWindow: 0, windowShrinks: 0, probes: 0 };
  private sock?: dgram.Socket;
  private readonly log: Logger;
  private readonly transfers = new Set<Transfer>();
  private readonly limits: TransferLimits;
  /** Requests being opened or served, per client address, and per client address:port (its TID). */
  private readonly perClient = new Map<string, number>();
  /** What the transfers to each client address know of their path, while any runs (WindowControlOptions.path). */
  private readonly paths = new Map<string, SharedPath & { active: number }>();
  private readonly busy = new Map<string, { request: Buffer; transfer?: Transfer }>();
  private running = 0;
  private readonly maxTransfers: number;
  private readonly maxPerClient: number;

  constructor(private readonly opts: TftpServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.limits = {
      maxBlksize: Math.min(opts.maxBlksize ?? MAX_BLKSIZE, MAX_BLKSIZE),
      maxWindowsize: Math.min(opts.maxWindowsize ?? 64, MAX_WINDOWSIZE),
      maxWindowBytes: opts.maxWindowBytes ?? 128 * 1024,
      maxTimeoutS: opts.maxTimeoutS ?? 5,
      timeoutMs: opts.timeoutMs ?? 1000,
      retries: Math.min(opts.retries ?? 5, 10),
      pipeline: Math.max(1, opts.pipeline ?? 1),
      sack: opts.sack ?? true,
      maxPauseMs: opts.maxPauseMs,
    };
    this.maxTransfers = opts.maxTransfers ?? 64;
    this.maxPerClient = opts.maxPerClient ?? 8;
  }

  /** Binds the socket; TftpNetworkError (PFS_ERR_TFTP_NETWORK) when the address or port cannot be had. */
  async start(): Promise<void> {
    const bind = this.opts.bind ?? '127.0.0.1';
    const sock = dgram.createSocket(isIP(bind) === 6 ? 'udp6' : 'udp4');
    this.sock = sock;
    sock.on('message', (msg, rinfo) => this.onRequest(msg, rinfo));
    await new Promise<void>((ok, fail) => {
      sock.once('error', fail);
      sock.bind(this.opts.port ?? 69, bind, () => {
        sock.off('error', fail);
        ok();
      });
    }).catch((e: Error) => {
      this.sock = undefined;
      sock.close();
      throw new TftpNetworkError(`${bind}:${this.opts.port ?? 69}`, 'server cannot listen', e);
    });
    sock.on('error', (e) => this.log.err(`socket error: ${e.message}`));
    const a = this.address();
    this.log.inf(`serving ${this.opts.root} on ${a.address}:${a.port}`);
  }

  address(): { address: string; port: number } {
    if (!this.sock) throw new Error('TFTP server not started');
    const a = this.sock.address();
    return { address: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    for (const t of this.transfers) t.cancel('server stopping');
    this.transfers.clear();
    const sock = this.sock;
    this.sock = undefined;
    if (sock) await new Promise<void>((ok) => sock.close(() => ok()));
  }

  private reply(code: number, message: string, rinfo: dgram.RemoteInfo): void {
    this.stats.errors++;
    this.sock?.send(encodeError(code, message), rinfo.port, rinfo.address);
  }

  private onRequest(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const p = decode(msg);
    const peer = `${rinfo.address}:${rinfo.port}`;
    if (p.op === 0) return this.reply(ErrorCode.IllegalOperation, p.why, rinfo);
    if (p.op === Op.WRQ) return this.reply(ErrorCode.AccessViolation, 'read-only server', rinfo);
    if (p.op !== Op.RRQ) return this.reply(ErrorCode.IllegalOperation, 'expected a read request', rinfo);
    if (p.mode !== 'octet') {
      return this.reply(ErrorCode.IllegalOperation, `mode "${p.mode}" not supported, use octet`, rinfo);
    }
    const held = this.busy.get(peer);
    if (held) {
      // The same request again before the client answered anything: our first packet was
      // lost (or the client restarted on the same port). It is answered again at once by
      // the transfer it started, not by a second transfer.
      if (!held.transfer || (held.request.equals(msg) && !held.transfer.heard)) {
        held.transfer?.nudge();
        return;
      }
      // A client that already took part and asks again has started over: its old transfer is dropped quietly.
      held.transfer.abandon('the client sent a new request from the same port');
    }
    const mine = this.perClient.get(rinfo.address) ?? 0;
    if (this.running >= this.maxTransfers || mine >= this.maxPerClient) {
      const why = mine >= this.maxPerClient ? `${mine} transfers to ${rinfo.address} already running (at most ${this.maxPerClient})` : `${this.running} transfers running (at most ${this.maxTransfers})`;
      this.log.dbg(`refused ${p.file}: server busy, ${why}`, { peer });
      return this.reply(ErrorCode.NotDefined, `server busy: ${why}, try again later`, rinfo);
    }
    this.running++;
    this.perClient.set(rinfo.address, mine + 1);
    const entry: { request: Buffer; transfer?: Transfer } = { request: Buffer.from(msg) };
    this.busy.set(peer, entry);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.running--;
      const n = (this.perClient.get(rinfo.address) ?? 1) - 1;
      if (n > 0) this.perClient.set(rinfo.address, n);
      else this.perClient.delete(rinfo.address);
      if (this.busy.get(peer) === entry) this.busy.delete(peer);
    };
    this.stats.transfers++;
    this.log.dbg(`RRQ ${p.file}`, { peer, ...p.options });
    resolveServedFile(this.opts.root, p.file).then(
      (file) => {
        entry.transfer = this.startTransfer(file.handle, file.size, p.file, p.options, rinfo, release);
      },
      (e: unknown) => {
        release();
        const err = e instanceof ServedPathError ? e : new ServedPathError(ErrorCode.NotDefined, String(e));
        // A phone asking for its own SEP file and falling back to the default is routine.
        this.log.log(err.tftpCode === ErrorCode.FileNotFound ? 'DBG' : 'INF', `refused ${p.file}: ${err.message}`, { peer });
        this.reply(err.tftpCode, err.message, rinfo);
      },
    );
  }

  private startTransfer(
    handle: import('node:fs/promises').FileHandle,
    size: number,
    name: string,
    options: Record<string, string>,
    rinfo: dgram.RemoteInfo,
    release: () => void,
  ): Transfer | undefined {
    if (!this.sock) {
      release();
      void handle.close();
      return undefined;
    }
    // Forgotten once no transfer to the address runs: a route that changed in between must not leave a round trip too small to reach.
    const path = this.paths.get(rinfo.address) ?? { baseRtt: Infinity, active: 0 };
    path.active++;
    this.paths.set(rinfo.address, path);
    const t = new Transfer({
      handle,
      size,
      name,
      asked: options,
      peer: { address: rinfo.address, port: rinfo.port },
      bind: this.opts.bind ?? '127.0.0.1',
      limits: this.limits,
      log: this.log,
      path,
      onSent: (n) => {
        this.stats.bytesSent += n;
        this.stats.bytesByFile.set(name, (this.stats.bytesByFile.get(name) ?? 0) + n);
      },
      onProbe: () => this.stats.probes++,
      onEnd: (error) => {
        if (t.control) {
          this.stats.peakWindow = Math.max(this.stats.peakWindow, t.control.peak);
          this.stats.windowShrinks += t.control.shrinks;
        }
        release();
        t.control?.ended();
        if (--path.active === 0 && this.paths.get(rinfo.address) === path) this.paths.delete(rinfo.address);
        this.transfers.delete(t);
        this.stats.active--;
        if (error) this.stats.errors++;
      },
    });
    this.transfers.add(t);
    this.stats.active++;
    t.start();
    return t;
  }
}
