// The server's probe for a silent sack client (docs/TFTP.md, `sackprobe`). Issue 12:
// in the 32- and 64-board loopback labs the origin sent 1 to 3 blocks twice when a
// root's process was starved past the probe's wait: its report was late, not lost,
// and the probe (a block sent again) was a block the board already held. With
// `sackprobe` the probe carries no data; a lost tail is still named and sent again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { TftpServer } from '../../../src/net/tftp/server';
import { Transfer } from '../../../src/net/tftp/transfer';
import { silentLogger } from '../../../src/log/logger';
import { tftpGet } from '../../../src/net/tftp/client';
import { decode, encodeAck, encodeRequest, encodeSackAck, Op } from '../../../src/net/tftp/packet';
import { LOOPBACK, makeFile, tmpDir, UdpRelay, until } from '../../helpers/index';

const BLKSIZE = 1024;

test('regression: a report that is only late (the client starved, not the server) costs no block sent twice', async () => {
  const dir = await tmpDir('pfs-probe-late-');
  const blocks = 80;
  const size = (blocks - 1) * BLKSIZE + 300;
  await makeFile(dir.path, 'f.bin', size, 'late');
  const server = new TftpServer({ root: dir.path, port: 0, bind: LOOPBACK });
  await server.start();
  const sock = dgram.createSocket('udp4');
  const seen = new Map<number, number>();
  let emptyProbes = 0;
  const timers: NodeJS.Timeout[] = [];
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    if (p.op === Op.OACK) return void sock.send(encodeAck(0), r.port, LOOPBACK);
    if (p.op !== Op.DATA) return;
    if (p.payload.length === 0) return void emptyProbes++; // answered below, when the starved client runs again
    seen.set(p.block, (seen.get(p.block) ?? 0) + 1);
    if (seen.get(p.block) !== 1) return;
    if (p.block < blocks && p.block % 16 === 0) sock.send(encodeSackAck(p.block, p.block, 256, []), r.port, LOOPBACK);
    // The last block is in, and the board's process gets no CPU for 500 ms (the
    // server's does): its report leaves that late, past the probe's 100 ms wait.
    if (p.block === blocks) timers.push(setTimeout(() => sock.send(encodeSackAck(blocks, blocks, 256, []), r.port, LOOPBACK), 500));
  });
  try {
    await new Promise<void>((ok) => sock.bind(0, LOOPBACK, ok));
    const options = { blksize: String(BLKSIZE), windowsize: '16', tsize: '0', sack: '1', sackprobe: '1' };
    sock.send(encodeRequest(Op.RRQ, 'f.bin', 'octet', options), server.address().port, LOOPBACK);
    await until(() => server.stats.active === 0 && seen.has(blocks), { timeoutMs: 10_000, what: 'the transfer to end' });
    assert.ok(server.stats.probes >= 1, `the silence was probed (probes: ${server.stats.probes})`);
    assert.ok(emptyProbes >= 1, 'the probe came without data');
    const twice = [...seen].filter(([, n]) => n > 1).map(([b, n]) => `${b}x${n}`);
    assert.equal(twice, [], 'no block sent twice');
    assert.is(server.stats.bytesSent, size, 'the origin sent the file exactly once');
  } finally {
    for (const t of timers) clearTimeout(t);
    sock.close();
    await server.stop();
    await dir.cleanup();
  }
});

/** Our client through a relay that loses the first copy of the file's last `lost` blocks. */
async function lostTail(sackProbe: boolean) {
  const dir = await tmpDir('pfs-probe-tail-');
  const blocks = 70;
  const lost = 4;
  const size = (blocks - 1) * BLKSIZE + 500;
  const file = await makeFile(dir.path, 'f.bin', size, 'tail');
  const server = new TftpServer({ root: dir.path, port: 0, bind: LOOPBACK });
  await server.start();
  const copies = new Map<number, number>();
  let emptyData = 0;
  const relay = await UdpRelay.start({
    serverPort: server.address().port,
    seed: 1,
    dropIf: (msg, dir) => {
      if (dir !== 'toClient' || msg.readUInt16BE(0) !== Op.DATA) return false;
      if (msg.length === 4) emptyData++;
      const b = msg.readUInt16BE(2);
      const n = (copies.get(b) ?? 0) + 1;
      copies.set(b, n);
      return n === 1 && b > blocks - lost;
    },
  });
  try {
    const dl = tftpGet({ host: LOOPBACK, port: relay.port, file: 'f.bin', blksize: BLKSIZE, windowsize: 16, sackProbe });
    const hash = createHash('sha256');
    for await (const b of dl) hash.update(b);
    await until(() => server.stats.active === 0, { timeoutMs: 5000, what: 'the server to end the transfer' });
    return { hash: hash.digest('hex'), want: file.sha256, size, lost, blocks, stats: server.stats, emptyData, sackProbe: (await dl.negotiated).sackProbe };
  } finally {
    await relay.stop();
    await server.stop();
    await dir.cleanup();
  }
}

