import type http from 'node:http';
import { http as httpModule } from '../../io/builtins';
import net, { type Socket } from 'node:net';
import type { Logger } from '../../log/logger';
import { silentLogger } from '../../log/logger';
import { HttpAbortedError, HttpNetworkError, HttpProtocolError, HttpStatusError, HttpTimeoutError } from './errors';

export interface HttpGetOptions {
  /** The file: `http://HOST[:PORT]/PATH` (https is not spoken: the load is signed, not secret). */
  url: string;
  /** File offset of the first byte wanted (bytes). Default 0. */
  from?: number;
  /** The file's size in bytes, when the caller knows it: a server that says otherwise is refused. */
  size?: number;
  /** No byte for this long (connect, answer, body) gives that connection up, ms. Default 10 000. */
  timeoutMs?: number;
  /** Connections in a row that end without a new byte before the download fails. Default 3. */
  retries?: number;
  /** Wait before a resume, doubled for each failure in a row, ms. Default 100 (so 0.7 s in all before giving up). */
  retryDelayMs?: number;
  /** A connection to the server opened ahead (see `connectAhead`): the first request goes on it. */
  connection?: Socket;
  logger?: Logger;
}

/**
 * A file over HTTP, delivered in order as the buffers the socket gave (never copied).
 * Same contract as a TFTP download's `deliver`: a `false` from the sink pauses the
 * socket (TCP's window then holds the server) until `resume()`.
 */
export interface HttpDownload {
  /**
   * Starts the transfer; resolves once the last byte went to `sink`. Rejects with
   * PFS_ERR_HTTP_STATUS, _TIMEOUT, _NETWORK, _PROTOCOL or _ABORTED (docs/ERRORS.md).
   */
  deliver(sink: (chunk: Buffer) => boolean | void): Promise<void>;
  resume(): void;
  /** Stops at once; `deliver`'s promise rejects with PFS_ERR_HTTP_ABORTED. */
  abort(reason?: unknown): void;
  /** File offset of the next byte to deliver. */
  readonly offset: number;
  /** The file's size, once the server said it. */
  readonly size: number | undefined;
  readonly failure: Error | undefined;
}

/**
 * GETs a file with `Range: bytes=N-` and resumes from the byte it holds whenever a
 * connection breaks (TCP does the congestion control; a resume costs one request).
 * A server that ignores ranges (200 instead of 206) is not refused: the file comes
 * again from byte 0 and what is already held is dropped before the sink sees it.
 */
