import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../src/net/tftp/server';
import { WanEmulator } from '../../src/net/wan';
import { ShapedLink } from '../../src/net/shaped-link';
import { tftpGetToFile } from '../../src/net/tftp/client';

async function setup(wan: { rate: number; rttMs: number; loss?: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-wan-'));
  const data = randomBytes(1 << 20);
  await writeFile(join(dir, 'f.bin'), data);
  const server = new TftpServer({ root: dir, port: 0, timeoutMs: 200 });
  await server.start();
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const emu = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), random, ...wan });
  await emu.start();
  const close = async () => {
    await emu.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, data, emu, server, close };
}

test('the link counts what its full buffer turned away apart from what it lost at random', () => {
  // 8 kbit/s: a 100-byte datagram (128 on the wire) takes 128 ms; the buffer holds 300 ms.
  const full = new ShapedLink({ rate: 8000, delayMs: 0, maxQueueMs: 300 });
  for (let i = 0; i < 10; i++) full.send(100, () => {});
  full.close();
  assert.equal(full.stats, { packets: 3, bytes: 300, dropped: 7, overflowed: 7 }, 'three wait 0, 128 and 256 ms; the fourth would wait 384');
  const lossy = new ShapedLink({ rate: Infinity, delayMs: 0, loss: 0.5, random: (() => { let k = 0; return () => (k++ % 2) * 0.9; })() });
  for (let i = 0; i < 10; i++) lossy.send(100, () => {});
  lossy.close();
  assert.equal([lossy.stats.dropped, lossy.stats.overflowed], [5, 0], 'random losses are not the buffer\'s');
});

test('TFTP through the WAN emulator arrives intact, and no faster than the link allows', async () => {
  const s = await setup({ rate: 8e6, rttMs: 20 });
  try {
    const out = join(s.dir, 'out.bin');
    const r = await tftpGetToFile({ host: '127.0.0.1', port: s.emu.address().port, file: 'f.bin', blksize: 1428, windowsize: 32 }, out);
    assert.ok((await readFile(out)).equals(s.data));
    // 1 MiB at 8 Mbit/s needs at least 1.05 s of serialisation: a lower bound, not a timing.
    assert.ok(r.seconds >= (s.data.length * 8) / 8e6, `took ${r.seconds} s`);
    assert.ok(s.emu.stats.down.bytes >= s.data.length, 'the downlink counted the file');
    assert.is(s.emu.stats.down.dropped, 0);
  } finally {
    await s.close();
  }
});

test('WAN loss drops datagrams both ways and TFTP still completes byte-identical', async () => {
  const s = await setup({ rate: 50e6, rttMs: 4, loss: 0.05 });
  try {
    const out = join(s.dir, 'out.bin');
    await tftpGetToFile({ host: '127.0.0.1', port: s.emu.address().port, file: 'f.bin', blksize: 1428, windowsize: 8, timeoutMs: 100, retries: 10 }, out);
    assert.ok((await readFile(out)).equals(s.data));
    assert.ok(s.emu.stats.down.dropped + s.emu.stats.up.dropped > 0, 'some datagrams were lost');
  } finally {
    await s.close();
  }
});

test('each client gets its own mirror of the server transfer port (TFTP TID checks hold)', async () => {
  const s = await setup({ rate: 100e6, rttMs: 2 });
  try {
    const port = s.emu.address().port;
    await Promise.all([1, 2, 3].map((i) => tftpGetToFile({ host: '127.0.0.1', port, file: 'f.bin', blksize: 1428, windowsize: 16 }, join(s.dir, `o${i}`))));
    for (const i of [1, 2, 3]) assert.ok((await readFile(join(s.dir, `o${i}`))).equals(s.data));
    assert.is(s.emu.stats.sessions, 3);
  } finally {
    await s.close();
  }
});

test.run();
