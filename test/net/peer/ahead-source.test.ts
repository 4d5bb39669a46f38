// A one-block file (the manifest) a claimant takes from the origin while its election
// still runs: the caller has it verified before the claim is confirmed, the origin
// sends it once, and the file still completes through the hierarchy.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BlockPlan } from '../../../src/net/peer/block-assembler';
import { within } from '../../helpers/net';
import { site } from './site';

const SIZE = 10_244; // one block of 64 KiB: a manifest's size in the lab
/** The phone's election: four adverts 250 ms apart, the origin prepared at the second. */
const timers = { advertMs: 250, adverts: 4, prepareOriginAtAd: 2, claimBackoffMs: 50, dataHoldMs: 0 };

test('a claimant has the one-block file, verified, before its claim is confirmed; the origin sends it once', async () => {
  const s = await site(SIZE);
  try {
    const { node, dir, lines } = await s.board(1, { timers });
    let earlyAt = -1;
    let early: Buffer | undefined;
    const done = node.fetch({
      name: s.file.name,
      plan: s.file.plan,
      early: (b) => {
        early = b;
        earlyAt = lines.length;
      },
    });
    await within(10_000, 'the file through the hierarchy', done);
    const want = await readFile(join(s.root, 'origin', s.file.name));
    assert.ok(early?.equals(want), 'the early bytes are the file');
    const confirmed = lines.findIndex((l) => l.includes('@@@HROOT'));
    assert.ok(confirmed >= 0, lines.join('\n'));
    assert.ok(earlyAt <= confirmed, `the file came ahead of the confirmation:\n${lines.join('\n')}`);
    assert.ok((await readFile(join(dir, s.file.name))).equals(want), 'the file is on the medium');
    assert.is(s.server.stats.bytesSent, SIZE, 'one copy from the origin: the early bytes were replayed, not fetched again');
  } finally {
    await s.close();
  }
});

test('a copy from the origin that does not match its SHA-256 is not handed over early', async () => {
  const s = await site(SIZE);
  try {
    const { node, lines } = await s.board(1, { timers: { ...timers, originRetryMs: 20 } });
    const plan: BlockPlan = { ...s.file.plan, hashes: [Buffer.alloc(32, 7)] };
    let early = false;
    const done = node.fetch({ name: s.file.name, plan, early: () => (early = true) });
    // The origin's copy keeps failing the (wrong) hash: the file fails, never early.
    await within(20_000, 'the file to fail', done.then(() => assert.unreachable('a wrong file completed'), () => {}));
    assert.not.ok(early, 'a wrong copy was handed over');
    assert.ok(lines.some((l) => l.includes('taken ahead from the origin does not match its SHA-256')), lines.join('\n'));
  } finally {
    await s.close();
  }
});

test('without `early` (a component), nothing is taken before the claim is confirmed', async () => {
  const s = await site(SIZE);
  try {
    const { node, lines } = await s.board(1, { timers });
    await within(10_000, 'the file', node.fetch({ name: s.file.name, plan: s.file.plan }));
    assert.not.ok(lines.some((l) => l.includes('ahead')), lines.join('\n'));
    assert.is(s.server.stats.bytesSent, SIZE);
  } finally {
    await s.close();
  }
});

test('the fast election asks the origin with the claim and takes the bytes from Ad 1 on, on that one request', async () => {
  const s = await site(SIZE);
  try {
    // Adverts far apart, so "before Ad 1" is a window this machine can see.
    const { node, lines } = await s.board(1, { timers: { advertMs: 400, adverts: 2, prepareOriginAtAd: 1, openOriginWithClaim: true, claimBackoffMs: 20, dataHoldMs: 0 } });
    let early = false;
    const done = node.fetch({ name: s.file.name, plan: s.file.plan, early: () => (early = true) });
    await within(5_000, 'the request at the origin', new Promise<void>((ok) => {
      const poll = setInterval(() => s.server.stats.transfers > 0 && (clearInterval(poll), ok()), 5);
    }));
    assert.ok(lines.some((l) => l.includes('TxBdcst ClaimRoot(tent)')), lines.join('\n'));
    assert.not.ok(lines.some((l) => l.includes('TxBdcst Ad 1')), `asked for after Ad 1, not with the claim:\n${lines.join('\n')}`);
    // Its option answer is in long before Ad 1: still no byte of the file.
    await new Promise((ok) => setTimeout(ok, 150));
    assert.not.ok(lines.some((l) => l.includes('TxBdcst Ad 1')), 'Ad 1 came early: the check below means nothing');
    assert.is(s.server.stats.bytesSent, 0, 'data taken before Ad 1');
    await within(10_000, 'the file through the hierarchy', done);
    assert.ok(early, 'the file was not taken ahead of the confirmation');
    assert.is(s.server.stats.transfers, 1, 'the request sent with the claim is the one that took the file');
    assert.is(s.server.stats.bytesSent, SIZE);
  } finally {
    await s.close();
  }
});

test.run();
