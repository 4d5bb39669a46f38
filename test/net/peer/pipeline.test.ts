// The one data path in every mode: plain TFTP (fetchDirect), the root taking the file
// from the origin, a peer's child taking it from its parent, and a resume. Flash that
// refuses a write at a chosen offset stops the file there; flash far slower than the
// network pauses the source instead of filling memory; a resume keeps what it holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchDirect } from '../../../src/net/peer/fetch-direct';
import { seededBytes } from '../../../src/lab/firmware';
import { silentLogger } from '../../../src/log/logger';
import type { PfsError } from '../../../src/errors';
import { until } from '../../helpers/net';
import { site } from './site';
import { testMedium } from './media';

const BLOCK = 64 * 1024;
const SIZE = 2 << 20;
/** A write reaching this offset fails: in block 5, so blocks 0-4 are on flash. */
const FAIL_AT = 5 * BLOCK + 100;

async function rejection(p: Promise<unknown>): Promise<PfsError> {
  try {
    await p;
  } catch (e) {
    return e as PfsError;
  }
  throw new Error('expected the fetch to fail');
}

function assertStoppedAtFailure(e: PfsError, device: string, medium: { end: number; writes: Array<[number, number]> }) {
  assert.is(e.code, 'PFS_ERR_FLASH_WRITE', e.message);
  assert.match(e.message, device, 'the message names the device');
  assert.match(e.message, `offset ${5 * BLOCK}`, 'and the offset of the block that failed');
  assert.ok(medium.end <= 5 * BLOCK, `nothing after the failed block reached flash (end ${medium.end})`);
}

test('plain TFTP: flash refusing a write stops the file there (PFS_ERR_FLASH_WRITE, device and offset)', async () => {
  const s = await site(SIZE);
  try {
    const medium = testMedium({ device: 'mmcblk0p3', size: SIZE, failAt: FAIL_AT });
    const progress: number[] = [];
    const e = await rejection(fetchDirect({ name: s.file.name, plan: s.file.plan, medium: async () => medium, origin: s.origin, log: silentLogger, progress: (b) => progress.push(b) }));
    assertStoppedAtFailure(e, 'mmcblk0p3', medium);
    assert.ok(Math.max(...progress) <= 5 * BLOCK, 'no byte is reported verified that is not on flash');
  } finally {
    await s.close();
  }
});

test('root from the origin: flash refusing a write stops the file (PFS_ERR_FLASH_WRITE) and the board gives it up', async () => {
  const s = await site(SIZE);
  try {
    const a = await s.board(1);
    const medium = testMedium({ device: 'mtd3', size: SIZE, failAt: FAIL_AT });
    const e = await rejection(a.node.fetch({ name: s.file.name, plan: s.file.plan, medium: async () => medium }));
    assertStoppedAtFailure(e, 'mtd3', medium);
    const st = a.node.status()[0]!;
    assert.is(st.role, 'failed');
    assert.ok(st.verifiedBytes <= 5 * BLOCK, `verified ${st.verifiedBytes}: only what is on flash`);
    assert.ok(a.lines.some((l) => /gives up .* \(PFS_ERR_FLASH_WRITE\)/.test(l)), 'the console says why');
  } finally {
    await s.close();
  }
});

test('peer child: flash refusing a write stops that child; its parent and the origin are not disturbed', async () => {
  const s = await site(SIZE);
  try {
    const a = await s.board(1);
    const aDone = a.node.fetch({ name: s.file.name, plan: s.file.plan });
    await until(() => a.node.status()[0]?.role === 'root', { timeoutMs: 10_000, what: 'board 1 to be root' });
    const b = await s.board(2);
    const medium = testMedium({ device: 'sda2', size: SIZE, failAt: FAIL_AT });
    const e = await rejection(b.node.fetch({ name: s.file.name, plan: s.file.plan, medium: async () => medium }));
    assertStoppedAtFailure(e, 'sda2', medium);
    assert.ok(b.lines.some((l) => /parent XID00001001/.test(l)), 'the failing board was a child of board 1');
    await aDone;
    assert.is(s.server.stats.bytesSent, s.file.size, 'the origin sent one copy');
  } finally {
    await s.close();
  }
});

test('resume: the verified prefix on flash is kept and not written again; a later failure names its offset', async () => {
  const s = await site(SIZE);
  try {
    const good = seededBytes('datapath/' + s.file.name, SIZE);
    // 6 good blocks, then half a block of garbage (a power cut in the middle of block 6).
    const existing = Buffer.concat([good.subarray(0, 6 * BLOCK), Buffer.alloc(BLOCK / 2, 0xa5)]);
    const medium = testMedium({ device: 'mmcblk0p3', size: SIZE, existing });
    const r = await fetchDirect({ name: s.file.name, plan: s.file.plan, medium: async () => medium, origin: s.origin, log: silentLogger });
    assert.is(r.resumedBytes, 6 * BLOCK, 'six blocks kept');
    assert.is(medium.writes[0]![0], 6 * BLOCK, 'the first write is the first block not held');
    assert.ok(medium.data.equals(good), 'the file on flash is the origin\'s');

    const failing = testMedium({ device: 'mmcblk0p3', size: SIZE, existing, failAt: 9 * BLOCK + 1 });
    const e = await rejection(fetchDirect({ name: s.file.name, plan: s.file.plan, medium: async () => failing, origin: s.origin, log: silentLogger }));
    assert.is(e.code, 'PFS_ERR_FLASH_WRITE');
    assert.match(e.message, `offset ${9 * BLOCK}`);
  } finally {
    await s.close();
  }
});

test('resume from a parent: the child asks only for what it lacks', async () => {
  const s = await site(SIZE);
  try {
    const a = await s.board(1);
    const aDone = a.node.fetch({ name: s.file.name, plan: s.file.plan });
    await until(() => a.node.status()[0]?.role === 'root', { timeoutMs: 10_000, what: 'board 1 to be root' });
    const good = seededBytes('datapath/' + s.file.name, SIZE);
    const medium = testMedium({ device: 'sda2', size: SIZE, existing: good.subarray(0, 10 * BLOCK) });
    const b = await s.board(2);
    await b.node.fetch({ name: s.file.name, plan: s.file.plan, medium: async () => medium });
    assert.is(b.node.status()[0]!.resumedBytes, 10 * BLOCK);
    assert.ok(b.lines.some((l) => l.includes(`from ${10 * BLOCK}`)), 'the StreamRequest asks from the held offset');
    assert.is(Math.min(...medium.writes.map((w) => w[0])), 10 * BLOCK, 'nothing below the held offset is written again');
    assert.ok(medium.data.equals(good));
    await aDone;
  } finally {
    await s.close();
  }
});

test.run();
