import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../../src/net/peer/spool';
import { Fanout } from '../../../src/net/peer/fanout';
import { sleep } from '../../../src/io/sleep';
import { until } from '../../helpers/net';

const BLOCK = 64 * 1024;

/** A parent holding `data` block by block, serving children that connect to it. */
async function parent(data: Buffer, mode: 'cut' | 'store') {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-fanout-'));
  const spool = Spool.file(join(dir, 'file'));
  await spool.open();
  const served: string[] = [];
  const fan = new Fanout(spool, data.length, { served: (c) => served.push(c), lost: () => {} });
  let n = 0;
  const server = net.createServer((sock) => fan.add(sock, `child${n++}`, 0));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as net.AddressInfo).port;
  let produced = 0;
  /** Verifies-and-writes the next `blocks` blocks, as the pipeline would. */
  const produce = async (blocks: number) => {
    for (let i = 0; i < blocks && produced < data.length; i++) {
      const len = Math.min(BLOCK, data.length - produced);
      // Two views per block, like a block assembled from two network reads.
      const slices = [data.subarray(produced, produced + 1000), data.subarray(produced + 1000, produced + len)];
      produced += len;
      await new Promise<void>((ok, fail) => spool.append(slices, len, (e) => (e ? fail(e) : ok())));
      // What the core releases: each block (cut-through), or the whole file at once (store).
      if (mode === 'cut') fan.release(produced, slices);
      else if (produced === data.length) fan.release(produced);
    }
  };
  const close = async () => {
    fan.close();
    server.close();
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  };
  return { port, produce, served, fan, close, spool };
}

/** A child that reads everything; `paused` starts it not reading at all. */
function child(port: number, paused = false) {
  const sock = net.connect(port, '127.0.0.1');
  const parts: Buffer[] = [];
  let bytes = 0;
  if (!paused) sock.on('data', (b) => (parts.push(b), (bytes += b.length)));
  const ended = new Promise<Buffer>((ok) => sock.on('end', () => ok(Buffer.concat(parts))));
  return {
    sock,
    ended,
    get bytes() {
      return bytes;
    },
    resume() {
      sock.on('data', (b) => (parts.push(b), (bytes += b.length)));
    },
  };
}

const waitFor = (cond: () => boolean, what: string) => until(cond, { timeoutMs: 5000, what });

test('cut-through: children at the edge get blocks as they are verified, before the file is complete', async () => {
  const data = randomBytes(40 * BLOCK + 17);
  const p = await parent(data, 'cut');
  const a = child(p.port);
  const b = child(p.port);
  await waitFor(() => p.fan.childCount === 2, 'two children');
  await p.produce(10);
  await waitFor(() => a.bytes === 10 * BLOCK && b.bytes === 10 * BLOCK, 'ten blocks at both children');
  assert.ok(p.spool.flushed < data.length, 'children had data before the parent had the file');
  await p.produce(100);
  assert.ok((await a.ended).equals(data));
  assert.ok((await b.ended).equals(data));
  await waitFor(() => p.served.length === 2, 'both served (their side closed after the end)');
  assert.equal(p.served.sort(), ['child0', 'child1']);
  await p.close();
});

test('a child is served once it has read the whole file, not when the last bytes are handed to its socket', async () => {
  // Regression: `served` came when the last bytes were written to the socket, with up
  // to 2 MiB still in its buffers; a parent that rebooted then (MayLeave) cut its child
  // off, and the child's search for another parent ended in a second WAN copy.
  const data = randomBytes(64 * BLOCK + 5);
  const p = await parent(data, 'store');
  const a = child(p.port, true);
  try {
    await waitFor(() => p.fan.childCount === 1, 'the child');
    await p.produce(100);
    await sleep(300);
    assert.is(a.bytes, 0, 'the child has read nothing yet');
    assert.equal(p.served, [], 'not served while the file waits in the socket');
    a.resume();
    assert.ok((await a.ended).equals(data), 'every byte');
    await waitFor(() => p.served.length === 1, 'served after the child read it all');
  } finally {
    a.sock.destroy();
    await p.close();
  }
});

test('a child that breaks off after the parent handed it everything is lost, not served', async () => {
  const data = randomBytes(64 * BLOCK + 5);
  const dir = await mkdtemp(join(tmpdir(), 'pfs-fanout-'));
  const spool = Spool.file(join(dir, 'file'));
  await spool.open();
  const got: string[] = [];
  const fan = new Fanout(spool, data.length, { served: (c) => got.push(`served ${c}`), lost: (c) => got.push(`lost ${c}`) });
  const server = net.createServer((sock) => fan.add(sock, 'child0', 0));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  sock.pause();
  try {
    await waitFor(() => fan.childCount === 1, 'the child');
    await new Promise<void>((ok, fail) => spool.append([data], data.length, (e) => (e ? fail(e) : ok())));
    fan.release(data.length);
    await sleep(300);
    sock.resetAndDestroy(); // the child's board went down with the file in its buffers
    await waitFor(() => got.length === 1, 'the parent to hear of it');
    assert.equal(got, ['lost child0']);
  } finally {
    fan.close();
    server.close();
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a late child catches up from the spool, then rides the live stream', async () => {
  const data = randomBytes(30 * BLOCK);
  const p = await parent(data, 'cut');
  const early = child(p.port);
  await waitFor(() => p.fan.childCount === 1, 'one child');
  await p.produce(20);
  const late = child(p.port);
  await waitFor(() => p.fan.childCount === 2, 'two children');
  await p.produce(100);
  assert.ok((await late.ended).equals(data));
  assert.ok((await early.ended).equals(data));
  await p.close();
});

test('a child that stops reading holds up neither its sibling nor the parent, and its queue stays bounded', async () => {
  const data = randomBytes(160 * BLOCK); // 10 MiB
  const p = await parent(data, 'cut');
  const fast = child(p.port);
  const slow = child(p.port, true);
  await waitFor(() => p.fan.childCount === 2, 'two children');
  let maxQueued = 0;
  const probe = setInterval(() => {
    for (const s of [slow.sock]) maxQueued = Math.max(maxQueued, s.bytesWritten - slow.bytes);
  }, 1);
  await p.produce(1000);
  assert.ok((await fast.ended).equals(data), 'fast sibling finished while the slow one read nothing');
  assert.is(slow.bytes, 0);
  slow.resume();
  assert.ok((await slow.ended).equals(data), 'slow child completes from the spool');
  clearInterval(probe);
  // Parent-side queue + kernel buffers, not the file: well under the 10 MiB file.
  assert.ok(maxQueued < 6 * 1024 * 1024, `queued ${maxQueued} bytes for the stalled child`);
  await p.close();
});

test('store-and-forward: nothing reaches children until the whole file is written', async () => {
  const data = randomBytes(12 * BLOCK + 5);
  const p = await parent(data, 'store');
  const c = child(p.port);
  await waitFor(() => p.fan.childCount === 1, 'one child');
  await p.produce(12);
  // Nothing must arrive: give a wrong release a moment to show itself.
  await sleep(50);
  assert.is(c.bytes, 0);
  await p.produce(1);
  assert.ok((await c.ended).equals(data));
  await p.close();
});

test.run();
