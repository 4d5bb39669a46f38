import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { compareRank } from '../../src/dload/session';
import type { DLoadAction } from '../../src/dload/types';
import { simulate } from '../../src/sim/simulate';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 8 << 20, blockBytes: 65536 };

function drive(node: DLoadNode, untilMs: number): { t: number; a: DLoadAction }[] {
  const out: { t: number; a: DLoadAction }[] = [];
  for (let t = node.nextDeadline(); t <= untilMs; t = node.nextDeadline()) {
    for (const a of node.tick(t)) out.push({ t, a });
  }
  return out;
}

test('a lone claimant confirms itself after Ad 1..4 (~1.25 s) and logs like the phone', () => {
  const node = new DLoadNode({ nodeId: 0x080027f8, model: 'CP-7961G', tcpPort: 4051, addr: '10.106.117.68', random: () => 0.2 });
  node.addFile(0, FILE);
  const acts = drive(node, 1500);
  const logs = acts.filter((x) => x.a.type === 'Log').map((x) => (x.a as { text: string }).text);
  assert.is(logs[0], '^.idl_protocol.c-sendBroadcastOffer');
  assert.match(logs[1]!, /^XID080027F8 TxBdcst ClaimRoot\(tent\): map=00000000 strength=[0-9a-f]{8}$/);
  for (let n = 1; n <= 4; n++) assert.ok(logs.includes(`XID080027F8 TxBdcst Ad ${n}: ClaimRoot(tent)`), `Ad ${n}`);
  assert.is(logs.filter((l) => l === 'Timeout XID080027F8 hier=ClaimRoot(tent)').length, 5);
  assert.ok(logs.includes('UT:Confirmed root bumping strength'));
  const hroot = logs.find((l) => l.startsWith('@@@HROOT:'))!;
  assert.match(hroot, /^@@@HROOT:XID080027F8 H=[0-9a-f]{8} m=CP-7961G ROOT=10\.106\.117\.68 \/dnld\/SCCP41\.9-4-2SR2-2S\.loads$/);
  const fetch = acts.find((x) => x.a.type === 'FetchOrigin')!;
  assert.ok(fetch.t >= 1000 && fetch.t <= 1500, `confirmed at ${fetch.t} ms`);
  assert.equal(fetch.a, { type: 'FetchOrigin', key: (fetch.a as { key: string }).key, file: FILE.name, fromOffset: 0 });
  assert.is(acts.filter((x) => x.a.type === 'SendBroadcast').length, 6, 'claim, Ad 1..4, confirmed advert');
});

test('rank: confirmed beats tentative, then bytes held, then strength, then node id', () => {
  const r = (confirmed: boolean, held: number, strength: number, id: number) => ({ confirmed, held, strength, id });
  assert.ok(compareRank(r(true, 0, 0, 0), r(false, 1e9, 0xffffffff, 9)) > 0);
  assert.ok(compareRank(r(false, 10, 0, 0), r(false, 9, 0xffffffff, 9)) > 0);
  assert.ok(compareRank(r(false, 0, 0xffffffff, 0), r(false, 0, 1, 9)) > 0);
  assert.ok(compareRank(r(false, 0, 5, 9), r(false, 0, 5, 8)) > 0);
});

test('two boards reset together: exactly one root, both verified', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const s = simulate({ boards: 2, seed, fileBytes: 1 << 20 });
    assert.equal(s.rootsPerFile, [1], `seed ${seed}`);
    assert.equal(s.rootTerms, [1]);
    assert.ok(s.allVerified);
    assert.is(s.originBytes, s.fileBytes);
  }
});

test('1000 boards claim at the same instant: one root per key', () => {
  const s = simulate({ boards: 1000, seed: 3, fileBytes: 1 << 20, files: 2, bootJitterMs: 0, timers: { claimBackoffMs: 0 } });
  assert.equal(s.rootsPerFile, [1, 1]);
  assert.equal(s.rootTerms, [1, 1]);
  assert.ok(s.allVerified);
  assert.is(s.originBytes, s.fileBytes);
});

test('a late board holding the whole file does not steal a running transfer', () => {
  const s = simulate({ boards: 50, seed: 4, late: { count: 1, atMs: 3000, held: 1 } });
  assert.equal(s.rootTerms, [1], 'no second root term');
  assert.equal(s.rootsPerFile, [1]);
  assert.ok(s.rootBoards[0] !== 49, 'the late board is not root');
  assert.ok(s.allVerified);
  assert.is(s.originBytes, s.fileBytes);
});

test('two confirmed roots after a partition heals: one yields, the fleet completes', () => {
  const s = simulate({ boards: 40, seed: 5, partitionUntilMs: 3000 });
  assert.equal(s.rootTerms, [2], 'each half had a root');
  assert.equal(s.rootsPerFile, [1], 'one root left');
  assert.ok(s.allVerified);
  assert.ok(s.originBytes < 2 * s.fileBytes, `origin ${s.originBytes}`);
});

test.run();
