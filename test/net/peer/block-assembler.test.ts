import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { BlockAssembler, BlockCorruptError, planFor } from '../../../src/net/peer/block-assembler';

const data = randomBytes(5 * 1000 + 123);
const plan = planFor(data, 1000);

function collect(fromBlock = 0) {
  const out: { index: number; slices: Buffer[]; length: number }[] = [];
  const a = new BlockAssembler(plan, fromBlock, 'peer 127.0.0.1:4051', { verified: (index, slices, length) => out.push({ index, slices, length }) });
  return { a, out };
}

test('blocks come out whole and in order whatever the chunking, as views of the input', () => {
  for (const chunk of [1, 7, 999, 1000, 1001, 4096, data.length]) {
    const { a, out } = collect();
    const inputs: Buffer[] = [];
    for (let o = 0; o < data.length; o += chunk) inputs.push(Buffer.from(data.subarray(o, o + chunk)));
    for (const b of inputs) a.push(b);
    assert.ok(a.complete, `complete at chunk ${chunk}`);
    assert.equal(out.map((b) => b.index), [0, 1, 2, 3, 4, 5]);
    assert.equal(out.map((b) => b.length), [1000, 1000, 1000, 1000, 1000, 123]);
    const joined = Buffer.concat(out.flatMap((b) => b.slices));
    assert.ok(joined.equals(data), `bytes intact at chunk ${chunk}`);
    // Zero-copy: each slice shares memory with one of the pushed buffers.
    for (const s of out.flatMap((b) => b.slices)) assert.ok(inputs.some((b) => b.buffer === s.buffer), 'slice is a view');
  }
});

test('pieces that lie one after the other in one buffer come out as one view of the block (what flash and children are given)', () => {
  const { a, out } = collect();
  const whole = Buffer.from(data);
  // As a source reading each block into its own buffer delivers it: reads of odd sizes, never across a block's end.
  for (let b = 0; b * 1000 < whole.length; b++) {
    const block = whole.subarray(b * 1000, Math.min(whole.length, (b + 1) * 1000));
    for (let o = 0; o < block.length; o += 333) a.push(block.subarray(o, Math.min(block.length, o + 333)));
  }
  assert.equal(out.map((b) => b.slices.length), [1, 1, 1, 1, 1, 1]);
  assert.ok(Buffer.concat(out.map((b) => b.slices[0]!)).equals(data));
  assert.ok(out.every((b) => b.slices[0]!.buffer === whole.buffer), 'views, not copies');
  // Pieces in separate buffers (datagrams) stay separate: nothing is joined by copying.
  const c = collect();
  for (let o = 0; o < 1000; o += 250) {
    const own = Buffer.alloc(250);
    data.copy(own, 0, o, o + 250);
    c.a.push(own);
  }
  assert.equal(c.out.map((b) => b.slices.length), [4]);
});

test('a corrupt block is refused before anything of it is handed on', () => {
  const { a, out } = collect();
  const bad = Buffer.from(data);
  bad[2500]! ^= 0xff;
  assert.throws(() => a.push(bad), (e: unknown) => e instanceof BlockCorruptError && e.block === 2 && /peer 127.0.0.1:4051/.test(e.message));
  assert.equal(out.map((b) => b.index), [0, 1]);
  assert.is(a.verifiedBytes, 2000);
});

test('a resumed stream starts at its block and counts the prefix as verified', () => {
  const { a, out } = collect(3);
  assert.is(a.verifiedBytes, 3000);
  a.push(data.subarray(3000));
  assert.equal(out.map((b) => b.index), [3, 4, 5]);
  assert.ok(a.complete);
});

test('bytes past the end of the file are refused', () => {
  const { a } = collect();
  a.push(data);
  assert.throws(() => a.push(Buffer.from([1])), (e: unknown) => e instanceof BlockCorruptError);
});

test.run();
