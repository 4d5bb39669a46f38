import { createHash } from 'node:crypto';

/** Fixed block size of the per-block SHA-256 list the caller hands the engine. */
export const DEFAULT_BLOCK_BYTES = 64 * 1024;

export function blockCount(size: number, blockBytes: number): number {
  return Math.ceil(size / blockBytes);
}

/** Byte length of block `index` (the last one may be short). */
export function blockLength(index: number, size: number, blockBytes: number): number {
  return Math.min(blockBytes, size - index * blockBytes);
}

/**
 * SHA-256 of every `blockBytes` slice of `data`: what a caller computes once at the
 * origin (or reads from a manifest) and gives each board.
 */
export function blockHashes(data: Uint8Array, blockBytes = DEFAULT_BLOCK_BYTES): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < data.length; off += blockBytes) {
    out.push(createHash('sha256').update(data.subarray(off, off + blockBytes)).digest());
  }
  return out;
}

/**
 * True if the slices (received as a list, never concatenated) hash to `expected`.
 * The shell calls this before writing a block to flash or passing it to children.
 */
export function verifyBlock(slices: readonly Uint8Array[], expected: Uint8Array): boolean {
  const h = createHash('sha256');
  for (const s of slices) h.update(s);
  return h.digest().equals(expected);
}
