import { open, type FileHandle } from 'node:fs/promises';
import { skipBytes } from '../iovec';

/**
 * The file on flash as it fills: verified blocks are appended in order, and a
 * child that is behind the live stream reads its catch-up from here. Appends are
 * queued so writes land in order; `flushed` only counts bytes the kernel accepted.
 */
export class Spool {
  private handle?: FileHandle;
  private tail: Promise<void> = Promise.resolve();
  private failed?: Error;
  /** Bytes from the start of the file that are written and readable. */
  flushed: number;

  /** `keepBytes`: a verified prefix already on flash (a resume); the rest is rewritten. */
  constructor(
    readonly path: string,
    keepBytes = 0,
  ) {
    this.flushed = keepBytes;
  }

  async open(): Promise<void> {
    // 'a+' would force appends to the end; 'r+' needs the file: create it first.
    const h = await open(this.path, 'a');
    await h.close();
    this.handle = await open(this.path, 'r+');
    await this.handle.truncate(this.flushed);
  }

  /**
   * Queues `slices` (one verified block, `length` bytes) for writing at the current
   * end; `done` runs once they are written, in append order.
   */
  append(slices: Buffer[], length: number, done: (error?: Error) => void): void {
    const h = this.handle;
    if (!h) throw new Error(`spool ${this.path} is not open`);
    this.tail = this.tail.then(async () => {
      if (this.failed) return done(this.failed);
      try {
        let written = 0;
        let list = slices;
        // writev may write less than asked (rare on files); finish the rest.
        while (written < length) {
          const { bytesWritten } = await h.writev(list, this.flushed + written);
          written += bytesWritten;
          if (written < length) list = skipBytes(slices, written);
        }
        this.flushed += length;
        done();
      } catch (e) {
        this.failed = e as Error;
        done(this.failed);
      }
    });
  }

  /** Reads up to `length` bytes at `offset` (below `flushed`) into a new buffer. */
  async read(offset: number, length: number): Promise<Buffer> {
    const h = this.handle;
    if (!h) throw new Error(`spool ${this.path} is not open`);
    const n = Math.min(length, this.flushed - offset);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await h.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) throw new Error(`spool ${this.path} ended at ${offset + got}, expected ${offset + n}`);
      got += bytesRead;
    }
    return buf;
  }

  /** Waits for queued appends, syncs to the medium and closes. */
  async close(sync = false): Promise<void> {
    await this.tail;
    const h = this.handle;
    this.handle = undefined;
    if (!h) return;
    if (sync && !this.failed) await h.sync();
    await h.close();
  }
}
