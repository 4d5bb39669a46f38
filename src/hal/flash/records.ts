import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * A small record kept as two alternating copies (the pointer, a slot's table), so
 * that writing it never leaves nothing behind: each copy is `magic`, a sequence
 * number, the payload's length and a CRC-32, then the payload; the copy with the
 * highest sequence number and a good CRC is the record. A write goes to the other
 * copy (erased first), so a cut in the middle of it tears only that copy.
 */
export const RECORD_HEADER = 16;

/**
 * CRC-32 (IEEE 802.3, zlib's), so the copies can be checked with standard tools;
 * `parts` are taken as one run of bytes. zlib's own (Node 20.15+) is native and
 * gives the same values the hand-written table did, so records already on flash read back.
 */
export function crc32(...parts: Buffer[]): number {
  let c = 0;
  for (const b of parts) c = zlibCrc32(b, c);
  return c;
}

/** One copy: `magic` (4 ASCII bytes), seq, length (u32 LE), CRC-32 of seq, length and payload. */
export function encodeRecord(magic: string, seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(RECORD_HEADER);
  head.write(magic, 0, 4, 'latin1');
  head.writeUInt32LE(seq >>> 0, 4);
  head.writeUInt32LE(payload.length, 8);
  head.writeUInt32LE(crc32(head.subarray(4, 12), payload), 12);
  return Buffer.concat([head, payload]);
}

/** The header's fields if it is one of `magic`'s, else null (erased, never written, or another format). */
export function decodeHeader(magic: string, head: Buffer): { seq: number; length: number; crc: number } | null {
  if (head.length < RECORD_HEADER || head.toString('latin1', 0, 4) !== magic) return null;
  return { seq: head.readUInt32LE(4), length: head.readUInt32LE(8), crc: head.readUInt32LE(12) };
}

/** Whether `payload` is the one the header describes. */
export function recordIntact(head: Buffer, payload: Buffer): boolean {
  return payload.length === head.readUInt32LE(8) && crc32(head.subarray(4, 12), payload) === head.readUInt32LE(12);
}
