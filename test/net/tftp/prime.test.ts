// TftpDownload.prime(): a root sure to take a component (it takes the manifest that
// names it) asks for the component's first window alongside the manifest's data, and
// holds it until the manifest verifies. It must take no more than that window before
// deliver() (a manifest that fails costs at most one window per name), lose nothing
// (the window is handed on first, in order), and leave a server that cannot be told
// to wait (no `sack`: plain RFC 7440) untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tftpGet } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { WanEmulator } from '../../../src/net/wan';
import { until } from '../../helpers';

const BLKSIZE = 1468;
const WINDOW = 32; // the server's first window: 2 x min(windowsize, 16)

async function origin(sack: boolean, files: Record<string, Buffer>, more: { retries?: number; maxPauseMs?: number } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'pfs-prime-'));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(root, name), bytes);
  const server = new TftpServer({ root, port: 0, bind: '127.0.0.1', sack, ...more });
  await server.start();
  return {
    server,
    port: server.address().port,
    sent: (name: string) => server.stats.bytesByFile.get(name) ?? 0,
    close: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function image(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function take(dl: ReturnType<typeof tftpGet>): Promise<Buffer> {
  const h = createHash('sha256');
  let n = 0;
  dl.begin();
  await dl.deliver((b) => {
    h.update(b);
    n += b.length;
  });
  return Buffer.concat([h.digest(), Buffer.from(String(n))]);
}

const digest = (b: Buffer) => Buffer.concat([createHash('sha256').update(b).digest(), Buffer.from(String(b.length))]);

for (const when of ['before the options are answered', 'after the options are answered'] as const) {
  test(`primed ${when}: the first window only, then the whole file in order once delivered`, async () => {
    const file = image(400 * BLKSIZE + 77, 3);
    const o = await origin(true, { 'cnu.sbn': file });
    try {
      const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'cnu.sbn', blksize: BLKSIZE, windowsize: 64, hold: true });
      if (when === 'after the options are answered') await dl.negotiated;
      dl.prime();
      await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
      await sleep(400); // the server's probe would come after two round trips: none, room 0 says wait
      assert.is(dl.bytes, WINDOW * BLKSIZE, 'no block past the first window before deliver()');
      assert.is(o.sent('cnu.sbn'), WINDOW * BLKSIZE, 'the server sent the window once and waits');
      assert.equal(await take(dl), digest(file), 'every byte, in order, the window first');
      assert.is(o.sent('cnu.sbn'), file.length, 'nothing sent twice');
    } finally {
      await o.close();
    }
  });
}

test('primed, then widened: the transfer takes that many blocks ahead of deliver(), no more, and loses nothing', async () => {
  const file = image(400 * BLKSIZE + 77, 5);
  const o = await origin(true, { 'cvm.sbn': file });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'cvm.sbn', blksize: BLKSIZE, windowsize: 64, hold: true });
    dl.prime();
    await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
    dl.prime(128); // the manifest is in hand: the component is certain
    await until(() => dl.bytes === 128 * BLKSIZE, { timeoutMs: 5000, what: '128 blocks ahead' });
    await sleep(400);
    assert.is(dl.bytes, 128 * BLKSIZE, 'no block past the widened window before deliver()');
    assert.is(o.sent('cvm.sbn'), 128 * BLKSIZE, 'the server sent each block once and waits');
    dl.prime(64); // narrower than what it has: nothing changes
    assert.equal(await take(dl), digest(file), 'every byte, in order');
    assert.is(o.sent('cvm.sbn'), file.length, 'nothing sent twice');
  } finally {
    await o.close();
  }
});

test('the window held whole was a round: once the consumer opens, the next window goes doubled, not at the first size', async () => {
  // Regression: the server's first round ended only at a report of a block sent after
  // its first report; a client holding its primed window sends none before it opens,
  // so the window it then took went at 32 blocks again: a round trip of slow start
  // lost for every component of a load (the root's WAN idle at the start of the data).
  const file = image(400 * BLKSIZE + 77, 8);
  const o = await origin(true, { 'apps.sbn': file });
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: o.server.address(), rate: Infinity, rttMs: 400 });
  await wan.start();
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: wan.address().port, file: 'apps.sbn', blksize: BLKSIZE, windowsize: 64, hold: true });
    dl.prime();
    await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
    await sleep(250); // its report (room 0) reaches the server
    assert.is(o.sent('apps.sbn'), WINDOW * BLKSIZE, 'held: the server waits');
    dl.prime(1000); // the consumer opens: room for far more than a window
    // The server sends the next window at once when the opening reaches it, then nothing
    // until a report of it comes back a round trip (400 ms) later: counted 150 ms after
    // it starts, whenever a loaded machine lets that be.
    await until(() => o.sent('apps.sbn') > WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the window after the opening' });
    await sleep(150);
    assert.is(o.sent('apps.sbn'), (WINDOW + 2 * WINDOW) * BLKSIZE, 'the next window is twice the first');
    assert.equal(await take(dl), digest(file), 'every byte, in order');
    assert.is(o.sent('apps.sbn'), file.length, 'nothing sent twice');
  } finally {
    await wan.stop();
    await o.close();
  }
});

