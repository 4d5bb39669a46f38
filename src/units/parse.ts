// Sizes, link rates and durations as people type them (command line, bench options).
import { UsageError } from '../errors';

const SIZE_UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, KIB: 1024, M: 1024 ** 2, MB: 1024 ** 2, MIB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3, GIB: 1024 ** 3 };

/**
 * Parses a byte size in binary units: `8M` = 8 MiB, `512K`, `1G`, `1.5M`, `4096`.
 * Throws UsageError (PFS_ERR_USAGE) on anything else, naming `what` in the message.
 */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const mult = m ? SIZE_UNITS[m[2]!.toUpperCase()] : undefined;
  if (!m || mult === undefined) throw new UsageError(`${what} must look like 8M, 512K, 1G or a byte count, got "${text}"`);
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} is too large: "${text}"`);
  return n;
}

const RATE_UNITS: Record<string, number> = { BIT: 1, KBIT: 1e3, MBIT: 1e6, GBIT: 1e9, BPS: 1, KBPS: 1e3, MBPS: 1e6, GBPS: 1e9 };

/**
 * Parses a link rate in bits per second, network style (decimal): `10mbit`, `100Mbit`,
 * `1gbit`, `512kbit`; a bare number is bits per second. Returns **bytes** per second.
 */
export function parseRate(text: string, what = 'rate'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z/]*)\s*$/.exec(text);
  const unit = m ? m[2]!.toUpperCase().replace('/S', 'PS') : '';
  const mult = m ? (unit === '' ? 1 : RATE_UNITS[unit]) : undefined;
  if (!m || mult === undefined) throw new UsageError(`${what} must look like 10mbit, 100mbit or 1gbit, got "${text}"`);
  return (Number(m[1]) * mult) / 8;
}

/** Parses a duration: `150ms`, `2s`, or a bare number of milliseconds. Returns milliseconds. */
export function parseMs(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what} must look like 150ms or 2s, got "${text}"`);
  return Number(m[1]) * (m[2]?.toLowerCase() === 's' ? 1000 : 1);
}
