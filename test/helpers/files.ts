// Temporary directories and deterministic test files.
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TmpDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  cleanup(): Promise<void>;
}

/**
 * A fresh directory under the OS temp dir, mode 0755: the TFTP daemons may drop
 * privileges and must still be able to read what the test puts there.
 */
export async function tmpDir(prefix = 'pfs-test-'): Promise<TmpDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  await chmod(path, 0o755);
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export interface MadeFile {
  readonly path: string;
  readonly size: number;
  /** SHA-256 of the content, hex. */
  readonly sha256: string;
}

const CHUNK = 1 << 20;

/**
 * Writes `size` bytes of pseudo-random content fully determined by `seed` (AES-256-CTR
 * keystream keyed by the seed: ~1 GB/s, so 64 MiB takes well under a second).
 * The file is world-readable (0644).
 */
export async function makeFile(dir: string, name: string, size: number, seed: number | string = 1): Promise<MadeFile> {
  const key = createHash('sha256').update(`pfs-test-file:${seed}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
  const hash = createHash('sha256');
  const path = join(dir, name);
  const fh = await open(path, 'w', 0o644);
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(CHUNK, size - done);
      const block = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
      hash.update(block);
      await fh.write(block, 0, block.length);
      done += n;
    }
  } finally {
    await fh.close();
  }
  await chmod(path, 0o644);
  return { path, size, sha256: hash.digest('hex') };
}

/** SHA-256 of a file's content, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
