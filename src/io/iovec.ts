/**
 * `list` without its first `n` bytes, as views (no copies): what is left to write
 * after a `writev` wrote less than it was given.
 */
export function skipBytes(list: readonly Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of list) {
    if (n >= b.length) n -= b.length;
    else {
      out.push(n > 0 ? b.subarray(n) : b);
      n = 0;
    }
  }
  return out;
}
