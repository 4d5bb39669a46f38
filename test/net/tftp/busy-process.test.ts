// Regressions (issue 11, qemu): under qemu-user a lab's origin sent its image 1.2 to
// 2.3 times. Two causes: a server whose process was busy past its timeout, with the
// client's ACK already waiting in its socket, resent the window anyway (Node runs due
// timers before it reads the sockets); and ACKs that take longer than the agreed
// timeout (an emulated CPU, a slow link) had every window sent twice. The server now
// looks after reading its socket, and waits at least its measured round trip (RFC 6298).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { TftpServer } from '../../../src/net/tftp/server';
import { decode, encodeAck, encodeRequest, encodeSackAck, Op } from '../../../src/net/tftp/packet';
import { makeFile, tmpDir, until } from '../../helpers/index';

test('regression: a server process busy past its timeout does not resend DATA whose ACK waits in its socket', async () => {
  const dir = await tmpDir('pfs-busy-');
  await makeFile(dir.path, 'f.bin', 4096, 'busy');
  const server = new TftpServer({ root: dir.path, port: 0 });
  await server.start();
  const sock = dgram.createSocket('udp4');
  const data: number[] = [];
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    if (p.op !== Op.DATA) return;
    data.push(p.block);
    sock.send(encodeAck(p.block), r.port, '127.0.0.1');
    if (p.block === 1 && data.length === 1) {
      // This process (the server's) is now busy for longer than the 1 s timeout; the ACK lands in the server's socket meanwhile.
      const end = performance.now() + 1500;
      while (performance.now() < end);
    }
  });
  try {
    await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
    sock.send(encodeRequest(Op.RRQ, 'f.bin', 'octet', { blksize: '1024', timeout: '1' }), server.address().port, '127.0.0.1');
    // The server answers the options with an OACK: ACK 0 starts the data.
    sock.on('message', (msg, r) => {
      if (decode(msg).op === Op.OACK) sock.send(encodeAck(0), r.port, '127.0.0.1');
    });
    await until(() => data.includes(5), { timeoutMs: 10_000, what: 'the last DATA (block 5) after the busy spell' });
    assert.equal(data.filter((b) => b === 1).length, 1, `DATA 1 sent once, got blocks ${data.join(',')}`);
  } finally {
    sock.close();
    await server.stop();
    await dir.cleanup();
  }
});

test('regression: a client whose ACKs take longer than the timeout gets each window once (the wait follows the round trip)', async () => {
  const dir = await tmpDir('pfs-slowack-');
  await makeFile(dir.path, 'f.bin', 512 * 8 + 100, 'slow');
  const server = new TftpServer({ root: dir.path, port: 0 });
  await server.start();
  const sock = dgram.createSocket('udp4');
  const seen = new Map<number, number>();
  const late: NodeJS.Timeout[] = [];
  // A client 1.3 s away: it answers each window's last block (and the short last one) that late, once.
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    if (p.op === Op.OACK) sock.send(encodeAck(0), r.port, '127.0.0.1');
    if (p.op !== Op.DATA) return;
    seen.set(p.block, (seen.get(p.block) ?? 0) + 1);
    if (seen.get(p.block) === 1 && (p.block % 4 === 0 || p.payload.length < 512)) late.push(setTimeout(() => sock.send(encodeAck(p.block), r.port, '127.0.0.1'), 1300));
  });
  try {
    await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
    sock.send(encodeRequest(Op.RRQ, 'f.bin', 'octet', { blksize: '512', windowsize: '4', timeout: '1' }), server.address().port, '127.0.0.1');
    await until(() => seen.has(9), { timeoutMs: 15_000, what: 'the last DATA (block 9)' });
    // Window 1 has no round trip measured yet: the server may resend its first block (one block, before the client has shown it is there).
    for (let b = 2; b <= 9; b++) assert.is(seen.get(b), 1, `DATA ${b} sent once (got ${[...seen].map(([k, n]) => `${k}x${n}`).join(' ')})`);
  } finally {
    // An ACK still on its way must not be sent on the closed socket (an uncaught error after the test).
    for (const t of late) clearTimeout(t);
    sock.close();
    await server.stop();
    await dir.cleanup();
  }
});

test('regression: time the process was held up does not count as a silent client (no probe, nothing sent twice)', async () => {
  // CI, stop 18: a 16-board lab (origin, emulated WAN and boards in one process) sent
  // the last block of a file twice. The process was held up while the board's report
  // was due, and the server's short wait (the probe for a lost tail) ran out as it
  // resumed, with the report sent but still crossing the emulated WAN.
  const dir = await tmpDir('pfs-held-');
  const blocks = 80;
  await makeFile(dir.path, 'f.bin', (blocks - 1) * 1024 + 300, 'held');
  const server = new TftpServer({ root: dir.path, port: 0 });
  await server.start();
  const sock = dgram.createSocket('udp4');
  const seen = new Map<number, number>();
  const timers: NodeJS.Timeout[] = [];
  // The emulated WAN: each report reaches the server 20 ms after it is sent.
  const report = (b: number, port: number) => timers.push(setTimeout(() => sock.send(encodeSackAck(b, b, 256, []), port, '127.0.0.1'), 20));
  sock.on('message', (msg, r) => {
    const p = decode(msg);
    if (p.op === Op.OACK) return void sock.send(encodeAck(0), r.port, '127.0.0.1');
    if (p.op !== Op.DATA) return;
    seen.set(p.block, (seen.get(p.block) ?? 0) + 1);
    if (seen.get(p.block) !== 1) return;
    if (p.block < blocks && p.block % 16 === 0) report(p.block, r.port);
    if (p.block === blocks) {
      // The last block is in. 40 ms on (every earlier report has landed and the server
      // waits for this one), the whole process is held up for 400 ms; the board then
      // sends its report, which takes the WAN's 20 ms.
      timers.push(
        setTimeout(() => {
          const end = performance.now() + 400;
          while (performance.now() < end);
          report(blocks, r.port);
        }, 40),
      );
    }
  });
  try {
    await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
    sock.send(encodeRequest(Op.RRQ, 'f.bin', 'octet', { blksize: '1024', windowsize: '16', sack: '1' }), server.address().port, '127.0.0.1');
    await until(() => server.stats.active === 0 && seen.has(blocks), { timeoutMs: 10_000, what: 'the transfer to end' });
    const twice = [...seen].filter(([, n]) => n > 1).map(([b, n]) => `${b}x${n}`);
    assert.equal(twice, [], 'no block sent twice');
  } finally {
    for (const t of timers) clearTimeout(t);
    sock.close();
    await server.stop();
    await dir.cleanup();
  }
});

test.run();
