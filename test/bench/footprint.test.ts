// The short version of `npm run bench:footprint` (bench/footprint.ts): `pfs boot`
// boards, one process each as the fleet runs them, on loopback (bench/footprint-lab.ts),
// taking an 8 MiB and a 64 MiB load. A board's peak RSS is held to a budget over what
// `node -e 0` itself peaks at on this machine (the floor, about 40 MiB here: Node's own
// binary pages and heap), and must not grow with the image.
//
// The budget, 30 MiB over the floor: measured at 21-23 MiB over it with 4 boards at
// once (62-64 MiB peak against a 41 MiB floor at load average 13, bench/RESULTS.md,
// "Footprint"); the 7 MiB margin is for a machine busier still (the glibc heap and V8's
// old space grow with how late the collector runs). Before the cuts of issue 12 a board
// peaked at 28-32 MiB over the floor with 8 MiB and 40-45 MiB over it with 64 MiB.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runFootprintLab, type FootprintRun } from '../../bench/footprint-lab';

const BUNDLE = fileURLToPath(new URL('../../dist/pfs.cjs', import.meta.url));
const BUDGET_MIB = 30;
/** How much more a board may peak at with 64 MiB than with 8 MiB (before: 13 MiB more; now 3-6). */
const GROWTH_MIB = 8;
const MiB = 1024;

/** `node -e 0`'s own peak RSS, KiB. */
function floorKiB(): number {
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'))[1])"], { encoding: 'utf8' });
  return Number(r.stdout);
}

const peaks = (r: FootprintRun) => r.boards.map((b) => b.peakKiB);
const show = (kib: number[]) => kib.map((k) => (k / MiB).toFixed(1)).join(', ');

let small: FootprintRun | undefined;

test(`4 boards taking 8 MiB: every one commits and peaks within ${BUDGET_MIB} MiB of node -e 0's RSS`, async () => {
  assert.ok(existsSync(BUNDLE), 'dist/pfs.cjs is missing: npm run build');
  const floor = floorKiB();
  assert.ok(floor > 0, 'node -e 0 gave its VmHWM');
  small = await runFootprintLab({ bundle: BUNDLE, boards: 4, size: 8 << 20, timeoutMs: 60_000 });
  assert.ok(small.allCommitted, small.failure);
  for (const p of peaks(small)) assert.ok(p <= floor + BUDGET_MIB * MiB, `peak RSS per board ${show(peaks(small))} MiB; the floor ${show([floor])} MiB, the budget ${BUDGET_MIB} MiB over it`);
});

test(`2 boards taking 64 MiB peak at most ${GROWTH_MIB} MiB above the 8 MiB boards`, async () => {
  assert.ok(small, 'the 8 MiB run came first');
  const big = await runFootprintLab({ bundle: BUNDLE, boards: 2, size: 64 << 20, timeoutMs: 90_000 });
  assert.ok(big.allCommitted, big.failure);
  const limit = Math.max(...peaks(small)) + GROWTH_MIB * MiB;
  for (const p of peaks(big)) assert.ok(p <= limit, `64 MiB: ${show(peaks(big))} MiB per board; 8 MiB: ${show(peaks(small))} MiB`);
});

test.run();
