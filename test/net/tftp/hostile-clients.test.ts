// `pfs tftp serve` facing clients that mean harm (D9, D10): what it opens, how many
// transfers it holds, how long a client may make it wait, how much it sends before the
// client has shown it is there, and that none of it keeps an honest client waiting.
// Raw UDP sockets on loopback speak for the hostile clients; our client is the honest one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TftpServer, type TftpServerOptions } from '../../../src/net/tftp/server';
import { tftpGetBuffer } from '../../../src/net/tftp/client';
import { decode, encodeAck, encodeError, encodeRequest, Op, type Packet } from '../../../src/net/tftp/packet';
import { makeFile, tmpDir, until, within, type MadeFile, type TmpDir } from '../../helpers/index';

interface Received {
  packet: ReturnType<typeof decode>;
  bytes: number;
  port: number;
}

/** A UDP socket on `addr` that records every packet it receives. */
async function raw(addr = '127.0.0.1') {
  const sock = dgram.createSocket('udp4');
  const got: Received[] = [];
  sock.on('message', (msg, r) => got.push({ packet: decode(msg), bytes: msg.length, port: r.port }));
  await new Promise<void>((ok) => sock.bind(0, addr, ok));
  return {
    got,
    send: (buf: Buffer, port: number) => new Promise<void>((ok) => sock.send(buf, port, '127.0.0.1', () => ok())),
    close: () => sock.close(),
  };
}

const isErr = (p: ReturnType<typeof decode>): p is Extract<Packet, { op: Op.ERROR }> => p.op === Op.ERROR;

async function serve(o: Partial<TftpServerOptions> = {}): Promise<{ dir: TmpDir; server: TftpServer; port: number; file: MadeFile }> {
  const dir = await tmpDir('pfs-hostile-');
  const file = await makeFile(dir.path, 'SCCP41.loads', 1 << 20, 'hostile');
  const server = new TftpServer({ root: dir.path, port: 0, ...o });
  await server.start();
  return { dir, server, port: server.address().port, file };
}

async function honest(port: number, file = 'SCCP41.loads'): Promise<number> {
  const t0 = performance.now();
  await tftpGetBuffer({ host: '127.0.0.1', port, file, blksize: 1468, windowsize: 16, timeoutMs: 500 }, 2 << 20);
  return performance.now() - t0;
}

