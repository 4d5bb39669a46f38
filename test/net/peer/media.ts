// Flash stand-ins for the data-path tests: an in-memory medium that records every
// write, can refuse the write that reaches a chosen offset (a worn or full device),
// can be throttled to a chosen rate (flash slower than the network) or held shut.
import type { SpoolMedium } from '../../../src/net/peer/spool';
import { sleep } from '../../../src/io/sleep';

export interface TestMedium extends SpoolMedium {
  /** The bytes as written so far. */
  readonly data: Buffer;
  /** [position, length] of every write, in order. */
  readonly writes: Array<[number, number]>;
  /** Highest byte offset written + 1. */
  readonly end: number;
}

export interface MediumOptions {
  device: string;
  size: number;
  /** Bytes already on it (a resume), copied in at open. */
  existing?: Buffer;
  /** The write whose range reaches this offset throws EIO; nothing of it is kept. */
  failAt?: number;
  /** Bytes per second the medium takes (a token bucket); default unlimited. */
  rate?: number;
  /** Every write waits for this first: flash that takes nothing until it settles. */
  heldUntil?: Promise<void>;
}

export function testMedium(o: MediumOptions): TestMedium {
  // Touched now, so the pages of this stand-in flash count before a test measures RSS.
  const data = Buffer.alloc(o.size).fill(0);
  let length = 0;
  if (o.existing) {
    o.existing.copy(data);
    length = o.existing.length;
  }
  const writes: Array<[number, number]> = [];
  let end = 0;
  let freeAt = 0;
  const m: TestMedium = {
    device: o.device,
    existingBytes: length,
    data,
    writes,
    get end() {
      return end;
    },
    async writev(buffers, position) {
      let n = 0;
      for (const b of buffers) n += b.length;
      if (o.heldUntil) await o.heldUntil;
      if (o.rate) {
        const now = performance.now();
        freeAt = Math.max(freeAt, now) + (n / o.rate) * 1000;
        await sleep(freeAt - now);
      }
      if (o.failAt !== undefined && position + n > o.failAt) {
        throw Object.assign(new Error(`EIO: i/o error, write at ${position} on ${o.device}`), { code: 'EIO' });
      }
      let at = position;
      for (const b of buffers) at += b.copy(data, at);
      writes.push([position, n]);
      end = Math.max(end, position + n);
      length = Math.max(length, end);
      return n;
    },
    async read(buffer, offset, len, position) {
      const n = Math.max(0, Math.min(len, length - position));
      data.copy(buffer, offset, position, position + n);
      return n;
    },
    async truncate(len) {
      length = len;
      end = Math.min(end, len);
    },
    async sync() {},
    async close() {},
  };
  return m;
}
