import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { PfsError } from '../errors';

/** No usable MAC address for the board. */
export class IdentityError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_IDENTITY', message);
  }
}

/**
 * Twelve upper-case hex digits, as in SEP001BD5080027.cnf.xml. Accepts the usual
 * spellings: `00:1b:d5:08:00:27`, `00-1B-D5-08-00-27`, `001b.d508.0027`, `001BD5080027`.
 * Throws IdentityError for anything else.
 */
export function normaliseMac(text: string): string {
  const hex = text.trim().replace(/[:.-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(hex)) throw new IdentityError(`"${text}" is not a MAC address`);
  return hex;
}

const unusable = (hex: string) => hex === '000000000000' || hex === 'FFFFFFFFFFFF';
const KERNEL_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * The MAC of a network interface, normalised. Read from
 * `<sysfsRoot>/sys/class/net/IF/address` first (present as soon as the interface
 * exists, before it has an address), else from `os.networkInterfaces()` (which
 * lists only interfaces with an address). Throws IdentityError when the interface
 * is missing or has no MAC (the loopback: give the MAC explicitly).
 */
export function macOf(iface: string, o: { sysfsRoot?: string } = {}): string {
  if (!/^[^/\0]+$/.test(iface) || iface === '.' || iface === '..') throw new IdentityError(`"${iface}" is not a network interface name`);
  let text: string | undefined;
  try {
    text = readFileSync(join(o.sysfsRoot ?? '/', 'sys', 'class', 'net', iface, 'address'), 'utf8').trim();
  } catch {
    const list = networkInterfaces()[iface];
    if (!list) throw new IdentityError(`network interface ${iface} not found`);
    text = list.find((a) => KERNEL_MAC.test(a.mac) && !unusable(normaliseMac(a.mac)))?.mac;
  }
  if (!text || !KERNEL_MAC.test(text) || unusable(normaliseMac(text))) {
    throw new IdentityError(`network interface ${iface} has no MAC address (give one with --mac or mac= in pfs.txt)`);
  }
  return normaliseMac(text);
}

/**
 * The board's MAC: the one given (the lab runs many `sim` boards on one machine,
 * each with `--mac` or `mac=` in pfs.txt), else its interface's (see macOf).
 */
export function boardMac(o: { given?: string; iface: string; sysfsRoot?: string }): string {
  return o.given !== undefined && o.given !== '' ? normaliseMac(o.given) : macOf(o.iface, { sysfsRoot: o.sysfsRoot });
}

/** The configuration files a phone asks its TFTP server for, in order: its own, then the default. */
export function configFileNames(mac: string): [own: string, fallback: string] {
  return [`SEP${normaliseMac(mac)}.cnf.xml`, 'XMLDefault.cnf.xml'];
}

/** The board's XID on the subnet: the low 32 bits of its MAC, as the phone's log shows (XIDD5080027). */
export function nodeIdOf(mac: string): number {
  return parseInt(normaliseMac(mac).slice(4), 16) >>> 0;
}
