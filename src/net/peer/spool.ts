import { openForWrite } from '../../io/open-for-write';
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
  const h = await openForWrite(path);
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
  /** Handed to a write that has not finished yet, or written. */
  state: 'queued' | 'writing' | 'written';
}

/** Most buffers in one gathered write (Linux's IOV_MAX is 1024). */
const MAX_IOV = 1024;
/**
 * Gathered writes under way at once. More than one is supported (positional writes,
 * `done` kept in order), but bench:relay measured 4 at once as no faster and 2-7 %
 * more CPU per GB than 1 (writers of one file queue on its lock), 2 the same as 1.
 */
const MAX_WRITES = 1;

/**
 * The file on flash as it fills: verified blocks are appended in order, and a
 * child that is behind the live stream reads its catch-up from here. A block is
 * readable from the moment it is appended: from memory while it waits for flash,
 * from the medium once written (`flushed` only counts bytes the medium accepted,
 * from the start of the file without a gap).
 *
 * The blocks that queued while a write was under way go to the medium together in
 * one gathered write: each write's completion waits for the thread pool and the
 * event loop, and with one 64 KiB block per write, under load, that round trip and
 * not the flash made the limit. (With MAX_WRITES above 1 the medium may finish
 * writes in any order; `done` runs in append order all the same.)
 */
export class Spool {
  private medium?: SpoolMedium;
  /** Blocks appended and not yet counted in `flushed`, in order. */
  private readonly queue: Queued[] = [];
  /** Queued blocks handed to a write (from the head of the queue). */
  private issued = 0;
  /** Bytes of those blocks. */
  private issuedBytes = 0;
  private writes = 0;
  /** Queued blocks already told of a failed write (after a failure nothing more is written). */
  private notified = 0;
  private idle?: { promise: Promise<void>; ok: () => void };
  private failed?: Error;
  /** Bytes from the start of the file that are written and readable. */
  flushed: number;
  /** Bytes from the start of the file that are readable: written, or waiting in memory for flash. */
  held: number;

  /**
   * `name` is for messages; `keepBytes`: a verified prefix already on the medium
   * (a resume), the rest is cut off and rewritten. `writing` is told of each write
   * to the medium as it starts, and its result of the bytes written as it ends
   * (flash's pace: SackShare.flashWriting).
   */
  constructor(
    readonly name: string,
    private readonly openMedium: () => Promise<SpoolMedium>,
    keepBytes = 0,
    private readonly writing?: () => (bytes: number) => void,
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
    this.queue.push({ slices, length, done, state: 'queued' });
    if (this.failed) return queueMicrotask(() => this.notifyFailed());
    this.issue();
  }

  /** Hands every queued block to a write, while fewer than MAX_WRITES are under way. */
  private issue(): void {
    const m = this.medium;
    while (m && !this.failed && this.writes < MAX_WRITES && this.issued < this.queue.length) {
      const first = this.issued;
      let iov = 0;
      let bytes = 0;
      while (this.issued < this.queue.length && (this.issued === first || iov + this.queue[this.issued]!.slices.length <= MAX_IOV)) {
        const b = this.queue[this.issued++]!;
        b.state = 'writing';
        iov += b.slices.length;
        bytes += b.length;
      }
      const blocks = this.queue.slice(first, this.issued);
      const position = this.flushed + this.issuedBytes;
      this.issuedBytes += bytes;
      this.writes++;
      this.idle ??= settleable();
      void this.write(m, blocks, position, bytes).finally(() => {
        this.writes--;
        this.advance();
        if (this.failed) this.notifyFailed();
        else this.issue();
        if (this.writes === 0) {
          this.idle?.ok();
          this.idle = undefined;
        }
      });
    }
  }

  /** Writes `blocks` (`bytes` in all) from `position`; on an error, finds the block the medium refused. */
  private async write(m: SpoolMedium, blocks: Queued[], position: number, bytes: number): Promise<void> {
    const ended = this.writing?.();
    try {
      await writeAll(m, blocks.length === 1 ? blocks[0]!.slices : blocks.flatMap((b) => b.slices), position);
      ended?.(bytes);
      for (const b of blocks) b.state = 'written';
      return;
    } catch (e) {
      ended?.(0);
      if (blocks.length === 1) return this.fail(e as Error);
    }
    // Which block did the medium refuse? Each on its own, from the first: those before
    // it count as written, and its error is the one reported, with its offset.
    // Rewriting what the batch may have written is harmless: the same bytes, same place.
    for (const b of blocks) {
      if (this.failed) return;
      try {
        await writeAll(m, b.slices, position);
      } catch (e) {
        return this.fail(e as Error);
      }
      b.state = 'written';
      position += b.length;
    }
  }

  private fail(e: Error): void {
    // The first failure stops every later write; a write already under way may still land.
    this.failed ??= e;
  }

  /** Counts the written blocks at the head of the queue as flushed, in order. */
  private advance(): void {
    while (this.queue.length > 0 && this.queue[0]!.state === 'written') {
      const b = this.queue.shift()!;
      this.issued--;
      this.issuedBytes -= b.length;
      this.flushed += b.length;
      b.done();
    }
  }

  /** Tells every block not on flash that its write failed; their bytes stay readable (they are verified). */
  private notifyFailed(): void {
    if (this.writes > 0) return; // once the writes under way are settled, in order
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
    while (this.idle) await this.idle.promise;
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

function settleable(): { promise: Promise<void>; ok: () => void } {
  let ok!: () => void;
  const promise = new Promise<void>((r) => (ok = r));
  return { promise, ok };
}