export function httpGet(opts: HttpGetOptions): HttpDownload {
  return new RangeDownload(opts);
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

class RangeDownload implements HttpDownload {
  offset: number;
  size: number | undefined;
  failure: Error | undefined;
  private readonly url: URL;
  private readonly where: string;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private sink?: (chunk: Buffer) => boolean | void;
  private settle!: { ok: () => void; fail: (e: Error) => void };
  private readonly done: Promise<void>;
  private req?: http.ClientRequest;
  private res?: http.IncomingMessage;
  /** Bytes of the current answer to drop: a 200 to a range request starts at byte 0. */
  private skip = 0;
  /** Connections that ended without a new byte, since the last byte. */
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private paused = false;
  private finished = false;
  private toldNoRanges = false;
  private ahead?: Socket;

  constructor(opts: HttpGetOptions) {
    this.url = new URL(opts.url);
    this.where = `HTTP ${this.url.host} "${decodeURIComponent(this.url.pathname)}"`;
    this.offset = opts.from ?? 0;
    this.size = opts.size;
    this.log = opts.logger ?? silentLogger;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.retryDelayMs = opts.retryDelayMs ?? 100;
    this.ahead = opts.connection;
    this.done = new Promise((ok, fail) => (this.settle = { ok, fail }));
  }

  deliver(sink: (chunk: Buffer) => boolean | void): Promise<void> {
    if (this.sink) throw new Error('deliver() must be called once');
    this.sink = sink;
    if (this.url.protocol !== 'http:') this.fail(new HttpProtocolError(this.where, `only http:// is spoken, not ${this.url.protocol}`));
    else if (this.size !== undefined && this.offset >= this.size) this.finish();
    else this.connect();
    return this.done;
  }

  resume(): void {
    if (!this.paused || this.finished) return;
    this.paused = false;
    this.arm('no byte');
    this.res?.resume();
  }

  abort(reason?: unknown): void {
    this.fail(new HttpAbortedError(this.where, reason));
  }

  private connect(): void {
    const from = this.offset;
    const headers: Record<string, string> = { 'user-agent': 'pfs', 'accept-encoding': 'identity' };
    if (from > 0) headers.range = `bytes=${from}-`;
    // One connection per request: a broken one is never reused, and nothing lingers after the file.
    const ahead = this.ahead;
    this.ahead = undefined;
    const req = ahead && !ahead.destroyed ? httpModule().get(this.url, { headers, createConnection: () => ahead }) : httpModule().get(this.url, { headers, agent: false });
    this.req = req;
    this.res = undefined;
    this.arm('no answer');
    req.on('response', (res) => this.onResponse(req, res, from));
    req.on('error', (e) => this.broken(req, `connection failed: ${e.message}`, e));
  }

  private onResponse(req: http.ClientRequest, res: http.IncomingMessage, from: number): void {
    if (req !== this.req) return void res.destroy();
    const status = res.statusCode ?? 0;
    if (status >= 500) return this.broken(req, `status ${status}`, new HttpStatusError(this.where, status, res.statusMessage ?? ''));
    if (status !== 200 && status !== 206) return this.fail(new HttpStatusError(this.where, status, res.statusMessage ?? ''));
    const encoding = res.headers['content-encoding'];
    if (encoding && encoding !== 'identity') return this.fail(new HttpProtocolError(this.where, `answered with content-encoding ${encoding}, not the file's bytes`));
    let total: number | undefined;
    if (status === 206) {
      const m = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? ''));
      if (!m) return this.fail(new HttpProtocolError(this.where, `206 without a usable Content-Range (${res.headers['content-range'] ?? 'none'})`));
      if (Number(m[1]) !== from) return this.fail(new HttpProtocolError(this.where, `asked for bytes from ${from}, got a range from ${m[1]}`));
      total = m[3] === '*' ? undefined : Number(m[3]);
      this.skip = 0;
    } else {
      const length = res.headers['content-length'];
      total = length === undefined ? undefined : Number(length);
      this.skip = from;
      if (from > 0 && !this.toldNoRanges) {
        this.toldNoRanges = true;
        this.log.wrn(`${this.where}: the server ignores ranges (200, not 206): taking the file from byte 0 again, dropping the ${from} bytes held`);
      }
    }
    if (total !== undefined) {
      if (this.size !== undefined && total !== this.size) return this.fail(new HttpProtocolError(this.where, `the server's file is ${total} bytes, expected ${this.size}`));
      this.size = total;
    }
    this.res = res;
    this.arm('no byte');
    res.on('data', (chunk: Buffer) => this.onData(req, res, chunk));
    res.on('end', () => {
      if (req !== this.req) return;
      if (this.size === undefined || this.offset === this.size) this.finish();
      else this.broken(req, `the answer ended at byte ${this.offset} of ${this.size}`);
    });
    // A connection cut mid-body ends the answer with an error ('aborted') or just a close.
    res.on('error', (e) => this.broken(req, `connection broken at byte ${this.offset}: ${e.message}`, e));
    res.on('close', () => {
      if (!res.complete) this.broken(req, `connection closed at byte ${this.offset}`);
    });
    if (this.paused) res.pause();
  }

  private onData(req: http.ClientRequest, res: http.IncomingMessage, chunk: Buffer): void {
    if (req !== this.req || this.finished) return;
    this.arm('no byte');
    if (this.skip > 0) {
      const drop = Math.min(this.skip, chunk.length);
      this.skip -= drop;
      if (drop === chunk.length) return;
      chunk = chunk.subarray(drop);
    }
    if (this.size !== undefined && this.offset + chunk.length > this.size) {
      return this.fail(new HttpProtocolError(this.where, `more bytes than the ${this.size} announced`));
    }
    this.offset += chunk.length;
    this.failures = 0;
    const more = this.sink!(chunk);
    if (this.finished || req !== this.req) return;
    if (more === false) {
      this.paused = true;
      clearTimeout(this.timer);
      res.pause();
    }
  }

  /** A connection ended short of the file: resume by range, unless it keeps happening without progress. */
  private broken(req: http.ClientRequest, what: string, cause?: Error, timedOut = false): void {
    if (req !== this.req || this.finished) return;
    this.req = undefined;
    this.res = undefined;
    clearTimeout(this.timer);
    req.destroy();
    this.failures++;
    if (this.failures > this.retries) {
      const why = `${what} (${this.failures} connections in a row without a byte)`;
      if (cause instanceof HttpStatusError) return this.fail(cause);
      return this.fail(timedOut ? new HttpTimeoutError(this.where, why) : new HttpNetworkError(this.where, why, cause));
    }
    const wait = this.retryDelayMs * 2 ** (this.failures - 1);
    this.log.inf(`${this.where}: ${what}; resuming from byte ${this.offset} in ${wait} ms`);
    this.retryTimer = setTimeout(() => this.finished || this.connect(), wait);
  }

  /** No byte for timeoutMs while the sink takes them: that connection is given up. */
  private arm(what: string): void {
    clearTimeout(this.timer);
    const req = this.req;
    if (!req) return;
    this.timer = setTimeout(() => this.broken(req, `${what} for ${this.timeoutMs / 1000} s`, undefined, true), this.timeoutMs);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopAll();
    this.settle.ok();
  }

  private fail(e: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.failure = e;
    this.stopAll();
    this.settle.fail(e);
  }

  private stopAll(): void {
    this.ahead?.destroy();
    clearTimeout(this.timer);
    clearTimeout(this.retryTimer);
    this.req?.destroy();
    this.req = undefined;
    this.res = undefined;
  }
}

/**
 * Opens a TCP connection to the server of `url` without asking for anything yet,
 * so that a later `httpGet` (its `connection`) saves the handshake's round trip.
 * Errors are kept on the socket (a refused one is simply not used).
 */
export function connectAhead(url: string): Socket {
  const u = new URL(url);
  const s = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80) });
  s.on('error', () => s.destroy());
  return s;
}
