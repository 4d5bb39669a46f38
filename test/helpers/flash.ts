import type { Flash } from '../../src/hal/flash/flash';

/**
 * The active load's `name` as the flash serves it: its bytes up to the size the reader
 * announces (fewer if the reader ends early), or null when the active load has no such
 * file. For checks that compare a slot with the origin's file.
 */
export async function readActiveFile(flash: Flash, name: string): Promise<Buffer | null> {
  const r = await flash.readActive(name);
  if (!r) return null;
  try {
    const buf = Buffer.alloc(r.size);
    let at = 0;
    while (at < buf.length) {
      const n = await r.read(buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    await r.close();
  }
}
