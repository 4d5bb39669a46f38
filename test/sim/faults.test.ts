import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulate } from '../../src/sim/simulate';

test('a parent killed mid-file: its children resume from their offsets elsewhere and finish', () => {
  const lines: string[] = [];
  const s = simulate({
    boards: 31, seed: 2, crashes: [{ atMs: 4000, who: 'parent' }],
    onLog: (_b, _t, l, x) => l === 'WRN' && lines.push(x),
  });
  assert.is(s.crashed, 1);
  assert.ok(s.allVerified);
  assert.equal(s.rootsPerFile, [1]);
  assert.equal(s.rootTerms, [1]);
  assert.is(s.originBytes, s.fileBytes, 'no extra WAN bytes');
  const resumed = lines.filter((x) => /lost parent .*: resume from [1-9]\d*$/.test(x));
  assert.ok(resumed.length >= 1, 'a child resumed from a non-zero offset');
});

test('the root killed mid-file: a new root resumes from the origin, the fleet completes', () => {
  const s = simulate({ boards: 40, seed: 3, crashes: [{ atMs: 4000, who: 'root' }] });
  assert.is(s.crashed, 1);
  assert.ok(s.allVerified);
  assert.equal(s.rootTerms, [2], 'one re-election');
  assert.equal(s.rootsPerFile, [1]);
  assert.ok(s.originBytes >= s.fileBytes, `origin ${s.originBytes}`);
  assert.ok(s.originBytes <= s.fileBytes * 1.1, `origin ${s.originBytes}: one copy plus what the dead root had not passed on`);
});

test('a corrupting peer: its bad blocks never reach flash or children, victims resume elsewhere', () => {
  const s = simulate({ boards: 63, seed: 4, corrupt: [1, 2, 5] });
  assert.ok(s.corruptDetected >= 1, 'corruption was caught');
  assert.ok(s.allVerified, 'every board verified (no block from a corrupt source accepted)');
  assert.is(s.originBytes, s.fileBytes);
  assert.ok(s.maxDepth <= Math.ceil(Math.log2(64)) + 2);
});

test('5 % datagram loss: still one root and one copy over the WAN', () => {
  const s = simulate({ boards: 200, seed: 5, loss: 0.05, files: 2 });
  assert.ok(s.datagramsLost > 0);
  assert.ok(s.allVerified);
  assert.equal(s.rootsPerFile, [1, 1]);
  assert.is(s.originBytes, s.fileBytes);
});

test('malformed and foreign-version datagrams are dropped and counted, nobody crashes', () => {
  const s = simulate({ boards: 20, seed: 6, garbage: 300, fileBytes: 4 << 20 }); // lasts beyond the 3 s of garbage
  assert.ok(s.datagramsDropped >= 300 * 19 * 0.95, `dropped ${s.datagramsDropped}`);
  assert.ok(s.allVerified);
  assert.equal(s.rootsPerFile, [1]);
});

test('random crashes with loss and several files: survivors all verified', () => {
  const s = simulate({ boards: 300, seed: 7, crashes: 10, loss: 0.05, files: 4, corrupt: [10, 100] });
  assert.ok(s.crashed >= 1);
  assert.ok(s.allVerified);
  for (const r of s.rootsPerFile) assert.is(r, 1);
  assert.ok(s.originBytes < 1.5 * s.fileBytes);
});

test('the origin\'s copy fails its hashes: every board gives the file up, the run ends, none counts as verified', () => {
  const s = simulate({ boards: 10, seed: 8, fileBytes: 1 << 20, originCorrupt: true, timers: { rootSilenceMs: 1000, reelectHoldMs: 600 } });
  assert.not.ok(s.allVerified);
  assert.ok(Number.isFinite(s.fleetSeconds), 'the run settled: no board hangs');
  assert.equal(s.failed.map((f) => f.board).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  for (const f of s.failed) assert.is(f.code, 'PFS_ERR_ORIGIN_CORRUPT');
  // Each board judges the origin for itself: 3 corrupt blocks each, no more.
  assert.is(s.corruptDetected, 30);
  assert.ok(s.originBytes <= 10 * 3 * s.blockBytes, `origin sent ${s.originBytes}`);
});

test.run();
