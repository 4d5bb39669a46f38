// The prefix check behind a resume and the read-back before the commit: whole blocks
// from the start that match their SHA-256, read in few large reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { planFor } from '../../../src/net/peer/block-assembler';
import { verifiedPrefix, type PrefixReader } from '../../../src/net/peer/verified-prefix';
import { seededBytes } from '../../../src/lab/firmware';

const BLOCK = 64 * 1024;

/** `data` as a medium that gives at most `chunk` bytes a read, counting the reads. */
function medium(data: Buffer, chunk = Infinity): PrefixReader & { reads: number } {
  const m = {
    reads: 0,
    async read(buffer: Buffer, offset: number, length: number, position: number) {
      m.reads++;
      const n = Math.max(0, Math.min(length, chunk, data.length - position));
      data.copy(buffer, offset, position, position + n);
      return n;
    },
  };
  return m;
}

const file = seededBytes('verified-prefix', 4 * 1024 * 1024 + 1000); // 65 blocks, the last one short
const plan = planFor(file, BLOCK);

test('a whole file with a short last block reads back whole, in 256 KiB reads rather than one per block', async () => {
  const m = medium(file);
  assert.is(await verifiedPrefix(m, file.length, plan), 65);
  assert.ok(m.reads <= 17, `${m.reads} reads for 4 MiB: one per 64 KiB block waits on the thread pool 65 times`);
});

test('what stops the prefix: a corrupt block inside a read, the end of what the medium holds, a part-written block', async () => {
  const bad = Buffer.from(file);
  bad[20 * BLOCK + 5]! ^= 1;
  assert.is(await verifiedPrefix(medium(bad), bad.length, plan), 20, 'a corrupt block was kept');
  assert.is(await verifiedPrefix(medium(file.subarray(0, 30 * BLOCK + 10)), file.length, plan), 30, 'a block cut short by the medium was kept');
  assert.is(await verifiedPrefix(medium(file), 30 * BLOCK + 10, plan), 30, 'a part-written block was kept');
  assert.is(await verifiedPrefix(medium(file), 17 * BLOCK, plan), 17);
  assert.is(await verifiedPrefix(medium(file), 0, plan), 0);
});

test('blocks known good already (read back while the file downloaded) are not read again', async () => {
  const bad = Buffer.from(file);
  bad[3 * BLOCK]! ^= 1; // before `from`: not looked at
  const m = medium(bad);
  assert.is(await verifiedPrefix(m, bad.length, plan, 61), 65);
  assert.is(m.reads, 1, 'the known blocks were read again');
  bad[62 * BLOCK]! ^= 1;
  assert.is(await verifiedPrefix(medium(bad), bad.length, plan, 61), 62);
  // All known: nothing to read, every block counted, the short last one too.
  const none = medium(file);
  assert.is(await verifiedPrefix(none, file.length, plan, 65), 65);
  assert.is(none.reads, 0);
  assert.is(await verifiedPrefix(medium(file), 30 * BLOCK, plan, 40), 30, 'more known than the medium holds');
});

test('short reads from the medium are read on, not taken for its end', async () => {
  const m = medium(file, 10_000);
  assert.is(await verifiedPrefix(m, file.length, plan), 65);
});

test.run();
