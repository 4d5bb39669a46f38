import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulate } from '../../src/sim/simulate';

// Boards reboot into their new load as soon as their children are served, as pfs boot
// does; the root lingers (rootLingerMs) for boards still on their way. A board that
// resets late must find that root's tree, not the addresses of boards already gone.

for (const seed of [1, 2, 3]) {
  test(`seed ${seed}: boards that reset late, after the others rebooted, take the file from the lingering root, not the WAN`, () => {
    // 8 MiB at 10 Mbit/s: the first 13 boards are done by about 8 s; the last 3 reset at 8 s.
    const s = simulate({ boards: 16, seed, reboot: true, late: { count: 3, atMs: 8000 } });
    assert.ok(s.allVerified, 'every board verified the file');
    assert.ok(s.rebooted >= 13, `${s.rebooted} boards rebooted`);
    assert.is(s.originBytes, s.fileBytes, 'the file crossed the WAN once');
    assert.ok(s.fleetSeconds < 12, `the late boards were done at ${s.fleetSeconds} s (placed under departed boards, they took 23 s)`);
  });
}

test('with the manifest first: the late board takes manifest and components from the lingering roots', () => {
  const s = simulate({ boards: 16, seed: 4, reboot: true, manifest: true, files: 5, late: { count: 1, atMs: 11_000 } });
  assert.ok(s.allVerified);
  assert.is(s.originBytes, s.fileBytes, 'the set crossed the WAN once');
});

test('64 boards that reboot as soon as they may: every board verified, one WAN copy, nothing given up', () => {
  const s = simulate({ boards: 64, seed: 5, reboot: true, fileBytes: 2 << 20 });
  assert.ok(s.allVerified);
  // The run ends when the last board verified; the ones still serving it reboot after.
  assert.ok(s.rebooted >= 56, `${s.rebooted} rebooted before the last board was done`);
  assert.is(s.originBytes, s.fileBytes);
  assert.equal(s.failed, []);
});

for (const [who, forMs] of [[15, 10_000], [10, 20_000], [5, 40_000]] as const) {
  test(`board ${who} frozen ${forMs / 1000} s while the others finish and reboot: the root waits for it (rootStayMs), one WAN copy`, () => {
    const s = simulate({ boards: 16, seed: 1, reboot: true, freezes: [{ atMs: 3000, forMs, who }] });
    assert.ok(s.allVerified);
    // Gone with the others after rootLingerMs, the root left the thawed board an empty subnet: 1.63 copies.
    assert.is(s.originBytes, s.fileBytes, `${(s.originBytes / s.fileBytes).toFixed(2)} WAN copies`);
    assert.ok(s.fleetSeconds < 3 + forMs / 1000 + 2, `done ${s.fleetSeconds} s, thawed at ${3 + forMs / 1000} s`);
  });
}

for (const forMs of [15_000, 30_000]) {
  test(`a parent frozen ${forMs / 1000} s, reported dead by its children: the root still waits for it, one WAN copy`, () => {
    const s = simulate({ boards: 16, seed: 1, reboot: true, freezes: [{ atMs: 3000, forMs, who: 'parent' }] });
    assert.ok(s.allVerified);
    // Forgotten by the tracker when its children moved away, it found the root gone when it woke: 1.63 copies.
    assert.is(s.originBytes, s.fileBytes, `${(s.originBytes / s.fileBytes).toFixed(2)} WAN copies`);
    assert.equal(s.rootTerms, [1]);
  });
}

test.run();