test('regression D9: FIFOs in the served folder are refused at once and the server goes on serving (after 4 it answered nothing more)', async () => {
  const s = await serve();
  const clients: Awaited<ReturnType<typeof raw>>[] = [];
  try {
    execFileSync('mkfifo', [join(s.dir.path, 'pipe')]);
    for (let i = 0; i < 8; i++) clients.push(await raw());
    for (const c of clients) await c.send(encodeRequest(Op.RRQ, 'pipe', 'octet'), s.port);
    await until(() => clients.every((c) => c.got.length > 0), { timeoutMs: 3000, what: 'an answer to every request for the FIFO' });
    for (const g of clients.flatMap((c) => c.got)) {
      assert.ok(isErr(g.packet), 'an ERROR packet');
      if (isErr(g.packet)) {
        assert.is(g.packet.code, 2, 'access violation');
        assert.match(g.packet.message, 'not a regular file');
      }
    }
    const ms = await within(5000, 'the honest download after the FIFO requests', honest(s.port));
    assert.ok(ms < 3000, `the honest client got its file in ${Math.round(ms)} ms`);
  } finally {
    for (const c of clients) c.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test('regression D10: concurrent transfers are capped per client address and in total, with a clear ERROR past the cap (every request held 2 descriptors)', async () => {
  const s = await serve({ maxPerClient: 3, maxTransfers: 5, timeoutMs: 2000 });
  const hostile: Awaited<ReturnType<typeof raw>>[] = [];
  try {
    // From 127.0.0.1: 3 held (never ACKed), the 4th refused.
    for (let i = 0; i < 4; i++) hostile.push(await raw('127.0.0.1'));
    for (const h of hostile) await h.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '1468' }), s.port);
    await until(() => hostile.every((h) => h.got.length > 0), { timeoutMs: 3000, what: 'an answer to each request' });
    assert.equal(hostile.slice(0, 3).map((h) => h.got[0]!.packet.op), [Op.OACK, Op.OACK, Op.OACK]);
    const busy = hostile[3]!.got[0]!.packet;
    assert.ok(isErr(busy) && busy.code === 0 && /^server busy: 3 transfers to 127\.0\.0\.1 already running \(at most 3\)/.test(busy.message), JSON.stringify(busy));
    // From two other addresses: 2 more fill the server's 5, the next is refused whoever asks.
    const others = [await raw('127.0.0.2'), await raw('127.0.0.2'), await raw('127.0.0.3')];
    hostile.push(...others);
    for (const h of others) await h.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '1468' }), s.port);
    await until(() => others.every((h) => h.got.length > 0), { timeoutMs: 3000, what: 'an answer to each request' });
    assert.equal(others.slice(0, 2).map((h) => h.got[0]!.packet.op), [Op.OACK, Op.OACK]);
    const full = others[2]!.got[0]!.packet;
    assert.ok(isErr(full) && /^server busy: 5 transfers running \(at most 5\)/.test(full.message), JSON.stringify(full));
    // A client resending its request does not take a second place.
    await hostile[0]!.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '1468' }), s.port);
    assert.is(s.server.stats.active, 5);
    // The held ones give up (ERROR to their transfer): the places are free again.
    for (const h of [...hostile.slice(0, 3), ...others.slice(0, 2)]) await h.send(encodeError(0, 'gone'), h.got[0]!.port);
    await until(() => s.server.stats.active === 0, { timeoutMs: 3000, what: 'the held transfers to end' });
    await within(5000, 'an honest download once the places are free', honest(s.port));
  } finally {
    for (const h of hostile) h.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test('regression D10: a client asking timeout=255 is not granted it; an unanswered transfer ends within its retry budget (it held the server 2.2 h)', async () => {
  const s = await serve({ timeoutMs: 100, retries: 3 });
  const c = await raw();
  try {
    await c.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { timeout: '255', blksize: '1468' }), s.port);
    await until(() => c.got.length > 0, { timeoutMs: 3000, what: 'the OACK' });
    const oack = c.got[0]!.packet;
    assert.is(oack.op, Op.OACK);
    if (oack.op === Op.OACK) assert.is(oack.options.timeout, undefined, 'timeout=255 is not acknowledged');
    // 100 ms doubling: 100 + 200 + 400 + 800 before the 4th miss ends it.
    const ms = await until(() => s.server.stats.active === 0, { timeoutMs: 5000, what: 'the unanswered transfer to end' });
    assert.ok(ms < 3000, `ended after ${Math.round(ms)} ms`);
    // A timeout within the cap is granted as asked.
    await c.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { timeout: '5' }), s.port);
    await until(() => c.got.some((g) => g.packet.op === Op.OACK && g.packet.options.timeout === '5'), { timeoutMs: 3000, what: 'an OACK granting timeout=5' });
  } finally {
    c.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test('regression D10: a request and one ACK yield a few packets, not a window resent for good (44 + 4 bytes returned 25.1 MB)', async () => {
  const s = await serve({ timeoutMs: 50, retries: 5, pipeline: 2 });
  const c = await raw();
  try {
    await c.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '65464', windowsize: '64' }), s.port);
    await until(() => c.got.length > 0, { timeoutMs: 3000, what: 'the OACK' });
    const oack = c.got[0]!;
    assert.is(oack.packet.op, Op.OACK);
    await c.send(encodeAck(0), oack.port);
    await until(() => s.server.stats.active === 0, { timeoutMs: 10_000, what: 'the unanswered transfer to end' });
    const data = c.got.filter((g) => g.packet.op === Op.DATA);
    const bytes = c.got.reduce((n, g) => n + g.bytes, 0);
    // One window of at most 128 KiB (2 blocks of 65464), then one block per retry.
    assert.ok(data.length <= 2 + 5, `${data.length} DATA packets`);
    assert.ok(bytes <= 512 * 1024, `${bytes} bytes sent back for 48`);
  } finally {
    c.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test('regression (npm run torture): a client that restarts on the same port and asks again gets a fresh transfer, not the old one\'s "timed out"', async () => {
  const s = await serve({ timeoutMs: 2000 });
  const c = await raw();
  try {
    const rrq = encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '1468' });
    await c.send(rrq, s.port);
    await until(() => c.got.length === 1, { timeoutMs: 3000, what: 'the OACK' });
    // The same request again before the client answered: the same transfer answers again, no second one.
    await c.send(rrq, s.port);
    await until(() => c.got.length === 2, { timeoutMs: 3000, what: 'the OACK again' });
    assert.is(c.got[1]!.packet.op, Op.OACK);
    assert.is(c.got[1]!.port, c.got[0]!.port, 'from the same transfer');
    assert.is(s.server.stats.active, 1);
    // The client takes part (ACK 0, DATA 1 comes), then starts over from the same port (a restarted process).
    await c.send(encodeAck(0), c.got[0]!.port);
    await until(() => c.got.some((g) => g.packet.op === Op.DATA), { timeoutMs: 3000, what: 'DATA 1' });
    const before = c.got.length;
    await c.send(rrq, s.port);
    await until(() => c.got.slice(before).some((g) => g.packet.op === Op.OACK), { timeoutMs: 3000, what: 'a fresh OACK' });
    const fresh = c.got.slice(before).find((g) => g.packet.op === Op.OACK)!;
    assert.is.not(fresh.port, c.got[0]!.port, 'a new transfer');
    await until(() => s.server.stats.active === 1, { timeoutMs: 3000, what: 'the old transfer to be dropped' });
    assert.not.ok(c.got.some((g) => isErr(g.packet)), 'no ERROR reached the client');
  } finally {
    c.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test('stalled and slow clients do not hold up an honest one', async () => {
  const s = await serve({ timeoutMs: 1000 });
  const held: Awaited<ReturnType<typeof raw>>[] = [];
  let slowTimer: NodeJS.Timeout | undefined;
  try {
    // Six that take the OACK and never ACK it, one that ACKs a block every 300 ms.
    for (let i = 0; i < 7; i++) held.push(await raw(`127.0.0.${10 + i}`));
    for (const h of held) await h.send(encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', { blksize: '512' }), s.port);
    await until(() => held.every((h) => h.got.length > 0), { timeoutMs: 3000, what: 'the OACKs' });
    const slow = held[6]!;
    let acked = 0;
    slowTimer = setInterval(() => void slow.send(encodeAck(acked++), slow.got[0]!.port), 300);
    const ms = await within(5000, 'the honest download', honest(s.port));
    assert.ok(ms < 2000, `the honest client got 1 MiB in ${Math.round(ms)} ms`);
    await until(() => s.server.stats.active === 7, { timeoutMs: 3000, what: 'the honest transfer to end while the others are still held (or crawling)' });
  } finally {
    clearInterval(slowTimer);
    for (const h of held) h.close();
    await s.server.stop();
    await s.dir.cleanup();
  }
});

test.run();
