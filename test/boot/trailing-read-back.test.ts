// The read-back that follows a component's writes (src/boot/trailing-read-back.ts): by
// the time the download closes its slot, every block was read back and matched, so
// the read-back before the commit has nothing left to read; anything out of the
// ordinary leaves the rest to that full read-back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReadBackLane, TrailingReadBack } from '../../src/boot/trailing-read-back';
import { planFor as planOf } from '../../src/net/peer/block-assembler';
import { seededBytes } from '../../src/lab/firmware';

const BLOCK = 64 * 1024;
const planFor = (data: Buffer) => planOf(data, BLOCK);

/** A slot in memory that records every read, and what was written (writes done) when it came. */
function slot(existing = 0, flipAt = -1) {
  const bytes = Buffer.alloc(4 << 20);
  let written = existing;
  const reads: { from: number; to: number; writtenThen: number }[] = [];
  let closed = false;
  const store = {
    device: 'mem',
    existingBytes: existing,
    async writev(buffers: readonly Buffer[], position: number) {
      let at = position;
      for (const b of buffers) at += b.copy(bytes, at);
      if (flipAt >= position && flipAt < at) bytes[flipAt]! ^= 1;
      await new Promise((r) => setImmediate(r));
      written = Math.max(written, at);
      return at - position;
    },
    async read(buffer: Buffer, offset: number, length: number, position: number) {
      assert.ok(!closed, 'read after close');
      reads.push({ from: position, to: position + length, writtenThen: written });
      return bytes.copy(buffer, offset, position, position + length);
    },
    async truncate() {},
    async sync() {},
    async close() {
      closed = true;
    },
  };
  return { store, reads };
}

/** Writes `data` through `open` in pieces of `piece` bytes from `from`, as a pipeline does, then closes. */
async function download(open: () => Promise<{ writev(b: readonly Buffer[], p: number): Promise<number>; close(): Promise<void> }>, data: Buffer, piece: number, from = 0) {
  const s = await open();
  for (let at = from; at < data.length; at += piece) await s.writev([data.subarray(at, Math.min(at + piece, data.length))], at);
  await s.close();
}

test('a component written in order is read back while it downloads, every block, never ahead of the writes', async () => {
  const data = seededBytes('trailing/a', 2 * 1024 * 1024 + 12_345); // a short last block
  const plan = planFor(data);
  const { store, reads } = slot();
  const t = new TrailingReadBack(plan);
  await download(t.watch(async () => store), data, 3 * 1468 * 10);
  assert.is(t.goodBlocks, plan.hashes.length, 'not every block was read back by the close');
  assert.ok(reads.length > 2, `read back in ${reads.length} reads: not while it downloaded`);
  for (const r of reads) assert.ok(r.to <= r.writtenThen, `read ${r.from}-${r.to} before its bytes were written (${r.writtenThen})`);
  // Each block once: the reads cover the file without overlap.
  assert.is(reads.reduce((n, r) => n + (r.to - r.from), 0), data.length);
});

test('components downloading together take turns with one read buffer, and each is read back whole', async () => {
  const lane = new ReadBackLane();
  let reading = 0;
  let most = 0;
  const runs = [0, 1, 2, 3].map(async (i) => {
    const data = seededBytes(`trailing/lane${i}`, 1024 * 1024 + i * 5000);
    const plan = planFor(data);
    const { store } = slot();
    const read = store.read.bind(store);
    store.read = async (...a: Parameters<typeof read>) => {
      most = Math.max(most, ++reading);
      try {
        await new Promise((r) => setTimeout(r, 1));
        return await read(...a);
      } finally {
        reading--;
      }
    };
    const t = new TrailingReadBack(plan, lane);
    await download(t.watch(async () => store), data, 3 * 1468 * 10);
    return [t.goodBlocks, plan.hashes.length];
  });
  for (const [good, all] of await Promise.all(runs)) assert.is(good, all);
  assert.is(most, 1, 'two read-backs read at once: a buffer each');
});

test('a block that does not read back stops the reading there: the full read-back finds it and fetches it again', async () => {
  const data = seededBytes('trailing/b', 1024 * 1024);
  const plan = planFor(data);
  const { store } = slot(0, 5 * BLOCK + 7);
  const t = new TrailingReadBack(plan);
  await download(t.watch(async () => store), data, 32 * 1024);
  assert.is(t.goodBlocks, 5);
});

test('a resume, writes out of order, or a second handle leave it all to the full read-back', async () => {
  const data = seededBytes('trailing/c', 1024 * 1024);
  const plan = planFor(data);
  // A resume: the slot already held bytes, and the download writes from past them.
  const resumed = slot(3 * BLOCK);
  const t1 = new TrailingReadBack(plan);
  await download(t1.watch(async () => resumed.store), data, 64 * 1024, 3 * BLOCK);
  assert.equal([t1.goodBlocks, resumed.reads.length], [0, 0]);
  // A write that is not where the last one ended.
  const skipped = slot();
  const t2 = new TrailingReadBack(plan);
  const s2 = await t2.watch(async () => skipped.store)();
  await s2.writev([data.subarray(0, 4 * BLOCK)], 0);
  await s2.writev([data.subarray(5 * BLOCK, 8 * BLOCK)], 5 * BLOCK);
  await s2.writev([data.subarray(4 * BLOCK, 5 * BLOCK)], 4 * BLOCK);
  await s2.writev([data.subarray(8 * BLOCK)], 8 * BLOCK);
  await s2.close();
  assert.is(t2.goodBlocks, 4, 'read past a write that came out of order');
  // The slot opened a second time (the peers given up for the server): the second handle is not followed.
  const twice = slot();
  const t3 = new TrailingReadBack(plan);
  const open = t3.watch(async () => twice.store);
  await download(open, data.subarray(0, 2 * BLOCK), BLOCK);
  const before = t3.goodBlocks;
  await download(open, data, BLOCK);
  assert.is(t3.goodBlocks, before);
});

test.run();
