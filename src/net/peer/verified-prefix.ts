import { createHash } from 'node:crypto';
import type { BlockPlan } from './block-assembler';

/** What the prefix check reads: a position-addressed medium (a file, a flash slot). */
export interface PrefixReader {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
}

/**
 * Bytes one read asks for (whole blocks, at least one): a read is a round trip to the
 * thread pool, and on a busy board each one waits its turn for a core. Blocks of 64 KiB
 * one at a time were 32 such waits per 2 MiB component, in the commit's path (the
 * read-back took 161-199 ms of a 16-board fleet's tail; 256 KiB reads 61-74 ms). 1 MiB
 * reads were no quicker and, four components reading back at once, raised a board's
 * peak RSS by 2 MiB (bench/RESULTS.md, Fleet).
 */
export const READ_BYTES = 256 * 1024;

/** What one read of `plan`'s blocks asks for: whole blocks, at least one, about READ_BYTES. */
export const readSpan = (plan: BlockPlan): number => Math.max(1, Math.floor(READ_BYTES / plan.blockSize)) * plan.blockSize;

/**
 * Whole blocks at the start of `medium` (of its first `have` bytes) that match the
 * plan: what an interrupted download already holds. A power cut can leave anything
 * after the last good block, so the first block that fails its hash ends the prefix.
 * `from`: blocks before it are known good (read back already) and not read again.
 * `buf`: where to read, if the caller keeps one; used when it holds readSpan(plan)
 * bytes, or what is left to read, else one is made for the call.
 */
export async function verifiedPrefix(medium: PrefixReader, have: number, plan: BlockPlan, from = 0, buf?: Buffer): Promise<number> {
  const limit = Math.min(have, plan.size);
  if (limit <= from * plan.blockSize) return Math.max(0, Math.min(from, limit === plan.size ? plan.hashes.length : Math.floor(limit / plan.blockSize)));
  const perRead = readSpan(plan);
  const need = Math.min(perRead, limit - from * plan.blockSize);
  if (!buf || buf.length < need) buf = Buffer.allocUnsafe(need);
  let n = from;
  for (let at = from * plan.blockSize; at < limit; at += perRead) {
    // Only whole blocks: a partly written block is fetched again.
    const end = Math.min(at + perRead, plan.size);
    const whole = end <= limit ? end : at + Math.floor((limit - at) / plan.blockSize) * plan.blockSize;
    const len = whole - at;
    if (len <= 0) return n;
    let got = 0;
    while (got < len) {
      const r = await medium.read(buf, got, len - got, at + got);
      if (r === 0) break;
      got += r;
    }
    for (let off = 0; off < got; off += plan.blockSize, n++) {
      const blockLen = Math.min(plan.blockSize, plan.size - (at + off));
      if (off + blockLen > got) return n; // the medium ended inside this block
      if (!createHash('sha256').update(buf.subarray(off, off + blockLen)).digest().equals(plan.hashes[n]!)) return n;
    }
    if (got < len) return n;
  }
  return n;
}
