import { createHash } from 'node:crypto';
import type { BlockPlan } from './block-assembler';

/** What the prefix check reads: a position-addressed medium (a file, a flash slot). */
export interface PrefixReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
}

/**
 * Whole blocks at the start of `medium` (of its first `have` bytes) that match the
 * plan: what an interrupted download already holds. A power cut can leave anything
 * after the last good block, so the first block that fails its hash ends the prefix.
 */
export async function verifiedPrefix(medium: PrefixReader, have: number, plan: BlockPlan): Promise<number> {
  const limit = Math.min(have, plan.size);
  if (limit <= 0) return 0;
  const buf = Buffer.allocUnsafe(Math.min(plan.blockSize, limit));
  let n = 0;
  for (let off = 0; off < limit; off += plan.blockSize, n++) {
    const len = Math.min(plan.blockSize, plan.size - off);
    if (off + len > limit) break; // a partly written block is fetched again
    let got = 0;
    while (got < len) {
      const r = await medium.read(buf, got, len - got, off + got);
      if (r === 0) return n;
      got += r;
    }
    if (!createHash('sha256').update(buf.subarray(0, len)).digest().equals(plan.hashes[n]!)) break;
  }
  return n;
}
