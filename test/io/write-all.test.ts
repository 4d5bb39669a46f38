import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAll, type PositionalWriter } from '../../src/io/write-all';

/** A medium that takes at most `chunk` bytes a call, like a writev cut short, and records each call. */
function stingy(size: number, chunk: number) {
  const medium = Buffer.alloc(size, 0xee);
  const calls: { position: number; buffers: number }[] = [];
  const target: PositionalWriter = {
    async writev(buffers, position) {
      calls.push({ position, buffers: buffers.length });
      let n = 0;
      for (const b of buffers) {
        const take = Math.min(b.length, chunk - n);
        b.copy(medium, position + n, 0, take);
        n += take;
        if (n === chunk) break;
      }
      return n;
    },
  };
  return { medium, calls, target };
}

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

test('short writes are carried on until every byte is down, across the buffers of a list, in order', async () => {
  const parts = [bytes(5, 1), bytes(0, 0), bytes(9, 2), bytes(3, 3)];
  const m = stingy(40, 4);
  await writeAll(m.target, parts, 10);
  assert.equal(m.medium.subarray(10, 27), Buffer.concat(parts));
  assert.ok(m.medium.subarray(0, 10).every((b) => b === 0xee) && m.medium.subarray(27).every((b) => b === 0xee), 'nothing outside the range');
  assert.equal(m.calls.map((c) => c.position), [10, 14, 18, 22, 26]);
});

test('one buffer is written from position 0 unless told', async () => {
  const m = stingy(8, 3);
  await writeAll(m.target, bytes(8, 5));
  assert.equal(m.medium, bytes(8, 5));
});

test('nothing to write makes no call', async () => {
  const m = stingy(8, 3);
  await writeAll(m.target, [], 4);
  await writeAll(m.target, Buffer.alloc(0));
  assert.is(m.calls.length, 0);
});

test('a FileHandle takes it as it is ({ bytesWritten }), and consecutive lists follow each other in the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-write-all-'));
  try {
    const path = join(dir, 'out');
    const fh = await open(path, 'w');
    const a = [bytes(70_000, 1), bytes(3, 2)];
    const b = [bytes(1, 3), bytes(65_536, 4)];
    await writeAll(fh, a, 0);
    await writeAll(fh, b, 70_003);
    await fh.close();
    assert.equal(await readFile(path), Buffer.concat([...a, ...b]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a write that makes no progress is an EIO error, not a loop without end', async () => {
  const target: PositionalWriter = { writev: async () => 0 };
  const err = await writeAll(target, bytes(4, 0), 100).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  assert.is(err?.code, 'EIO');
  assert.match(err?.message ?? '', 'at 100');
});

test('the error writev throws comes out unchanged', async () => {
  const boom = Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
  const target: PositionalWriter = {
    writev: async () => {
      throw boom;
    },
  };
  await writeAll(target, bytes(4, 0)).then(
    () => assert.unreachable('it wrote'),
    (e) => assert.is(e, boom),
  );
});

test.run();
