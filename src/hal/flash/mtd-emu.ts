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
}

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
    private readonly f: FsFile,
    private readonly geometry: MtdGeometry,
    /** NAND: 1 for each page written since its block's last erase. */
    private readonly written: Uint8Array,
    bad: readonly number[],
  ) {
    this.bad = new Set(bad);
  }

  /** Makes `path` an erased (all 0xFF) partition of `size` bytes. */
  static async format(fs: FlashFs, path: string, size: number): Promise<void> {
    const f = await fs.open(path, 'write');
    try {
      await f.truncate(0);
      await writeAll(f, Buffer.alloc(size, 0xff));
      await f.sync();
    } finally {
      await f.close();
    }
  }

  /** The emulated partition in file `path` of `fs` (its size is the file's, a multiple of eraseSize). */
  static async open(fs: FlashFs, path: string, o: MtdEmulatorOptions): Promise<MtdEmulator> {
    const { type, eraseSize, writeSize } = o;
    if (!(eraseSize > 0 && writeSize > 0 && eraseSize % writeSize === 0)) throw new MtdRuleError('EINVAL', `${path}: erase size ${eraseSize} is not a multiple of write size ${writeSize}`);
    const f = await fs.open(path, 'read');
    const size = await f.size();
    if (size === 0 || size % eraseSize !== 0) {
      await f.close();
      throw new MtdRuleError('EINVAL', `${path}: ${size} bytes is not a whole number of ${eraseSize}-byte erase blocks`);
    }
    await f.close();
    const rw = await fs.open(path, 'write');
    const written = new Uint8Array(size / writeSize);
    if (type === 'nand') {
      const all = Buffer.alloc(size);
      await rw.read(all, 0, size, 0);
      for (let p = 0; p < written.length; p++) {
        for (let i = p * writeSize; i < (p + 1) * writeSize; i++) {
          if (all[i] !== 0xff) {
            written[p] = 1;
            break;
          }
        }
      }
    }
    return new MtdEmulator(path, rw, { type, size, eraseSize, writeSize: type === 'nor' ? 1 : writeSize }, written, o.badBlocks ?? []);
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
    let got = 0;
    while (got < length) {
      const n = await this.f.read(buffer, offset + got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  async write(data: Buffer, position: number): Promise<void> {
    const { type, writeSize: ws } = this.geometry;
    this.range('write', position, data.length);
    if (type === 'nand') {
      if (position % ws !== 0 || data.length % ws !== 0) {
        throw new MtdRuleError('EINVAL', `write ${this.path} [${position}, ${position + data.length}): NAND writes whole ${ws}-byte pages`);
      }
      for (let p = position / ws; p < (position + data.length) / ws; p++) {
        if (this.written[p]) throw new MtdRuleError('ENOTERASED', `write ${this.path} at ${p * ws}: page ${p} was written since its block was last erased`);
      }
    } else {
      const old = Buffer.alloc(data.length);
      await this.f.read(old, 0, data.length, position);
      for (let i = 0; i < data.length; i++) {
        if ((old[i]! & data[i]!) !== data[i]) {
          throw new MtdRuleError('ENOTERASED', `write ${this.path} at ${position + i}: 0x${old[i]!.toString(16)} → 0x${data[i]!.toString(16)} needs a bit set from 0 to 1, which only an erase does`);
        }
      }
    }
    this.counts.write++;
    await writeAll(this.f, data, position);
    await this.f.sync();
    if (type === 'nand') this.written.fill(1, position / ws, (position + data.length) / ws);
  }

  async erase(position: number, length: number): Promise<void> {
    const { eraseSize: es, writeSize: ws } = this.geometry;
    if (position % es !== 0 || length % es !== 0) throw new MtdRuleError('EINVAL', `erase ${this.path} [${position}, ${position + length}): not whole ${es}-byte erase blocks`);
    this.range('erase', position, length);
    this.counts.erase++;
    await writeAll(this.f, Buffer.alloc(length, 0xff), position);
    await this.f.sync();
    this.written.fill(0, position / ws, (position + length) / ws);
  }

  async isBad(position: number): Promise<boolean> {
    return this.bad.has(Math.floor(position / this.geometry.eraseSize));
  }

  async sync(): Promise<void> {}

  close(): Promise<void> {
    return this.f.close();
  }
}
