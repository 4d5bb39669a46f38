import { open, type FileHandle } from 'node:fs/promises';
import { requireNative, type PfsNative } from '../native';
import { FlashError } from './flash';

/** What an MTD partition is: its size and the units it is erased and written in (bytes). */
export interface MtdGeometry {
  /** NOR: any byte may be written (bits only cleared). NAND: whole pages, each once per erase. */
  type: 'nor' | 'nand';
  size: number;
  /** Bytes set to 0xFF by one erase: the erase block. */
  eraseSize: number;
  /** Writes start and end on multiples of this (NAND page; 1 on NOR). */
  writeSize: number;
}

/**
 * A raw flash partition (`/dev/mtdN`), as the `mtd` back-end uses it. Positions and
 * lengths are bytes from the start of the partition. The rules are the chip's:
 * `erase` sets whole erase blocks to 0xFF; `write` can only clear bits, so it goes
 * to erased flash (NAND: a page written since its block's last erase cannot be
 * written again; writes are writeSize-aligned); a bad block (NAND) refuses reads,
 * writes and erases. Errors are the system's (`code` EIO, EINVAL, …).
 */
export interface MtdDevice {
  /** The device (or emulation file), for messages. */
  readonly path: string;
  info(): MtdGeometry;
  /** Reads `length` bytes at `position` into `buffer` at `offset`; returns the bytes read. */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of `data` at `position` (onto erased flash). */
  write(data: Buffer, position: number): Promise<void>;
  /** Erases [position, position+length): both multiples of eraseSize. */
  erase(position: number, length: number): Promise<void>;
  /** Whether the erase block at `position` is marked bad. */
  isBad(position: number): Promise<boolean>;
  /** The device's writes are on the chip (the emulation on a file syncs it; a real chip has nothing to do). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const MTD_NORFLASH = 3;
const MTD_NANDFLASH = 4;
const MTD_MLCNANDFLASH = 8;

/**
 * A real MTD character device: reads and writes are plain pread/pwrite on the file
 * descriptor (mtdchar takes them to the chip); the geometry, erase and the bad-block
 * table need ioctls, through the native addon.
 */
export class NodeMtdDevice implements MtdDevice {
  private constructor(
    readonly path: string,
    private readonly h: FileHandle,
    private readonly native: PfsNative,
    private readonly geometry: MtdGeometry,
  ) {}

  /** Opens `path` read-write; `feature` names who needs the addon, for its error. */
  static async open(path: string, feature = 'flash back-end mtd'): Promise<NodeMtdDevice> {
    const native = requireNative(feature);
    const h = await open(path, 'r+');
    try {
      const i = native.mtdInfo(h.fd, path);
      const type = i.type === MTD_NORFLASH ? 'nor' : i.type === MTD_NANDFLASH || i.type === MTD_MLCNANDFLASH ? 'nand' : undefined;
      if (!type) throw new FlashError('PFS_ERR_FLASH_CONFIG', path, null, `MTD type ${i.type} is neither NOR nor NAND flash`);
      return new NodeMtdDevice(path, h, native, { type, size: i.size, eraseSize: i.eraseSize, writeSize: Math.max(1, i.writeSize) });
    } catch (e) {
      await h.close();
      throw e;
    }
  }

  info(): MtdGeometry {
    return { ...this.geometry };
  }

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.h.read(buffer, offset, length, position)).bytesRead;
  }

  async write(data: Buffer, position: number): Promise<void> {
    for (let done = 0; done < data.length; ) done += (await this.h.write(data, done, data.length - done, position + done)).bytesWritten;
  }

  async erase(position: number, length: number): Promise<void> {
    this.native.mtdErase(this.h.fd, this.path, position, length);
  }

  async isBad(position: number): Promise<boolean> {
    return this.geometry.type === 'nand' && this.native.mtdIsBad(this.h.fd, this.path, position);
  }

  async sync(): Promise<void> {}

  close(): Promise<void> {
    return this.h.close();
  }
}
