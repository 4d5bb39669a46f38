/** Writes `buf` (or a part of it) and reports how many bytes went out: fs.write on a file descriptor. */
export type WriteFn = (buf: Buffer, cb: (err: NodeJS.ErrnoException | null, written: number) => void) => void;

export interface LineWriterOptions {
  /** `\r\n` on a TTY in raw mode, `\n` in a file. */
  eol: string;
  /** Bytes allowed to wait for a slow console (default 64 KiB); beyond that, whole lines are dropped. */
  limitBytes?: number;
  /** After EAGAIN (a full TTY buffer), wait this long before trying again (default 50 ms). */
  retryMs?: number;
  /** Called once when the device fails for good (EIO: a USB adapter pulled out); later lines are dropped. */
  onBroken?: (e: NodeJS.ErrnoException) => void;
}

const RETRY = new Set(['EAGAIN', 'EWOULDBLOCK', 'EINTR']);

function newlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Log lines to a device that may be slow (9600 baud), stuck (flow control held
 * off) or gone, without ever blocking the caller or growing without bound: lines
 * wait in a bounded queue, one write is in flight at a time, and what does not fit
 * is dropped and counted. When there is room again, a line says how many were lost.
 */
export class LineWriter {
  private queue: Buffer[] = [];
  private queued = 0;
  private queuedLines = 0;
  private busy = false;
  private retry: NodeJS.Timeout | undefined;
  private broken = false;
  private closed = false;
  /** Set when close() gives up: no write is started or retried after it. */
  private stopped = false;
  private lost = 0;
  private unreported = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly limit: number;
  private readonly retryMs: number;

  constructor(
    private readonly write: WriteFn,
    private readonly opts: LineWriterOptions,
  ) {
    this.limit = opts.limitBytes ?? 64 * 1024;
    this.retryMs = opts.retryMs ?? 50;
  }

  /** Lines lost so far: dropped for want of room, or still waiting when the device failed or was closed. */
  get dropped(): number {
    return this.lost;
  }

  /** Bytes waiting now (never more than the limit). */
  get pending(): number {
    return this.queued;
  }

  writeLine(line: string): void {
    if (this.closed) return;
    if (this.broken) {
      this.lost++;
      return;
    }
    const buf = Buffer.from(line + this.opts.eol, 'utf8');
    if (this.unreported > 0) {
      const note = Buffer.from(`[console: ${this.unreported} line${this.unreported === 1 ? '' : 's'} dropped]${this.opts.eol}`);
      if (this.queued + note.length + buf.length <= this.limit) {
        this.push(note);
        this.unreported = 0;
      }
    }
    if (this.queued + buf.length > this.limit) {
      this.lost++;
      this.unreported++;
      return;
    }
    this.push(buf);
    this.pump();
  }

  /**
   * Stops taking lines and waits up to `timeoutMs` for those queued to go out; what
   * is still queued then is dropped. Resolves once no write is in flight, so the
   * caller may close the file descriptor.
   */
  async close(timeoutMs = 1000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.idle()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.whenIdle(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    }
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    this.discard();
    if (this.busy) await this.whenIdle();
  }

  private push(buf: Buffer): void {
    this.queue.push(buf);
    this.queued += buf.length;
    this.queuedLines++;
  }

  private idle(): boolean {
    return !this.busy && (this.queue.length === 0 || this.broken);
  }

  private whenIdle(): Promise<void> {
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private discard(): void {
    this.lost += this.queuedLines;
    this.queue = [];
    this.queued = 0;
    this.queuedLines = 0;
  }

  private settle(): void {
    if (!this.busy && (this.queue.length === 0 || this.retry === undefined)) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }

  private pump(): void {
    if (this.busy || this.retry || this.broken || this.stopped || this.queue.length === 0) return this.settle();
    const chunk = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.queue = [chunk];
    this.busy = true;
    this.write(chunk, (err, written) => {
      this.busy = false;
      if (err) {
        if (RETRY.has(err.code ?? '')) {
          if (this.stopped) return this.settle();
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.pump();
          }, this.retryMs).unref();
          return this.settle();
        }
        this.broken = true;
        this.discard();
        this.opts.onBroken?.(err);
        return this.settle();
      }
      const first = this.queue[0];
      if (first) {
        const done = first.subarray(0, written);
        this.queuedLines = Math.max(0, this.queuedLines - newlines(done));
        this.queued -= written;
        if (written < first.length) this.queue[0] = first.subarray(written);
        else this.queue.shift();
      }
      this.pump();
    });
  }
}
