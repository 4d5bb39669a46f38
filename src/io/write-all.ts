import { skipBytes } from './iovec';

/**
 * Anything that takes a gathered write at a byte offset and may write less than it
 * was given: a `node:fs` FileHandle (`{ bytesWritten }`), a flash file (a count).
 */
export interface PositionalWriter {
  writev(buffers: readonly Buffer[], position: number): Promise<number | { bytesWritten: number }>;
}

/**
 * Writes every byte of `data` (one buffer, or a list written one after another,
 * without copying it) to `target` from byte `position` on, calling `writev` again
 * for what a short write left.
 * Errors: what `writev` throws, unchanged (the caller names the device or file);
 * a write that makes no progress is an `EIO` error rather than a loop without end.
 */
export async function writeAll(target: PositionalWriter, data: Buffer | readonly Buffer[], position = 0): Promise<void> {
  const list: readonly Buffer[] = Buffer.isBuffer(data) ? [data] : data;
  let total = 0;
  for (const b of list) total += b.length;
  for (let done = 0; done < total; ) {
    const r = await target.writev(done === 0 ? list : skipBytes(list, done), position + done);
    const n = typeof r === 'number' ? r : r.bytesWritten;
    if (!(n > 0)) throw Object.assign(new Error(`writev wrote ${n} of ${total - done} bytes at ${position + done}`), { code: 'EIO' });
    done += n;
  }
}
