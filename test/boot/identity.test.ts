import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardMac, configFileNames, IdentityError, macOf, nodeIdOf, normaliseMac } from '../../src/boot/identity';

test('a MAC in any usual spelling becomes twelve upper-case hex digits', () => {
  for (const s of ['00:1b:d5:08:00:27', '00-1B-D5-08-00-27', '001b.d508.0027', '001bd5080027', ' 001BD5080027\n']) assert.is(normaliseMac(s), '001BD5080027', s);
  for (const s of ['nope', '00:1b:d5:08:00', '00:1b:d5:08:00:27:11', 'g01bd5080027']) assert.throws(() => normaliseMac(s), (e: unknown) => e instanceof IdentityError && /is not a MAC address/.test((e as Error).message), s);
});

test('the files a phone asks for: SEP<MAC>.cnf.xml, then XMLDefault.cnf.xml', () => {
  assert.equal(configFileNames('00:1b:d5:08:00:27'), ['SEP001BD5080027.cnf.xml', 'XMLDefault.cnf.xml']);
});

test('the XID is the low 32 bits of the MAC', () => {
  assert.is(nodeIdOf('001BD5080027').toString(16).toUpperCase(), 'D5080027');
  assert.is(nodeIdOf('00:1b:d5:08:00:27'), 0xd5080027);
});

test('the MAC comes from /sys/class/net/IF/address under the given root', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pfs-sysfs-'));
  try {
    await mkdir(join(root, 'sys/class/net/eth0'), { recursive: true });
    await writeFile(join(root, 'sys/class/net/eth0/address'), 'dc:a6:32:01:02:03\n');
    await mkdir(join(root, 'sys/class/net/lo'), { recursive: true });
    await writeFile(join(root, 'sys/class/net/lo/address'), '00:00:00:00:00:00\n');
    assert.is(macOf('eth0', { sysfsRoot: root }), 'DCA632010203');
    assert.throws(() => macOf('lo', { sysfsRoot: root }), /network interface lo has no MAC address \(give one with --mac or mac= in pfs\.txt\)/);
    assert.throws(() => macOf('../../etc', { sysfsRoot: root }), /is not a network interface name/);
    assert.is(boardMac({ iface: 'eth0', sysfsRoot: root }), 'DCA632010203');
    // The sim board: many on one machine, each told its MAC.
    assert.is(boardMac({ given: '00:1b:d5:08:00:27', iface: 'lo', sysfsRoot: root }), '001BD5080027');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('without sysfs, os.networkInterfaces() is asked; an unknown interface is named', () => {
  const real = Object.entries(networkInterfaces()).find(([, l]) => l?.some((a) => a.mac !== '00:00:00:00:00:00'));
  if (real) assert.is(macOf(real[0], { sysfsRoot: '/nonexistent' }), normaliseMac(real[1]!.find((a) => a.mac !== '00:00:00:00:00:00')!.mac));
  assert.throws(() => macOf('nosuchif0', { sysfsRoot: '/nonexistent' }), /network interface nosuchif0 not found/);
});

test.run();
