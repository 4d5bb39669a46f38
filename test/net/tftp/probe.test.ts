// The sack server's probe (docs/TFTP.md): after two round trips without a report it
// sends one block so that the client says what it lacks. A report that was only late
// (a root whose CPU was busy: one board of 16 in a process, 64 boards on 2 cores) made
// that probe a block sent twice over the WAN, so a 64-board lab pulled one datagram
// more than the set. Now the probe is a block not sent yet when the client has room
// for it, and the client reports a block that comes after a long quiet at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { TftpServer } from '../../../src/net/tftp/server';
import { tftpGet } from '../../../src/net/tftp/client';
import { decode, encodeAck, encodeOAck, encodeRequest, encodeSackAck, Op } from '../../../src/net/tftp/packet';
import { makeFile, tmpDir, until } from '../../helpers/index';

function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((ok) => s.bind(0, '127.0.0.1', () => ok(s)));
}

test('a probe after a silent client is a new block when the client has room: nothing is sent twice', async () => {
  const dir = await tmpDir('pfs-probe-');
  await makeFile(dir.path, 'f.bin', 400 * 1024, 'probe');
  const server = new TftpServer({ root: dir.path, port: 0 });
  await server.start();
  const sock = await bound();
  const blocks: number[] = [];
  let peer = 0;
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    peer = r.port;
    if (p.op === Op.OACK) sock.send(encodeAck(0), r.port, '127.0.0.1');
    if (p.op !== Op.DATA) return;
    blocks.push(p.block);
    // One report for the first window, room for 200 more; then silence (a busy client).
    if (p.block === 16) sock.send(encodeSackAck(16, 16, 200, []), r.port, '127.0.0.1');
  });
  try {
    sock.send(encodeRequest(Op.RRQ, 'f.bin', 'octet', { blksize: '1024', windowsize: '16', sack: '1', tsize: '0' }), server.address().port, '127.0.0.1');
    await until(() => blocks.length > 16, { timeoutMs: 5000, what: 'the window after the report' });
    const sent = Math.max(...blocks);
    await until(() => blocks.length > sent, { timeoutMs: 5000, what: 'the probe' });
    const probe = blocks[sent]!;
    assert.is(probe, sent + 1, `the probe is the next block, not block ${probe} again (blocks ${blocks.join(',')})`);
    assert.is(new Set(blocks).size, blocks.length, 'no block sent twice');
    sock.send(encodeSackAck(probe, probe, 0, []), peer, '127.0.0.1'); // held: nothing more until the test ends
  } finally {
    sock.close();
    await server.stop();
    await dir.cleanup();
  }
});

test('the client reports at once a block that comes after a quiet of a quarter of its timeout (it may be a probe)', async () => {
  const fake = await bound();
  const transfer = await bound();
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: fake.address().port, file: 'f.bin', blksize: 512, windowsize: 16, timeoutMs: 1000 });
    const done = dl.deliver(() => true).catch(() => {});
    const [, client] = (await once(fake, 'message')) as [Buffer, dgram.RemoteInfo];
    const acks: { block: number; at: number }[] = [];
    transfer.on('message', (msg) => {
      const p = decode(msg);
      if (p.op === Op.ACK) acks.push({ block: p.block, at: performance.now() });
    });
    transfer.send(encodeOAck({ windowsize: '16', sack: '1' }), client.port, '127.0.0.1');
    await until(() => acks.some((a) => a.block === 0), { timeoutMs: 2000, what: 'ACK 0' });
    const data = (n: number) => {
      const b = Buffer.alloc(4 + 512, n);
      b.writeUInt16BE(Op.DATA, 0);
      b.writeUInt16BE(n, 2);
      return b;
    };
    for (let n = 1; n <= 5; n++) transfer.send(data(n), client.port, '127.0.0.1');
    await new Promise((ok) => setTimeout(ok, 400));
    const sentAt = performance.now();
    transfer.send(data(6), client.port, '127.0.0.1');
    await until(() => acks.some((a) => a.block === 6), { timeoutMs: 2000, what: 'a report of block 6' });
    const at = acks.find((a) => a.block === 6)!.at;
    assert.ok(at - sentAt < 150, `reported ${Math.round(at - sentAt)} ms after it came, not at the client's timer`);
    dl.abort();
    await done;
  } finally {
    fake.close();
    transfer.close();
  }
});

test.run();
