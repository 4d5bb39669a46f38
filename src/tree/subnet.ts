import { networkInterfaces } from 'node:os';
import { directedBroadcast } from '../boot/subnet';

/**
 * The broadcast address `pfs tree` listens on when none is given: the first
 * interface with an IPv4 address that is not loopback (a laptop's or a board's own
 * subnet), else loopback's 127.255.255.255 (a lab on this machine).
 */
export function defaultBroadcast(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return directedBroadcast(a.address, a.netmask);
  }
  return '127.255.255.255';
}
