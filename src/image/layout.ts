// What is in a disk image, read from its own bytes: the MBR's partitions, which one is
// the FAT boot partition and which the ext4 root, and the ext4 superblock's free space.
// Read here rather than with sfdisk/dumpe2fs so the refusals (not MBR, not FAT+ext4,
// too small) happen before any program touches the image.
import { open } from 'node:fs/promises';
import { PfsError } from '../errors';

/** One partition of the image, in bytes from the image's start. */
export interface Partition {
  /** 1..4, as sfdisk and the kernel number them (disk.img1). */
  index: number;
  type: number;
  offset: number;
  bytes: number;
}

/** Space left on the ext4 root, from its superblock. */
export interface ExtSpace {
  blockSize: number;
  freeBlocks: number;
  freeInodes: number;
}

/** The two partitions `pfs image` writes into, found and checked. */
export interface ImageLayout {
  boot: Partition;
  root: Partition;
  rootSpace: ExtSpace;
  imageBytes: number;
}

const SECTOR = 512;
/** MBR type bytes of FAT12/16/32 partitions (LBA and CHS forms). */
const FAT_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e]);
const LINUX = 0x83;
const GPT_PROTECTIVE = 0xee;
const EXT_MAGIC = 0xef53;

const formatError = (image: string, why: string) =>
  new PfsError('PFS_ERR_IMAGE_FORMAT', `${image}: ${why}; pfs image writes into a Raspberry Pi OS-style image (MBR, a FAT boot partition, an ext4 root)`);

/** The primary partitions of an MBR sector (empty entries left out). Throws PFS_ERR_IMAGE_FORMAT when it is no MBR. */
export function parseMbr(sector: Buffer, image: string): Partition[] {
  if (sector.length < SECTOR || sector.readUInt16LE(510) !== 0xaa55) throw formatError(image, 'no MBR partition table (no 55 AA signature in its first sector)');
  const parts: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = 446 + 16 * i;
    const type = sector[e + 4]!;
    const start = sector.readUInt32LE(e + 8);
    const count = sector.readUInt32LE(e + 12);
    if (type === 0 || count === 0) continue;
    parts.push({ index: i + 1, type, offset: start * SECTOR, bytes: count * SECTOR });
  }
  if (parts.some((p) => p.type === GPT_PROTECTIVE)) throw formatError(image, 'a GPT disk, not MBR');
  if (parts.length === 0) throw formatError(image, 'its MBR lists no partition');
  return parts;
}

/** True when a partition's first sector is a FAT boot sector (FAT12/16 or FAT32). */
export function isFatBootSector(b: Buffer): boolean {
  if (b.length < SECTOR || b.readUInt16LE(510) !== 0xaa55) return false;
  return b.toString('latin1', 54, 57) === 'FAT' || b.toString('latin1', 82, 87) === 'FAT32';
}

/**
 * The ext2/3/4 superblock's free space (the superblock is 1024 bytes into the
 * partition), or undefined when there is none. Counts blocks reserved for root as free:
 * what pfs image writes is root's.
 */
export function parseExtSuperblock(sb: Buffer): (ExtSpace & { ext4: boolean }) | undefined {
  if (sb.length < 1024 || sb.readUInt16LE(56) !== EXT_MAGIC) return undefined;
  const incompat = sb.readUInt32LE(0x60);
  const is64 = (incompat & 0x80) !== 0;
  const freeBlocks = sb.readUInt32LE(0x0c) + (is64 ? sb.readUInt32LE(0x158) * 2 ** 32 : 0);
  return {
    blockSize: 1024 << sb.readUInt32LE(0x18),
    freeBlocks,
    freeInodes: sb.readUInt32LE(0x10),
    // extents (0x40) or flex_bg (0x200): made by mkfs.ext4, not mkfs.ext2/3.
    ext4: (incompat & 0x240) !== 0,
  };
}

async function readAt(fh: Awaited<ReturnType<typeof open>>, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/**
 * Finds the FAT boot partition and the ext4 root of `image` and checks that both lie
 * inside the file. Throws PFS_ERR_IMAGE_FORMAT (not MBR, no FAT or no ext4 partition)
 * or PFS_ERR_IMAGE_SPACE (the file is shorter than its partitions: truncated).
 */
export async function readLayout(image: string): Promise<ImageLayout> {
  const fh = await open(image, 'r');
  try {
    const imageBytes = (await fh.stat()).size;
    const parts = parseMbr(await readAt(fh, 0, SECTOR), image);
    let boot: Partition | undefined;
    let root: Partition | undefined;
    let rootSpace: ExtSpace | undefined;
    for (const p of parts) {
      if (p.offset + p.bytes > imageBytes) {
        throw new PfsError('PFS_ERR_IMAGE_SPACE', `${image}: too small: partition ${p.index} ends at byte ${p.offset + p.bytes}, the file has ${imageBytes} (a truncated image?)`);
      }
      if (!boot && FAT_TYPES.has(p.type) && isFatBootSector(await readAt(fh, p.offset, SECTOR))) boot = p;
      else if (!root && p.type === LINUX) {
        const sb = parseExtSuperblock(await readAt(fh, p.offset + 1024, 1024));
        if (sb?.ext4) {
          root = p;
          rootSpace = { blockSize: sb.blockSize, freeBlocks: sb.freeBlocks, freeInodes: sb.freeInodes };
        }
      }
    }
    if (!boot) throw formatError(image, 'no FAT boot partition');
    if (!root || !rootSpace) throw formatError(image, 'no ext4 root partition');
    return { boot, root, rootSpace, imageBytes };
  } finally {
    await fh.close();
  }
}
