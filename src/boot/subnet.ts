import { networkInterfaces } from 'node:os';
import { PfsError } from '../errors';

export class NetworkError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_NETWORK', message);
  }
}

/**
 * The IPv4 address of `iface` and its subnet's directed broadcast address. Adverts
 * go to the subnet broadcast, never to the limited broadcast (that one leaves on
 * every interface and is not what a phone's subnet means).
 */
export function subnetOf(iface: string): { addr: string; broadcast: string } {
  const list = networkInterfaces()[iface];
  if (!list) throw new NetworkError(`network interface ${iface} not found (have: ${Object.keys(networkInterfaces()).join(', ')})`);
  const v4 = list.find((a) => a.family === 'IPv4');
  if (!v4) throw new NetworkError(`network interface ${iface} has no IPv4 address`);
  return { addr: v4.address, broadcast: directedBroadcast(v4.address, v4.netmask) };
}

export function directedBroadcast(addr: string, netmask: string): string {
  const a = addr.split('.').map(Number);
  const m = netmask.split('.').map(Number);
  return a.map((x, i) => (x | (~m[i]! & 255)) & 255).join('.');
}
