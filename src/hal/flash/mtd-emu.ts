import { writeAll, type FlashFs, type FsFile } from './fs';
import type { MtdDevice, MtdGeometry } from './mtd-device';

/** Why the emulated chip refused an operation; `code` says which rule. */
export class MtdRuleError extends Error {
  constructor(
    /** `ENOTERASED`: writing flash that is not erased. `EINVAL`: misaligned or out of range. `EIO`: a bad block. */
    readonly code: 'ENOTERASED' | 'EINVAL' | 'EIO',
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'MtdRuleError';
  }
}

export interface MtdEmulatorOptions {
  type: 'nor' | 'nand';
  eraseSize: number;
  writeSize: number;
  /** Erase blocks (by index) marked bad: they refuse reads, writes and erases. */
  badBlocks?: readonly number[];
  /**
   * `file` (default): the partition is one file. `blocks`: a folder with one file
   * per erase block (`0`, `1`, …), so that a write copies one block's file and not
   * the partition's: MemFs copies a whole file on every write, which made the
   * power-cut test slow.
   */
  layout?: 'file' | 'blocks';
}

/** Where the emulated bytes are. Every write is synced before it returns. */
interface Backing {
  read(buffer: Buffer, at: number, length: number, position: number): Promise<void>;
  write(data: Buffer, position: number): Promise<void>;
  close(): Promise<void>;
}

async function readExact(f: FsFile, buffer: Buffer, at: number, length: number, position: number): Promise<void> {
  for (let got = 0; got < length; ) {
    const n = await f.read(buffer, at + got, length - got, position + got);
    if (n === 0) {
      buffer.fill(0xff, at + got, at + length);
      return;
    }
    got += n;
  }
}

function fileBacking(f: FsFile): Backing {
  return {
    read: (buffer, at, length, position) => readExact(f, buffer, at, length, position),
    async write(data, position) {
      await writeAll(f, data, position);
      await f.sync();
    },
    close: () => f.close(),
  };
}

/** One file per erase block; operations are split at block edges. */
function blocksBacking(files: FsFile[], es: number): Backing {
  const each = async (position: number, length: number, fn: (f: FsFile, off: number, from: number, n: number) => Promise<void>) => {
    for (let done = 0; done < length; ) {
      const b = Math.floor((position + done) / es);
      const off = (position + done) % es;
      const n = Math.min(es - off, length - done);
      await fn(files[b]!, off, done, n);
      done += n;
    }
  };
  return {
    read: (buffer, at, length, position) => each(position, length, (f, off, from, n) => readExact(f, buffer, at + from, n, off)),
    write: (data, position) =>
      each(position, data.length, async (f, off, from, n) => {
        await writeAll(f, data.subarray(from, from + n), off);
        await f.sync();
      }),
    async close() {
      for (const f of files) await f.close();
    },
  };
}

let ERASED_BYTES = Buffer.alloc(0);
const UNKNOWN = 0;
const ERASED = 1;
const WRITTEN = 2;
const blockFile = (path: string, b: number) => `${path}/${b}`;

/**
 * A raw flash partition emulated on a file (a real one, or a MemFs file, so a
 * power cut can hit it), enforcing what the chip enforces, and more strictly:
 *
 * - `erase` sets whole erase blocks to 0xFF;
 * - `write` may only clear bits: on NOR a byte going 0→1 throws (the chip would
 *   silently AND it), on NAND a page written since its block's last erase cannot be
 *   written again, even with the same bytes (its ECC is already programmed), and
 *   writes must start and end on a page;
 * - bad blocks refuse everything and are reported by `isBad`.
 *
 * So a back-end that writes before it erases, or writes a page twice, fails its
 * tests. Each operation reaches the file with a sync of its own, as a chip's
 * operation is done when it returns; a power cut in between tears that one
 * operation (MemFs keeps or loses each of its 4 KiB pages), like a cut in the
 * middle of a real erase or program. The file holds the partition's bytes and
 * nothing else; at open, a NAND page that is not all 0xFF counts as written.
 */
export class MtdEmulator implements MtdDevice {
  /** Counted operations, for tests. */
  readonly counts = { erase: 0, write: 0, read: 0 };
  private readonly bad: Set<number>;

  private constructor(
    readonly path: string,
    private readonly f: Backing,
    private readonly geometry: MtdGeometry,
    /** NAND, per page: WRITTEN since its block's last erase, ERASED, or not known yet (0: looked at when first written). */
    private readonly written: Uint8Array,
    bad: readonly number[],
  ) {
    this.bad = new Set(bad);
  }

  /** Makes `path` an erased (all 0xFF) partition of `size` bytes (`blocks`: a folder of `eraseSize`-byte files). */
  static async format(fs: FlashFs, path: string, size: number, blocks?: { eraseSize: number }): Promise<void> {
    const fill = async (p: string, n: number) => {
      const f = await fs.open(p, 'write');
      try {
        await f.truncate(0);
        await writeAll(f, Buffer.alloc(n, 0xff));
        await f.sync();
      } finally {
        await f.close();
      }
    };
    if (!blocks) return fill(path, size);
    await fs.mkdir(path);
    for (let b = 0; b < size / blocks.eraseSize; b++) await fill(blockFile(path, b), blocks.eraseSize);
    await fs.syncDir(path);
  }

