// D2 and D3 (issue 13) on the simulator, and the fault sweep's short version.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulate } from '../../src/sim/simulate';
import { sweep, sweepOptions } from '../../src/sim/sweep';
import { ELECTIONS } from '../../src/dload/types';

test('D2: a root that forwards corrupt blocks loses its members; pfs sim --boards 16 --size 1M --seed 3 --corrupt 4 --election phone finishes', () => {
  // The corrupting boards of `--corrupt 4` on 16 boards (spread over the fleet, board 0 skipped); with the
  // phone's election and this seed, one of them is the first root (the fast election's preference picks board 3).
  const s = simulate({ boards: 16, fileBytes: 1 << 20, seed: 3, corrupt: [1, 4, 8, 12], election: 'phone' });
  assert.ok(Number.isFinite(s.fleetSeconds), 'the fleet finishes');
  assert.ok(s.allVerified);
  assert.ok(s.rootsLeft >= 1, 'members left a corrupting root');
  assert.ok(s.corruptDetected < 100, `${s.corruptDetected} corrupt blocks caught (not 600,000)`);
  for (const [m, b] of s.originBytesByModel.entries()) assert.ok(b <= s.fileBytes * s.rootTerms[m]!, `model ${m}: ${b / s.fileBytes} WAN copies for ${s.rootTerms[m]} root terms`);
});

for (const election of ELECTIONS) {
  test(`D2 (${election}): whichever board becomes root corrupts what it forwards: every other board still verifies`, () => {
    for (const seed of [1, 2, 3]) {
      const s = simulate({ boards: 20, fileBytes: 1 << 20, seed, corruptRoot: true, maxSeconds: 300, election });
      assert.ok(Number.isFinite(s.fleetSeconds), `seed ${seed}: finishes`);
      assert.ok(s.allVerified, `seed ${seed}`);
      assert.ok(s.rootsLeft >= 1, `seed ${seed}: members left the corrupting root`);
      assert.is(s.badDeliveries, 0);
    }
  });
}

test('D3: a parent frozen (SIGSTOP) for 45 s mid-file holds its dependants up for seconds, not 45 s', () => {
  const s = simulate({ boards: 31, fileBytes: 8 << 20, seed: 2, freezes: [{ atMs: 3000, forMs: 45_000, who: 'parent' }] });
  assert.is(s.frozen, 1);
  assert.ok(s.stalls >= 1, 'the frozen parent\'s children dropped it');
  assert.ok(s.allVerified);
  // Everyone else was done long before the frozen board thawed at 48 s.
  const t = simulate({ boards: 31, fileBytes: 8 << 20, seed: 2, freezes: [{ atMs: 3000, forMs: Infinity, who: 'parent' }] });
  assert.ok(t.fleetSeconds < 20, `the others finished at ${t.fleetSeconds.toFixed(1)} s`);
  assert.is(t.unfinished, 0);
});

for (const election of ELECTIONS) {
  test(`the fault sweep (short version of npm run sim:sweep, ${election} election): 300 seeds, no board that never finishes, no bad block`, () => {
    const s = sweep(1, 300, undefined, { election });
    assert.is(s.runsUnfinished, 0, `seeds ${s.failedSeeds.join(' ')}`);
    assert.is(s.boardsUnfinished, 0);
    assert.is(s.badBlocks, 0);
    assert.is(s.copiesOverRootTerms, 0, 'no model took more WAN copies than 1 + its forced root changes');
    assert.ok(s.faults.corruptRoots > 50 && s.faults.frozen > 50 && s.faults.partitions > 30 && s.faults.delayed > 30, JSON.stringify(s.faults));
  });

  test(`regression (${election}): a claimant that took data one advert before confirming, then heard a stronger root, pulled a WAN copy no root change forced (seeds 58 and 87)`, () => {
    for (const seed of [58, 87]) {
      const s = simulate({ ...sweepOptions(seed), election });
      for (const [m, b] of s.originBytesByModel.entries()) {
        assert.ok(b <= s.fileBytes * s.rootTerms[m]! + 0.01 * s.fileBytes, `seed ${seed} model ${m}: ${(b / s.fileBytes).toFixed(2)} WAN copies for ${s.rootTerms[m]} root terms`);
      }
    }
  });
}

test('the fault sweep with the manifest first and the components on its root (as pfs boot runs; npm run sim:sweep -- --manifest): 300 seeds, the same invariants', () => {
  const s = sweep(1, 300, undefined, { manifest: true });
  assert.is(s.runsUnfinished, 0, `seeds ${s.failedSeeds.join(' ')}`);
  assert.is(s.boardsUnfinished, 0);
  assert.is(s.badBlocks, 0);
  assert.is(s.copiesOverRootTerms, 0, 'no model took more WAN copies than 1 + its forced root changes');
  assert.ok(s.faults.crashed > 10 && s.faults.frozen > 50, JSON.stringify(s.faults));
});

test.run();
