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

/**
 * The file on flash as it fills: verified blocks are appended in order, and a
 * child that is behind the live stream reads its catch-up from here. Appends are
 * queued so writes land in order; `flushed` only counts bytes the medium accepted.
 */
export class Spool {
  private medium?: SpoolMedium;
  private tail: Promise<void> = Promise.resolve();
  private failed?: Error;
  /** Bytes from the start of the file that are written and readable. */
  flushed: number;

  /**
   * `name` is for messages; `keepBytes`: a verified prefix already on the medium
   * (a resume), the rest is cut off and rewritten.
   */
  constructor(
    readonly name: string,
    private readonly openMedium: () => Promise<SpoolMedium>,
    keepBytes = 0,
  ) {
    this.flushed = keepBytes;
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
   * end; `done` runs once they are written, in append order.
   */
  append(slices: Buffer[], length: number, done: (error?: Error) => void): void {
    const m = this.medium;
    if (!m) throw new Error(`spool ${this.name} is not open`);
    this.tail = this.tail.then(async () => {
      if (this.failed) return done(this.failed);
      try {
        await writeAll(m, slices, this.flushed);
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
    await this.tail;
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