test('widened before the options are answered: the transfer starts with the wider window', async () => {
  const file = image(400 * BLKSIZE + 77, 6);
  const o = await origin(true, { 'dsp.sbn': file });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'dsp.sbn', blksize: BLKSIZE, windowsize: 64, hold: true });
    dl.prime(100);
    await until(() => dl.bytes === 100 * BLKSIZE, { timeoutMs: 5000, what: '100 blocks ahead' });
    await sleep(400);
    assert.is(dl.bytes, 100 * BLKSIZE, 'no block past the window asked for');
    assert.equal(await take(dl), digest(file), 'every byte, in order');
    assert.is(o.sent('dsp.sbn'), file.length, 'nothing sent twice');
  } finally {
    await o.close();
  }
});

test('a file shorter than the window completes while primed, and deliver() still hands it all on', async () => {
  const file = image(10 * BLKSIZE + 5, 9);
  const o = await origin(true, { 'small.sbn': file });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'small.sbn', blksize: BLKSIZE, windowsize: 64, hold: true });
    dl.prime();
    await until(() => dl.bytes === file.length, { timeoutMs: 5000, what: 'the whole small file' });
    assert.equal(await take(dl), digest(file));
  } finally {
    await o.close();
  }
});

test('a server without sack is not primed (it could not be told to wait): nothing moves until begin()', async () => {
  const file = image(100 * BLKSIZE, 5);
  const o = await origin(false, { 'apps.sbn': file });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'apps.sbn', blksize: BLKSIZE, windowsize: 16, hold: true });
    dl.prime();
    await dl.negotiated;
    await sleep(300);
    assert.is(o.sent('apps.sbn'), 0, 'no DATA before begin()');
    assert.equal(await take(dl), digest(file));
  } finally {
    await o.close();
  }
});

test('a primed transfer aborted (its manifest failed) stops the server after the first window', async () => {
  const file = image(300 * BLKSIZE, 1);
  const o = await origin(true, { 'dsp.sbn': file });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'dsp.sbn', blksize: BLKSIZE, windowsize: 64, hold: true, timeoutMs: 1000 });
    dl.prime();
    await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
    dl.abort();
    await until(() => o.server.stats.active === 0, { timeoutMs: 3000, what: 'the server to end the transfer' });
    assert.is(o.sent('dsp.sbn'), WINDOW * BLKSIZE);
  } finally {
    await o.close();
  }
});

test('a window held (room 0) past the server\'s patience keeps its transfer: the server probes without data, the client answers, nothing goes twice', async () => {
  const file = image(200 * BLKSIZE + 9, 4);
  // One retry of a 1 s timeout: the server gives up on a client silent for 3 s. Before,
  // a client whose window was held that long lost its transfer, and taking the file
  // again cost the WAN a second copy.
  const o = await origin(true, { 'hold.sbn': file }, { retries: 1 });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'hold.sbn', blksize: BLKSIZE, windowsize: 64, hold: true, timeoutMs: 1000 });
    dl.prime();
    await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
    await sleep(5000); // a consumer (flash, or a manifest's hold) behind for longer than the server's patience
    assert.is(dl.failure, undefined, 'the transfer is still open');
    assert.ok(o.server.stats.probes > 0, 'the server probed the waiting client');
    assert.equal(await take(dl), digest(file), 'every byte, in order');
    assert.is(o.sent('hold.sbn'), file.length, 'nothing sent twice');
  } finally {
    await o.close();
  }
});

test('a client that keeps saying "wait" past the server\'s pause limit loses its transfer: a slot held for ever is bounded', async () => {
  const file = image(200 * BLKSIZE, 6);
  const o = await origin(true, { 'stuck.sbn': file }, { retries: 1, maxPauseMs: 1500 });
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: o.port, file: 'stuck.sbn', blksize: BLKSIZE, windowsize: 64, hold: true, timeoutMs: 1000 });
    dl.prime();
    await until(() => dl.bytes === WINDOW * BLKSIZE, { timeoutMs: 5000, what: 'the first window' });
    await until(() => o.server.stats.active === 0, { timeoutMs: 8000, what: 'the server to end the transfer' });
    await until(() => dl.failure !== undefined, { timeoutMs: 3000, what: 'the client to hear it' });
    assert.match(dl.failure!.message, /waited too long/);
    assert.is(o.sent('stuck.sbn'), WINDOW * BLKSIZE, 'the first window only');
  } finally {
    await o.close();
  }
});

test.run();
