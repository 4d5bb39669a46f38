import { open } from 'node:fs/promises';
import { PfsError } from '../../errors';
import { writeAll } from '../../io/write-all';

/**
 * Where a spool keeps its bytes: a file, or a component slot of the flash HAL.
 * Position-addressed like a file; counts are bytes.
 */
export interface SpoolMedium {
  /** For messages: the device or path the bytes go to. */
  readonly device?: string;
  /** Bytes already on the medium when it was opened (a resume checks them); default 0. */
  readonly existingBytes?: number;
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** A plain file as a spool medium (created if missing). */
export async function fileMedium(path: string): Promise<SpoolMedium> {
  // 'r+' needs the file to exist, and 'a' would force every write to the end.
  await (await open(path, 'a')).close();
  const h = await open(path, 'r+');
  const { size } = await h.stat();
  return {
    device: path,
    existingBytes: size,
    writev: async (buffers, position) => (await h.writev(buffers as Buffer[], position)).bytesWritten,
    read: async (buffer, offset, length, position) => (await h.read(buffer, offset, length, position)).bytesRead,
    truncate: (length) => h.truncate(length),
    sync: () => h.sync(),
    close: () => h.close(),
  };
}

/** A verified block waiting for flash: its bytes stay here until the medium took them. */
interface Queued {
  readonly slices: Buffer[];
  readonly length: number;
  readonly done: (error?: Error) => void;
}

/** Most buffers in one gathered write (Linux's IOV_MAX is 1024). */
const MAX_IOV = 1024;

/**
 * The file on flash as it fills: verified blocks are appended in order, and a
 * child that is behind the live stream reads its catch-up from here. A block is
 * readable from the moment it is appended: from memory while it waits for flash,
 * from the medium once written (`flushed` only counts bytes the medium accepted).
 *
 * Blocks that queue up while a write is under way go to the medium together in one
 * gathered write: a write's completion waits for the event loop, and under load one
 * round trip per 64 KiB block made flash, not the network, the limit.
 */
export class Spool {
  private medium?: SpoolMedium;
  /** Blocks appended and not yet on the medium, in order (the head may be being written). */
  private readonly queue: Queued[] = [];
  /** Queued blocks already told of a failed write (after a failure nothing more is written). */
  private notified = 0;
  private busy = false;
  private idle: Promise<void> = Promise.resolve();
  private failed?: Error;
  /** Bytes from the start of the file that are written and readable. */
  flushed: number;
  /** Bytes from the start of the file that are readable: written, or waiting in memory for flash. */
  held: number;

  /**
   * `name` is for messages; `keepBytes`: a verified prefix already on the medium
   * (a resume), the rest is cut off and rewritten.
   */
  constructor(
    readonly name: string,
    private readonly openMedium: () => Promise<SpoolMedium>,
    keepBytes = 0,
  ) {
    this.flushed = this.held = keepBytes;
  }

  /** A spool on a plain file. */
  static file(path: string, keepBytes = 0): Spool {
    return new Spool(path, () => fileMedium(path), keepBytes);
  }

  async open(): Promise<void> {
    this.medium = await this.openMedium();
    await this.medium.truncate(this.flushed);
  }

  /**
   * Queues `slices` (one verified block, `length` bytes) for writing at the current
   * end; the block is readable at once (readv). `done` runs once it is written, in
   * append order, or with the error of the write that failed (for every later block too).
   */
  append(slices: Buffer[], length: number, done: (error?: Error) => void): void {
    if (!this.medium) throw new Error(`spool ${this.name} is not open`);
    this.held += length;
    this.queue.push({ slices, length, done });
    if (this.failed) return queueMicrotask(() => this.notifyFailed());
    if (this.busy) return;
    this.busy = true;
    this.idle = this.drain(this.medium);
  }

  private async drain(m: SpoolMedium): Promise<void> {
    while (this.queue.length > 0 && !this.failed) {
      let n = 0;
      let iov = 0;
      while (n < this.queue.length && (n === 0 || iov + this.queue[n]!.slices.length <= MAX_IOV)) iov += this.queue[n++]!.slices.length;
      try {
        await writeAll(m, n === 1 ? this.queue[0]!.slices : this.queue.slice(0, n).flatMap((b) => b.slices), this.flushed);
        this.written(n);
      } catch (e) {
        this.failed = n === 1 ? (e as Error) : await this.oneByOne(m, n);
      }
    }
    // Set before returning, with nothing awaited after the last look at the queue:
    // an append from now on starts a new drain.
    this.busy = false;
    if (this.failed) this.notifyFailed();
  }

  /**
   * A gathered write of `n` blocks failed: which block did the medium refuse? Each
   * on its own, from the first: those before it count as written, and its error is
   * the one reported (with the offset of that block). Rewriting what the batch may
   * have written is harmless: the same bytes at the same place.
   */
  private async oneByOne(m: SpoolMedium, n: number): Promise<Error | undefined> {
    for (let i = 0; i < n; i++) {
      try {
        await writeAll(m, this.queue[0]!.slices, this.flushed);
      } catch (e) {
        return e as Error;
      }
      this.written(1);
    }
    return undefined; // every block wrote on its own: go on
  }

  /** The first `n` queued blocks are on the medium. */
  private written(n: number): void {
    for (const b of this.queue.splice(0, n)) {
      this.flushed += b.length;
      b.done();
    }
  }

  /** Tells every queued block its write failed; their bytes stay readable (they are verified). */
  private notifyFailed(): void {
    while (this.notified < this.queue.length) this.queue[this.notified++]!.done(this.failed);
  }

  /**
   * Up to `length` bytes at `offset` (below `held`): read from the medium into a new
   * buffer below `flushed`, else views of the blocks waiting for flash (no copy).
   */
  async readv(offset: number, length: number): Promise<Buffer[]> {
    if (offset < this.flushed) return [await this.read(offset, length)];
    const out: Buffer[] = [];
    let at = this.flushed;
    let want = Math.min(length, this.held - offset);
    for (const b of this.queue) {
      if (want <= 0) break;
      for (const s of b.slices) {
        const end = at + s.length;
        if (end > offset && want > 0) {
          const from = Math.max(0, offset - at);
          const piece = s.subarray(from, Math.min(s.length, from + want));
          out.push(piece);
          want -= piece.length;
          offset += piece.length;
        }
        at = end;
      }
    }
    return out;
  }

  /** Reads up to `length` bytes at `offset` (below `flushed`) into a new buffer. */
  async read(offset: number, length: number): Promise<Buffer> {
    const m = this.medium;
    if (!m) throw new Error(`spool ${this.name} is not open`);
    const n = Math.min(length, this.flushed - offset);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const bytesRead = await m.read(buf, got, n - got, offset + got);
      if (bytesRead === 0) throw new PfsError('PFS_ERR_FLASH_IO', `spool ${this.name} ended at ${offset + got}, expected ${offset + n}`);
      got += bytesRead;
    }
    return buf;
  }

  /**
   * Waits for queued appends, optionally syncs to the medium, and closes. Throws the
   * error of a failed append, so nobody takes a file with a hole for a whole one.
   */
  async close(sync = false): Promise<void> {
    await this.idle;
    this.notifyFailed();
    const m = this.medium;
    this.medium = undefined;
    if (m) {
      try {
        if (sync && !this.failed) await m.sync();
      } finally {
        await m.close();
      }
    }
    if (this.failed) throw this.failed;
  }
}
