import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/** Whole-file and per-block SHA-256, hex: the numbers a manifest holds for a component. */
export interface FileDigest {
  size: number;
  sha256: string;
  blocks: string[];
}

/**
 * Hashes a byte stream fed in chunks of any size: the whole and every `blockSize`
 * block, as blockHashes (src/dload/integrity.ts) does for data held in memory.
 */
export class BlockHasher {
  private readonly whole = createHash('sha256');
  private readonly blocks: string[] = [];
  private block: Hash = createHash('sha256');
  private inBlock = 0;
  private size = 0;

  constructor(private readonly blockSize: number) {
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`block size must be a positive whole number, got ${blockSize}`);
  }

  update(chunk: Uint8Array): void {
    this.whole.update(chunk);
    this.size += chunk.length;
    for (let off = 0; off < chunk.length; ) {
      const take = Math.min(this.blockSize - this.inBlock, chunk.length - off);
      this.block.update(chunk.subarray(off, off + take));
      this.inBlock += take;
      off += take;
      if (this.inBlock === this.blockSize) {
        this.blocks.push(this.block.digest('hex'));
        this.block = createHash('sha256');
        this.inBlock = 0;
      }
    }
  }

  digest(): FileDigest {
    if (this.inBlock > 0) this.blocks.push(this.block.digest('hex'));
    this.inBlock = 0;
    return { size: this.size, sha256: this.whole.digest('hex'), blocks: this.blocks };
  }
}

const CHUNK = 1 << 20;

/** Hashes a file as a stream (firmware can be large; memory stays at one chunk). */
export async function hashFile(path: string, blockSize: number): Promise<FileDigest> {
  const h = new BlockHasher(blockSize);
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest();
}

/**
 * Copies `src` to `dest` and hashes it in the same pass, so the hashes describe
 * exactly the bytes written. The copy goes to `dest.tmp-<pid>` first and is renamed
 * once complete and synced: a TFTP server serving the folder never sees half a file.
 */
export async function hashCopy(src: string, dest: string, blockSize: number): Promise<FileDigest> {
  const h = new BlockHasher(blockSize);
  const tmp = `${dest}.tmp-${process.pid}`;
  const out = await open(tmp, 'w', 0o644);
  try {
    for await (const chunk of createReadStream(src, { highWaterMark: CHUNK }) as AsyncIterable<Buffer>) {
      h.update(chunk);
      for (let off = 0; off < chunk.length; ) off += (await out.write(chunk, off, chunk.length - off)).bytesWritten;
    }
    await out.sync();
    await out.close();
    await rename(tmp, dest);
  } catch (e) {
    await out.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  return h.digest();
}
