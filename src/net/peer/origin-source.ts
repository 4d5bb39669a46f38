import type { Socket } from 'node:net';
import type { Logger } from '../../log/logger';
import { tftpGet, type TftpDownload } from '../tftp/client';
import type { SackShare } from '../tftp/sack-share';
import { connectAhead, httpGet, type HttpDownload } from '../http/range-get';
import { fileUrl, type HttpOrigin } from '../http/load-server';
import type { ByteSink, Source } from './source';

/** The TFTP server a file comes from, and the options asked of it. */
export interface OriginOptions {
  host: string;
  port: number;
  blksize?: number;
  windowsize?: number;
  timeoutMs?: number;
  /**
   * The site's HTTP load server, when there is one: files come from it by range
   * requests, and from the TFTP server above only once it failed (see OriginSource).
   */
  http?: HttpOrigin;
  /** The board's in-flight budget, shared among its TFTP transfers (default: 256 KiB each). */
  sackShare?: SackShare;
}

/** A transfer opened ahead by `OriginSource.prepare`, handed back to the constructor. */
export interface PreparedOrigin {
  /** Set once the opening failed: such a transfer is not used. */
  readonly failure: Error | undefined;
  abort(): void;
  /**
   * Takes the first window ahead of `start()` (TftpDownload.prime): for a file this
   * board is sure to take, whose blocks can only be verified once its manifest is in hand;
   * `blocks`: that many ahead (TftpDownload.prime), once it is certain.
   */
  prime(blocks?: number): void;
  /** The origin's round trip as this transfer saw it (TftpDownload.roundTripMs); 0 when unknown. */
  roundTripMs(): number;
}

/** A TCP connection opened ahead to the HTTP load server. */
class PreparedHttp implements PreparedOrigin {
  constructor(readonly socket: Socket) {}
  get failure(): Error | undefined {
    return this.socket.destroyed ? new Error('connection closed') : undefined;
  }
  abort(): void {
    this.socket.destroy();
  }
  prime(): void {
    // The connection is open; a request sent before the manifest would have no range to ask for yet.
  }
  roundTripMs(): number {
    return 0; // nothing is primed over HTTP, so nothing waits on this
  }
}

/**
 * HTTP load servers that failed on this board (the object the configuration gave):
 * every later file goes straight to TFTP, and the console says so once.
 */
const httpDown = new WeakMap<HttpOrigin, string>();

/**
 * A file from the origin as a pipeline source: from the HTTP load server when the
 * site has one (range requests, resumed from the byte held when a connection
 * breaks), else, or once HTTP failed, from the TFTP server. The transfer may be
 * opened ahead (`prepare`: the TFTP request and option round trips, or the HTTP
 * connection's handshake, paid while the election is still running) and started
 * later. A paused sink holds back the ACKs (TFTP) or the socket (HTTP), so the
 * server waits.
 */
export class OriginSource implements Source {
  readonly kind = 'origin';
  /**
   * File offset of the first byte delivered: `from` over HTTP (a range request);
   * 0 over TFTP, which cannot seek (the pipeline skips what it holds).
   */
  readonly startsAt: number;
  private stopped = false;
  private http?: HttpDownload;
  private tftp?: TftpDownload;
  /** Bytes passed to the sink, from any transfer: a TFTP fallback drops that many first. */
  private delivered = 0;
  private viaHttp: boolean;

  /**
   * `ended`: the transfer finished (no error) or failed; not called after stop().
   * `prepared`: a transfer opened with `prepare`, else one is opened at start().
   * `from`: what this board already holds (bytes, on a block boundary): HTTP starts there.
   */
  constructor(
    private readonly origin: OriginOptions,
    private readonly file: string,
    private readonly log: Logger,
    private readonly ended: (error?: Error) => void,
    private prepared?: PreparedOrigin,
    from = 0,
  ) {
    this.viaHttp = !!origin.http && !httpDown.has(origin.http);
    this.startsAt = this.viaHttp ? from : 0;
  }

