import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { planFor, type BlockPlan } from '../net/peer/block-assembler';

/** Component names of a 7941/7961 SCCP load, reused for generated test files. */
const COMPONENTS = ['apps41', 'cnu41', 'cvm41', 'dsp41', 'jar41'];

export interface GeneratedFile {
  name: string;
  size: number;
  plan: BlockPlan;
}

/**
 * Pseudo-random bytes from a seed (AES-128-CTR over zeros): the same seed always
 * gives the same firmware, at memory speed.
 */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(`pfs-firmware:${seed}`).digest();
  const c = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  // CTR is a stream cipher: update() returns every byte, final() nothing.
  return c.update(Buffer.alloc(size));
}

/**
 * Writes a test firmware set of `files` components sharing `totalBytes` into `dir`
 * and returns each file's size and block plan (SHA-256 per block).
 */
export async function generateFirmware(
  dir: string,
  opts: { files: number; totalBytes: number; blockSize: number; load: string; seed: string },
): Promise<GeneratedFile[]> {
  const out: GeneratedFile[] = [];
  const each = Math.floor(opts.totalBytes / opts.files);
  for (let i = 0; i < opts.files; i++) {
    const size = i === opts.files - 1 ? opts.totalBytes - each * (opts.files - 1) : each;
    const base = COMPONENTS[i % COMPONENTS.length]!;
    const name = `${base}${i >= COMPONENTS.length ? `-${Math.floor(i / COMPONENTS.length)}` : ''}.${opts.load}.sbn`;
    const data = seededBytes(`${opts.seed}/${name}`, size);
    const ws = createWriteStream(join(dir, name));
    ws.end(data);
    await once(ws, 'finish');
    out.push({ name, size, plan: planFor(data, opts.blockSize) });
  }
  return out;
}
