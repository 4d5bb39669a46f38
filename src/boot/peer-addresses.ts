import { PfsError } from '../errors';
import { subnetOf } from './subnet';

/**
 * This board's peer address and where its adverts go. Each is what pfs.txt or the
 * command line gives (`addr=`, `broadcast=`), else the board's interface's address and
 * its subnet's directed broadcast. Throws PFS_ERR_CONFIG when one is missing and the
 * interface cannot tell it, saying which setting to add.
 */
export function peerAddresses(given: { addr?: string; broadcast?: string }, iface: string, lookup = subnetOf): { addr: string; broadcast: string } {
  if (given.addr && given.broadcast) return { addr: given.addr, broadcast: given.broadcast };
  let net: { addr: string; broadcast: string };
  try {
    net = lookup(iface);
  } catch (e) {
    const missing = [given.addr ? undefined : 'addr=', given.broadcast ? undefined : 'broadcast='].filter(Boolean).join(' and ');
    throw new PfsError('PFS_ERR_CONFIG', `${(e as Error).message}: give ${missing} in pfs.txt (or --${missing.replace(/=/g, '').replace(' and ', ' and --')})`, { cause: e });
  }
  return { addr: given.addr ?? net.addr, broadcast: given.broadcast ?? net.broadcast };
}
