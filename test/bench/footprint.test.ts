// The short version of `npm run bench:footprint` (bench/footprint.ts): `pfs boot`
// boards, one process each as the fleet runs them, on loopback (bench/footprint-lab.ts),
// taking an 8 MiB and then a 64 MiB load. Every board's peak RSS is held to one budget
// over what `node -e 0` itself peaks at on this machine (the floor, 40-41 MiB here:
// Node's own binary pages and heap), whatever the image size.
//
// The budget, 38 MiB over the floor. Measured (bench/RESULTS.md, "Footprint"): 21-24
// MiB over it at 8 MiB, 25-32 at 64 MiB (the root peaks 3-5 MiB higher since e4d1feb,
// the TFTP window that grows with the round trip), up to 34.6 with the load
// average at 18 (the glibc heap and V8's old space grow with how late the collector
// gets to run). Before the cuts of issue 12 a board peaked at 28-32 MiB over the floor
// at 8 MiB and 40-45 at 64 MiB, so those 64 MiB boards fail it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nodeFloorKiB, runFootprintLab, type FootprintRun } from '../../bench/footprint-lab';

const BUNDLE = fileURLToPath(new URL('../../dist/pfs.cjs', import.meta.url));
const BUDGET_MIB = 38;
const MiB = 1024;

const peaks = (r: FootprintRun) => r.boards.map((b) => b.peakKiB);
const show = (kib: number[]) => kib.map((k) => (k / MiB).toFixed(1)).join(', ');

for (const [boards, mib] of [
  [4, 8],
  [2, 64],
] as const) {
  test(`${boards} boards taking ${mib} MiB: every one commits and peaks within ${BUDGET_MIB} MiB of node -e 0's RSS`, async () => {
    assert.ok(existsSync(BUNDLE), 'dist/pfs.cjs is missing: npm run build');
    const floor = nodeFloorKiB();
    assert.ok(floor > 0, 'node -e 0 gave its VmHWM');
    const r = await runFootprintLab({ bundle: BUNDLE, boards, size: mib << 20, timeoutMs: 90_000 });
    assert.ok(r.allCommitted, r.failure);
    for (const p of peaks(r)) assert.ok(p <= floor + BUDGET_MIB * MiB, `peak RSS per board ${show(peaks(r))} MiB; the floor ${show([floor])} MiB, the budget ${BUDGET_MIB} MiB over it`);
  });
}

test.run();
