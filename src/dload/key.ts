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
