import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peerAddresses } from '../../src/boot/peer-addresses';
import { NetworkError } from '../../src/boot/subnet';
import type { PfsError } from '../../src/errors';

const eth0 = () => ({ addr: '198.18.0.7', broadcast: '198.18.255.255' });
const none = (iface: string) => {
  throw new NetworkError(`network interface ${iface} not found (have: lo)`);
};

test('pfs.txt gives both: taken as they are, the interface is not asked', () => {
  assert.equal(peerAddresses({ addr: '198.18.0.9', broadcast: '198.18.255.255' }, 'eth0', none), { addr: '198.18.0.9', broadcast: '198.18.255.255' });
});

test('neither given: the interface\'s address and its subnet\'s broadcast', () => {
  assert.equal(peerAddresses({}, 'eth0', eth0), { addr: '198.18.0.7', broadcast: '198.18.255.255' });
});

test('regression: addr= without broadcast= took the broadcast from nothing (a TypeError, exit 70); now from the interface', () => {
  assert.equal(peerAddresses({ addr: '198.18.0.9' }, 'eth0', eth0), { addr: '198.18.0.9', broadcast: '198.18.255.255' });
});

test('addr= without broadcast= and no such interface: PFS_ERR_CONFIG naming the setting to add', () => {
  try {
    peerAddresses({ addr: '198.18.0.9' }, 'eth9', none);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.is((e as PfsError).code, 'PFS_ERR_CONFIG');
    assert.match((e as Error).message, 'network interface eth9 not found');
    assert.match((e as Error).message, 'give broadcast= in pfs.txt (or --broadcast)');
  }
});

test.run();