test('a lost tail is named in the answer to the empty probe, and only the lost blocks go again', async () => {
  const r = await lostTail(true);
  assert.is(r.sackProbe, true, 'our client and server agree on sackprobe');
  assert.is(r.hash, r.want, 'the file arrives whole');
  assert.ok(r.stats.probes >= 1 && r.emptyData >= 1, `the silence was probed without data (probes ${r.stats.probes}, empty DATA ${r.emptyData})`);
  // The last block is 500 bytes, the others full: exactly the lost ones were sent twice.
  assert.is(r.stats.bytesSent, r.size + (r.lost - 1) * BLKSIZE + 500, 'the origin sent the file plus the lost blocks');
});

test('a client that does not ask for sackprobe still gets the probe with data, and the lost tail', async () => {
  const r = await lostTail(false);
  assert.not.ok(r.sackProbe, 'not agreed');
  assert.is(r.hash, r.want, 'the file arrives whole');
  assert.is(r.emptyData, 0, 'no empty DATA sent to a client that did not ask');
  assert.ok(r.stats.probes >= 1, 'the silence was probed');
  assert.is(r.stats.bytesSent, r.size + (r.lost - 1) * BLKSIZE + 500, 'the origin sent the file plus the lost blocks');
});

test('regression: the empty probe leaves behind the blocks already queued (it never overtakes the data it names)', async () => {
  // Blocks are queued before they are sent (a chunk is read from the file first). A
  // probe sent at once, while the next chunk's read was still under way, reached the
  // client ahead of the blocks it named: the client took them for lost and the server
  // sent them twice.
  const blocks = 80; // chunk 0 is blocks 1-64 (64 KiB), chunk 1 blocks 65-80
  const size = (blocks - 1) * BLKSIZE + 300;
  const slowFrom = 64 * BLKSIZE;
  const handle = {
    readv: async (views: Buffer[], position: number) => {
      if (position >= slowFrom) await new Promise((ok) => setTimeout(ok, 400)); // a slow read, past the probe's 100 ms wait
      let n = 0;
      for (const v of views) n += v.fill(7).length;
      return { bytesRead: n, buffers: views };
    },
    close: async () => {},
  } as unknown as FileHandle;
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((ok) => sock.bind(0, LOOPBACK, ok));
  const order: string[] = [];
  let highest = 0;
  let overtaken = '';
  let ended: (e?: Error) => void;
  const done = new Promise<Error | undefined>((ok) => (ended = ok));
  let probes = 0;
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    if (p.op === Op.OACK) return void sock.send(encodeAck(0), r.port, LOOPBACK);
    if (p.op !== Op.DATA) return;
    if (p.payload.length === 0) {
      order.push(`probe ${p.block}`);
      if (p.block > highest) overtaken ||= `the probe for block ${p.block} came when the highest block in was ${highest}`;
      return void sock.send(encodeSackAck(highest, highest, 256, []), r.port, LOOPBACK);
    }
    if (p.block === highest + 1) highest = p.block;
    if (p.block % 16 === 0 || p.block === blocks) sock.send(encodeSackAck(highest, highest, 256, []), r.port, LOOPBACK);
  });
  const t = new Transfer({
    handle, size, name: 'f.bin',
    asked: { blksize: String(BLKSIZE), windowsize: '16', tsize: '0', sack: '1', sackprobe: '1' },
    peer: { address: LOOPBACK, port: sock.address().port }, bind: LOOPBACK,
    limits: { maxBlksize: 1468, maxWindowsize: 64, timeoutMs: 1000, retries: 5, pipeline: 1 },
    log: silentLogger, onSent: () => {}, onProbe: () => void probes++, onEnd: (e) => ended(e),
  });
  try {
    t.start();
    assert.is(await done, undefined, 'the transfer ends well');
    assert.ok(probes >= 1, 'the slow read made the server probe');
    assert.is(overtaken, '', order.join(', '));
  } finally {
    sock.close();
  }
});

test.run();
