import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FsFile } from '../../../src/hal/flash/fs';
import { writeBehind } from '../../../src/hal/flash/write-behind';

/** A file whose syncs finish (or fail) only when the test says so, logging every call. */
function slowFile() {
  const log: string[] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const f: FsFile = {
    async writev(buffers, position) {
      const n = buffers.reduce((s, b) => s + b.length, 0);
      log.push(`write ${position}+${n}`);
      return n;
    },
    read: async () => 0,
    size: async () => 0,
    truncate: async () => {},
    sync() {
      log.push('sync');
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    async close() {
      log.push('close');
    },
  };
  const settle = async (e?: Error) => {
    const p = pending.shift();
    assert.ok(p, 'no sync is running');
    if (e) p.reject(e);
    else p.resolve();
    await new Promise((r) => setImmediate(r));
  };
  return { f, log, pending, settle };
}

/** slowFile with startWriteback (the native addon's): what a push calls when the file has it. */
function writebackFile() {
  const s = slowFile();
  s.f.startWriteback = () => {
    s.log.push('writeback');
    return new Promise<void>((resolve, reject) => s.pending.push({ resolve, reject }));
  };
  return s;
}

const KiB = (n: number) => Buffer.alloc(n * 1024);

test('a sync starts in the background once everyBytes were written, and writes go on beside it', async () => {
  const { f, log, pending, settle } = slowFile();
  const w = writeBehind(f, 256 * 1024);
  await w.writev([KiB(128)], 0);
  assert.equal(log, ['write 0+131072'], 'synced before 256 KiB were written');
  await w.writev([KiB(64), KiB(64)], 128 * 1024);
  assert.equal(log.at(-1), 'sync', 'no background sync after 256 KiB');
  // The download does not wait for the medium.
  await w.writev([KiB(256)], 256 * 1024);
  await w.writev([KiB(256)], 512 * 1024);
  assert.is(pending.length, 1, 'a second sync started while one was running');
  await settle();
  await w.writev([KiB(256)], 768 * 1024);
  assert.is(log.filter((l) => l === 'sync').length, 2, 'no new sync once the first was done');
  await settle();
});

for (const [kind, make] of [
  ['sync', () => slowFile()],
  ['writeback', () => writebackFile()],
] as const) {
  test(`a background ${kind} that failed is reported by the next write, and only once`, async () => {
    const { f, settle } = make();
    const w = writeBehind(f, 1024);
    await w.writev([KiB(1)], 0);
    await settle(new Error('EIO: card gone'));
    const e = await w.writev([KiB(1)], 1024).then(
      () => undefined,
      (x: Error) => x,
    );
    assert.match(e?.message ?? '', /EIO: card gone/, `the failed ${kind} went unreported`);
    await w.writev([KiB(1)], 1024);
    await settle();
  });
}

test('sync waits for the background sync and reports its failure instead of claiming the bytes are safe', async () => {
  const { f, log, pending, settle } = slowFile();
  const w = writeBehind(f, 1024);
  await w.writev([KiB(1)], 0);
  let done = false;
  const s = w.sync().then(
    () => (done = true),
    (e: Error) => e,
  );
  await new Promise((r) => setImmediate(r));
  assert.not.ok(done, 'sync returned while a background sync was still running');
  await settle(new Error('EIO: write-back failed'));
  // A sync that went on to the file regardless is let finish, so the test reports rather than hangs.
  while (pending.length > 0) await settle();
  const r = await s;
  assert.instance(r, Error, 'sync succeeded although the background sync failed');
  assert.match((r as Error).message, /write-back failed/);
  assert.is(log.filter((l) => l === 'sync').length, 1);
});

test('close waits for a running sync before closing the descriptor, then reports its failure', async () => {
  const { f, log, settle } = slowFile();
  const w = writeBehind(f, 1024);
  await w.writev([KiB(1)], 0);
  const c = w.close().then(
    () => undefined,
    (e: Error) => e,
  );
  await new Promise((r) => setImmediate(r));
  assert.not.ok(log.includes('close'), 'closed under a running sync');
  await settle(new Error('EIO: late'));
  const r = await c;
  assert.equal(log.at(-1), 'close', 'the descriptor was not closed');
  assert.match((r as Error | undefined)?.message ?? '', /EIO: late/, 'close hid the failed sync');
});


test('a file that can start its writeback is pushed that way: no sync (journal commit, cache flush) until one is asked for', async () => {
  const { f, log, pending, settle } = writebackFile();
  const w = writeBehind(f, 256 * 1024);
  await w.writev([KiB(256)], 0);
  assert.equal(log, ['write 0+262144', 'writeback'], 'pushed with a sync, which flushes the card each time');
  await w.writev([KiB(256)], 256 * 1024);
  assert.is(pending.length, 1, 'a second push started while one was running');
  await settle();
  await w.writev([KiB(256)], 512 * 1024);
  assert.is(log.filter((l) => l === 'writeback').length, 2);
  assert.not.ok(log.includes('sync'), 'a push synced');
  await settle();
  // What was written while that push ran is pushed as soon as it ends.
  assert.equal(log.at(-1), 'writeback', 'the bytes written during a push waited for the next write');
  await settle();
  // The caller's sync is a real one: what commit relies on.
  const s = w.sync();
  await new Promise((r) => setImmediate(r));
  assert.equal(log.at(-1), 'sync');
  await settle();
  await s;
});

test('regression: writes that all came during a slow push are pushed when it ends, and the tail at close', async () => {
  // A busy card blocks sync_file_range: on a loaded CI disk the whole 4 MiB download
  // came during the first push, and 1.5-2.8 MiB of it were still unwritten 10 s later.
  const { f, log, settle } = writebackFile();
  const w = writeBehind(f, 256 * 1024);
  const pushes = () => log.filter((l) => l === 'writeback').length;
  for (let i = 0; i < 16; i++) await w.writev([KiB(256)], i * 256 * 1024);
  assert.is(pushes(), 1, 'a second push started while one was running');
  await settle();
  assert.is(pushes(), 2, 'the 3.75 MiB written during the first push were not pushed when it ended');
  await w.writev([KiB(100)], 4096 * 1024);
  const c = w.close();
  await settle();
  assert.is(pushes(), 3, 'the last 100 KiB were left in the page cache at close');
  assert.not.ok(log.includes('close'), 'closed under a running push');
  await settle();
  await c;
  assert.equal(log.slice(-2), ['writeback', 'close']);
  assert.not.ok(log.includes('sync'), 'a push synced');
});

test('a file system that cannot start a writeback (ENOSYS, EINVAL) is pushed with syncs instead, without failing the download', async () => {
  const { f, log, settle } = writebackFile();
  const w = writeBehind(f, 1024);
  await w.writev([KiB(1)], 0);
  await settle(Object.assign(new Error('sync_file_range /flash/slotB/apps.sbn: ENOSYS (Function not implemented)'), { code: 'ENOSYS' }));
  assert.equal(log.at(-1), 'sync', 'no sync in place of the writeback');
  await settle();
  await w.writev([KiB(1)], 1024);
  assert.equal(log.slice(-2), ['write 1024+1024', 'sync'], 'the next push tried the writeback again');
  await settle();
  await w.close();
});

test.run();
