import { open } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { BlockPlan } from '../net/peer/block-assembler';

/**
 * Reads a finished file back from flash and checks every block against the plan:
 * what was verified on the way in must also be what the medium holds.
 * Returns a reason when it does not match.
 */
export async function checkFileOnDisk(path: string, plan: BlockPlan): Promise<string | undefined> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return `${path} is missing`;
  try {
    const st = await fh.stat();
    if (st.size !== plan.size) return `${path} has ${st.size} bytes, expected ${plan.size}`;
    const buf = Buffer.allocUnsafe(plan.blockSize);
    for (let i = 0, off = 0; off < plan.size; i++, off += plan.blockSize) {
      const len = Math.min(plan.blockSize, plan.size - off);
      const { bytesRead } = await fh.read(buf, 0, len, off);
      if (bytesRead !== len) return `${path} ended early at ${off + bytesRead}`;
      if (!createHash('sha256').update(buf.subarray(0, len)).digest().equals(plan.hashes[i]!)) return `${path} block ${i} does not match its SHA-256`;
    }
    return undefined;
  } finally {
    await fh.close();
  }
}
