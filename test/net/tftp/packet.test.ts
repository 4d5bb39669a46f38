import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encodeAck, encodeError, encodeOAck, encodeRequest, Op, unwrapBlock, writeDataHeader } from '../../../src/net/tftp/packet';
import { acceptOptions, checkOAck, defaults } from '../../../src/net/tftp/options';

test('RRQ with options round-trips, option names case-insensitive', () => {
  const buf = encodeRequest(Op.RRQ, 'SEP001122334455.cnf.xml', 'octet', { BLKSIZE: '1428', tsize: '0' });
  const p = decode(buf);
  assert.equal(p, { op: Op.RRQ, file: 'SEP001122334455.cnf.xml', mode: 'octet', options: { blksize: '1428', tsize: '0' } });
});

test('DATA payload is a view of the datagram, not a copy', () => {
  const buf = Buffer.alloc(4 + 3);
  writeDataHeader(buf, 70000);
  buf.set([1, 2, 3], 4);
  const p = decode(buf);
  assert.is(p.op, Op.DATA);
  if (p.op !== Op.DATA) return;
  assert.is(p.block, 70000 & 0xffff);
  buf[4] = 9;
  assert.is(p.payload[0], 9);
});

test('ACK, ERROR and OACK decode', () => {
  assert.equal(decode(encodeAck(65535)), { op: Op.ACK, block: 65535 });
  assert.equal(decode(encodeError(1, 'File not found')), { op: Op.ERROR, code: 1, message: 'File not found' });
  assert.equal(decode(encodeOAck({ blksize: '512', windowsize: '8' })), { op: Op.OACK, options: { blksize: '512', windowsize: '8' } });
});

test('hostile datagrams decode to Malformed, never throw', () => {
  const bad = [Buffer.alloc(0), Buffer.from([0, 1]), Buffer.from([0, 9, 0, 0]), Buffer.from([0, 1, 65, 66]), Buffer.from([0, 1, 65, 0, 111, 0, 98, 0])];
  for (const b of bad) assert.is(decode(b).op, 0, `for ${b.toString('hex')}`);
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    const b = Buffer.alloc((seed = (seed * 1103515245 + 12345) >>> 0) % 40);
    for (let j = 0; j < b.length; j++) b[j] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    decode(b);
  }
});

test('block numbers unwrap across the 65535 roll-over in both directions', () => {
  assert.is(unwrapBlock(0, 65536), 65536);
  assert.is(unwrapBlock(65535, 65536), 65535);
  assert.is(unwrapBlock(1, 65536), 65537);
  assert.is(unwrapBlock(5, 3 * 65536 + 2), 3 * 65536 + 5);
  assert.is(unwrapBlock(65534, 3 * 65536 + 2), 3 * 65536 - 2);
});

test('server grants options within its limits and answers tsize with the file size', () => {
  const { agreed, oack } = acceptOptions({ blksize: '9000', windowsize: '100', tsize: '0', timeout: '3', foo: 'bar' }, 1234, { maxBlksize: 1468, maxWindowsize: 16 });
  assert.equal(oack, { blksize: '1468', windowsize: '16', timeout: '3', tsize: '1234' });
  assert.equal([agreed.blksize, agreed.windowsize, agreed.timeoutMs, agreed.tsize], [1468, 16, 3000, 1234]);
  assert.equal(acceptOptions({ blksize: '4', windowsize: 'x' }, 1, { maxBlksize: 65464, maxWindowsize: 64 }).oack, {});
});

test('client rejects an OACK that raises what it asked or invents options', () => {
  const asked = { blksize: '1428', windowsize: '16', tsize: '0' };
  const ok = checkOAck(asked, { blksize: '1024', windowsize: '4', tsize: '99' }, defaults());
  assert.equal(ok, { ...defaults(), blksize: 1024, windowsize: 4, tsize: 99 });
  assert.type(checkOAck(asked, { blksize: '2000' }, defaults()), 'string');
  assert.type(checkOAck(asked, { timeout: '5' }, defaults()), 'string');
  assert.type(checkOAck(asked, { windowsize: '0' }, defaults()), 'string');
});

test('sackprobe is granted only with sack and tsize (the client tells an empty probe from an empty last block by the size)', () => {
  const limits = { maxBlksize: 1468, maxWindowsize: 64 };
  const all = acceptOptions({ windowsize: '16', tsize: '0', sack: '1', sackprobe: '1' }, 4096, limits);
  assert.equal(all.oack, { windowsize: '16', tsize: '4096', sack: '1', sackprobe: '1' });
  assert.is(all.agreed.sackProbe, true);
  assert.not.ok('sackprobe' in acceptOptions({ windowsize: '16', sack: '1', sackprobe: '1' }, 4096, limits).oack, 'no tsize asked');
  assert.not.ok('sackprobe' in acceptOptions({ windowsize: '16', tsize: '0', sackprobe: '1' }, 4096, limits).oack, 'no sack asked');
  assert.not.ok('sackprobe' in acceptOptions({ windowsize: '16', tsize: '0', sack: '1', sackprobe: '1' }, 4096, { ...limits, sack: false }).oack, 'sack off');
  const asked = { windowsize: '16', tsize: '0', sack: '1', sackprobe: '1' };
  const got = checkOAck(asked, { windowsize: '16', tsize: '4096', sack: '1', sackprobe: '1' }, defaults());
  assert.is(typeof got === 'object' && got.sackProbe, true);
  assert.match(String(checkOAck(asked, { tsize: '4096', sackprobe: '1' }, defaults())), /sackprobe without sack/);
  assert.match(String(checkOAck(asked, { sack: '1', sackprobe: '1' }, defaults())), /sackprobe without sack and tsize/);
  assert.type(checkOAck(asked, { sack: '1', tsize: '1', sackprobe: '2' }, defaults()), 'string');
});

test.run();
