import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { openForWrite } from '../../io/open-for-write';
import { writeAll } from '../../io/write-all';
import { loadNative } from '../native';

/** An open file of a FlashFs: position-addressed, counts in bytes. */
export interface FsFile {
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  size(): Promise<number>;
  truncate(length: number): Promise<void>;
  /** The file's bytes are on the medium (not its name: see syncDir). */
  sync(): Promise<void>;
  /**
   * Starts putting the file's bytes on the medium and returns without waiting for
   * them, with no journal commit and no flush of the device's cache (which each
   * sync() costs). Absent where it cannot be done (no native addon, MemFs).
   */
  startWriteback?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The few file-system calls the `dir` back-end makes, so it can run on the real
 * file system or on MemFs, which models what a power cut loses. Paths are POSIX.
 */
export interface FlashFs {
  /** `write` creates a missing file (never truncates); `read` fails if it is missing. */
  open(path: string, mode: 'read' | 'write'): Promise<FsFile>;
  /** The whole file, or null if it is missing. */
  readFile(path: string): Promise<Buffer | null>;
  /** The file's size, or null if it is missing. */
  size(path: string): Promise<number | null>;
  /** Replaces `to` with `from` in one step (same folder). */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; a missing one is fine. */
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  /** Creates the folder and its parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /** The folder's entries (creations, renames, removals) are on the medium. */
  syncDir(path: string): Promise<void>;
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/** The real file system (node:fs). */
export const nodeFs: FlashFs = {
  async open(path, mode) {
    const h = mode === 'write' ? await openForWrite(path) : await open(path, 'r');
    const native = mode === 'write' ? loadNative() : undefined;
    return {
      writev: async (buffers, position) => (await h.writev(buffers as Buffer[], position)).bytesWritten,
      read: async (buffer, offset, length, position) => (await h.read(buffer, offset, length, position)).bytesRead,
      size: async () => (await h.stat()).size,
      truncate: (length) => h.truncate(length),
      sync: () => h.sync(),
      startWriteback: native?.startWriteback ? () => native.startWriteback!(h.fd, path, 0, 0) : undefined,
      close: () => h.close(),
    };
  },
  async readFile(path) {
    try {
      return await readFile(path);
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  async size(path) {
    try {
      return (await stat(path)).size;
    } catch (e) {
      if (missing(e)) return null;
      throw e;
    }
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => rm(path, { force: true }),
  readdir: (path) => readdir(path),
  mkdir: async (path) => void (await mkdir(path, { recursive: true })),
  async syncDir(path) {
    const d = await open(path, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  },
};

// The flash back-ends (block, mtd-emu) import writeAll from here; it lives in src/io.
export { writeAll };

/**
 * Replaces `path` with `data` so that a power cut leaves either the old or the new
 * content, never a mix or nothing: write a temporary file and fsync it (its bytes
 * are on the medium before its name can point at them), rename it over (the one
 * atomic step), fsync the folder (the rename itself is on the medium, so a reader
 * after the cut sees what a reader before it saw).
 */
export async function writeAtomic(fs: FlashFs, path: string, data: string | Buffer): Promise<void> {
  await (await stageAtomic(fs, path, data))();
}

/**
 * writeAtomic's first half: `NAME.tmp` written and synced, on the medium but named
 * by nothing. The function it returns does the rest (the rename and the folder
 * sync), so a caller can stage the file while other syncs run and put it in place
 * after them. A staged file never put in place is removed by the next stage, or by
 * the back-end's repair at open.
 */
export async function stageAtomic(fs: FlashFs, path: string, data: string | Buffer): Promise<() => Promise<void>> {
  const tmp = `${path}.tmp`;
  const f = await fs.open(tmp, 'write');
  try {
    await f.truncate(0);
    await writeAll(f, Buffer.from(data));
    await f.sync();
  } finally {
    await f.close();
  }
  return async () => {
    await fs.rename(tmp, path);
    await fs.syncDir(dirname(path));
  };
}
