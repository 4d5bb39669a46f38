import { networkInterfaces } from 'node:os';
import { PfsError } from '../errors';

export class IdentityError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_IDENTITY', message);
  }
}

/** Twelve upper-case hex digits, as in SEP001122334455.cnf.xml. */
export function normaliseMac(text: string): string {
  const hex = text.replace(/[:.-]/g, '').toUpperCase();
  if (!/^[0-9A-F]{12}$/.test(hex)) throw new IdentityError(`"${text}" is not a MAC address`);
  return hex;
}

/** The MAC of a network interface (from the kernel), normalised. */
export function macOf(iface: string): string {
  const list = networkInterfaces()[iface];
  if (!list) throw new IdentityError(`network interface ${iface} not found`);
  const mac = list.find((a) => a.mac && a.mac !== '00:00:00:00:00:00')?.mac;
  if (!mac) throw new IdentityError(`network interface ${iface} has no MAC address (give one with --mac or mac= in pfs.txt)`);
  return normaliseMac(mac);
}

/** The board's XID on the subnet: the low 32 bits of its MAC, as the phone's log shows (XID080027F8). */
export function nodeIdOf(mac: string): number {
  return parseInt(mac.slice(4), 16) >>> 0;
}