  /** The emulated partition in `path` of `fs` (its size is the file's, or the folder's files', a multiple of eraseSize). */
  static async open(fs: FlashFs, path: string, o: MtdEmulatorOptions): Promise<MtdEmulator> {
    const { type, eraseSize, writeSize } = o;
    if (!(eraseSize > 0 && writeSize > 0 && eraseSize % writeSize === 0)) throw new MtdRuleError('EINVAL', `${path}: erase size ${eraseSize} is not a multiple of write size ${writeSize}`);
    let backing: Backing;
    let size: number;
    if (o.layout === 'blocks') {
      const names = (await fs.readdir(path)).filter((n) => /^\d+$/.test(n));
      const files: FsFile[] = [];
      for (let b = 0; b < names.length; b++) {
        if ((await fs.size(blockFile(path, b))) !== eraseSize) throw new MtdRuleError('EINVAL', `${blockFile(path, b)} is not one ${eraseSize}-byte erase block`);
        files.push(await fs.open(blockFile(path, b), 'write'));
      }
      size = files.length * eraseSize;
      backing = blocksBacking(files, eraseSize);
    } else {
      size = (await fs.size(path)) ?? 0;
      if (size % eraseSize !== 0) throw new MtdRuleError('EINVAL', `${path}: ${size} bytes is not a whole number of ${eraseSize}-byte erase blocks`);
      backing = fileBacking(await fs.open(path, 'write'));
    }
    if (size === 0) {
      await backing.close();
      throw new MtdRuleError('EINVAL', `${path}: an empty partition`);
    }
    const written = new Uint8Array(type === 'nand' ? size / writeSize : 0);
    return new MtdEmulator(path, backing, { type, size, eraseSize, writeSize: type === 'nor' ? 1 : writeSize }, written, o.badBlocks ?? []);
  }

  info(): MtdGeometry {
    return { ...this.geometry };
  }

  private range(what: string, position: number, length: number): void {
    if (!Number.isInteger(position) || !Number.isInteger(length) || position < 0 || length < 0 || position + length > this.geometry.size) {
      throw new MtdRuleError('EINVAL', `${what} ${this.path} [${position}, ${position + length}) is outside the ${this.geometry.size}-byte partition`);
    }
    const es = this.geometry.eraseSize;
    for (let b = Math.floor(position / es); b * es < position + length; b++) {
      if (this.bad.has(b)) throw new MtdRuleError('EIO', `${what} ${this.path} at ${position}: erase block ${b} is bad`);
    }
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.range('read', position, length);
    this.counts.read++;
    await this.f.read(buffer, offset, length, position);
    return length;
  }

  async write(data: Buffer, position: number): Promise<void> {
    const { type, writeSize: ws } = this.geometry;
    this.range('write', position, data.length);
    if (type === 'nand') {
      if (position % ws !== 0 || data.length % ws !== 0) {
        throw new MtdRuleError('EINVAL', `write ${this.path} [${position}, ${position + data.length}): NAND writes whole ${ws}-byte pages`);
      }
      for (let p = position / ws; p < (position + data.length) / ws; p++) {
        if (this.written[p] === UNKNOWN) {
          const page = Buffer.alloc(ws);
          await this.f.read(page, 0, ws, p * ws);
          this.written[p] = page.every((b) => b === 0xff) ? ERASED : WRITTEN;
        }
        if (this.written[p] === WRITTEN) throw new MtdRuleError('ENOTERASED', `write ${this.path} at ${p * ws}: page ${p} was written since its block was last erased`);
      }
    } else {
      const old = Buffer.alloc(data.length);
      await this.f.read(old, 0, data.length, position);
      // Onto erased flash (the usual case) anything goes: skip the byte-by-byte check.
      if (ERASED_BYTES.length < old.length) ERASED_BYTES = Buffer.alloc(old.length, 0xff);
      if (!old.equals(ERASED_BYTES.subarray(0, old.length))) for (let i = 0; i < data.length; i++) {
        if ((old[i]! & data[i]!) !== data[i]) {
          throw new MtdRuleError('ENOTERASED', `write ${this.path} at ${position + i}: 0x${old[i]!.toString(16)} → 0x${data[i]!.toString(16)} needs a bit set from 0 to 1, which only an erase does`);
        }
      }
    }
    this.counts.write++;
    await this.f.write(data, position);
    if (type === 'nand') this.written.fill(WRITTEN, position / ws, (position + data.length) / ws);
  }

  async erase(position: number, length: number): Promise<void> {
    const { eraseSize: es, writeSize: ws } = this.geometry;
    if (position % es !== 0 || length % es !== 0) throw new MtdRuleError('EINVAL', `erase ${this.path} [${position}, ${position + length}): not whole ${es}-byte erase blocks`);
    this.range('erase', position, length);
    this.counts.erase++;
    await this.f.write(Buffer.alloc(length, 0xff), position);
    if (this.geometry.type === 'nand') this.written.fill(ERASED, position / ws, (position + length) / ws);
  }

  async isBad(position: number): Promise<boolean> {
    return this.bad.has(Math.floor(position / this.geometry.eraseSize));
  }

  async sync(): Promise<void> {}

  close(): Promise<void> {
    return this.f.close();
  }
}