  /** For messages: `origin 198.18.0.1:69`, or `origin http://198.18.0.1:6970/` while HTTP serves. */
  get label(): string {
    return this.viaHttp ? `origin ${this.origin.http!.url}` : `origin ${this.origin.host}:${this.origin.port}`;
  }

  /** Opens the transfer without taking data yet (see TftpGetOptions.hold; for HTTP, the TCP connection). */
  static prepare(origin: OriginOptions, file: string, log: Logger): PreparedOrigin {
    if (origin.http && !httpDown.has(origin.http)) return new PreparedHttp(connectAhead(origin.http.url));
    const dl = tftpGet({ ...origin, file, logger: log, hold: true, sackWindowBytes: shareOf(origin) });
    dl.negotiated.catch(() => {}); // a failure is seen again through deliver()
    return dl;
  }

  start(sink: ByteSink): void {
    const take: ByteSink = (b) => {
      if (this.stopped) return true;
      this.delivered += b.length;
      return sink(b);
    };
    if (this.viaHttp) this.startHttp(take);
    else this.startTftp(take);
  }

  private startHttp(sink: ByteSink): void {
    const http = this.origin.http!;
    const ahead = this.prepared instanceof PreparedHttp && !this.prepared.failure ? this.prepared.socket : undefined;
    if (!ahead) this.prepared?.abort();
    this.prepared = undefined;
    const dl = (this.http = httpGet({ url: fileUrl(http, this.file), from: this.startsAt, timeoutMs: http.timeoutMs, retries: http.retries, retryDelayMs: http.retryDelayMs, connection: ahead, logger: this.log }));
    dl.deliver(sink).then(
      () => this.stopped || this.ended(),
      (e: Error) => {
        if (this.stopped) return;
        // One console line, the first time: the rest of this board's files take TFTP at once.
        if (!httpDown.has(http)) this.log.wrn(`${this.file}: HTTP load server ${http.url} failed (${e.message}): falling back to TFTP from ${this.origin.host}:${this.origin.port}`, { code: (e as { code?: string }).code });
        httpDown.set(http, e.message);
        this.http = undefined;
        this.viaHttp = false;
        this.startTftp(sink);
      },
    );
  }

  private startTftp(sink: ByteSink): void {
    // TFTP starts at byte 0: what HTTP already passed on (from startsAt) is dropped before the sink sees it.
    let skip = this.startsAt + this.delivered;
    if (this.prepared instanceof PreparedHttp) this.prepared.abort();
    const prepared = this.prepared instanceof PreparedHttp ? undefined : (this.prepared as TftpDownload | undefined);
    this.prepared = undefined;
    const dl = prepared ?? tftpGet({ ...this.origin, file: this.file, logger: this.log, sackWindowBytes: shareOf(this.origin) });
    this.tftp = dl;
    // Counted among the board's transfers from its first byte to its end (or stop()).
    this.leaveShare = this.origin.sackShare?.enter();
    dl.begin();
    dl.deliver((b) => {
      if (skip > 0) {
        const drop = Math.min(skip, b.length);
        skip -= drop;
        if (drop === b.length) return true;
        b = b.subarray(drop);
      }
      return sink(b);
    }).then(
      () => (this.leaveShare?.(), this.stopped || this.ended()),
      (e: Error) => (this.leaveShare?.(), this.stopped || this.ended(e)),
    );
  }

  /** Leaves the board's SackShare; calling it again does nothing. */
  private leaveShare?: () => void;

  resume(): void {
    this.http?.resume();
    this.tftp?.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.http?.abort();
    this.tftp?.abort();
    this.prepared?.abort();
    this.leaveShare?.();
  }
}

/** The room function for a transfer of this origin: the board's share, or undefined (the client's default). */
function shareOf(origin: OriginOptions): (() => number) | undefined {
  const share = origin.sackShare;
  return share && (() => share.perTransfer());
}
