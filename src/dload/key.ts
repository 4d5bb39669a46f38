import { createHash } from 'node:crypto';

/**
 * Identifies one hierarchy: the first 8 bytes of SHA-256(model + "\0" + file name),
 * as 16 lowercase hex digits. Boards of another model, or wanting another file,
 * compute another key and never mix.
 */
export type HierKey = string;

export const KEY_BYTES = 8;

export function hierarchyKey(model: string, file: string): HierKey {
  return createHash('sha256').update(`${model}\0${file}`).digest('hex').slice(0, KEY_BYTES * 2);
}

/** The `H=` value of the console's HROOT line: the key's first 4 bytes. */
export function shortKey(key: HierKey): string {
  return key.slice(0, 8);
}

/** A node id as the console prints it: `XID080027F8`. */
export function xid(nodeId: number): string {
  return 'XID' + (nodeId >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

/**
 * The fast election's strength: the first 4 bytes of SHA-256(key bytes ‖ node id,
 * big-endian u32), as an unsigned 32-bit number. Every board can compute any other
 * board's preference for any file, and a board keeps its own across restarts; each
 * file has its own order, so the roots of a site's files are spread over its boards.
 */
export function preference(key: HierKey, nodeId: number): number {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(nodeId >>> 0);
  return createHash('sha256').update(Buffer.from(key, 'hex')).update(id).digest().readUInt32BE(0);
}
