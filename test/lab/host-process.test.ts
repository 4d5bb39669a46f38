// A lab process that hosts one board (--per-process 1, and every board of --netns) is
// that board, as on a Pi, and takes the board's heap as `pfs boot` does: its young
// generation stays at its first size. Before, such a host let V8's nursery double while
// blocks streamed through, and peaked 6-9 MiB above a `pfs boot` board (71.1-72.2
// against 62.8-63.8 MiB in `pfs lab --per-process 1`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labSummary, runBundleLab } from '../helpers/bundle-lab';

interface Summary {
  peakRssPerBoardMiB: number;
  youngGenMiB?: number;
  boardsPerProcess: number;
  allVerified: boolean;
}

async function lab(perProcess: number): Promise<Summary> {
  const r = await runBundleLab(2, ['--size', '4M', '--files', '2', '--per-process', String(perProcess), '--wan-rate', '100mbit', '--wan-rtt', '10ms']);
  assert.is(r.status, 0, r.stderr);
  return labSummary<Summary>(r);
}

test('regression: a process hosting one board keeps the board\'s young generation (2 MiB: two 1 MiB semi-spaces)', async () => {
  const s = await lab(1);
  assert.ok(s.allVerified);
  assert.is(s.boardsPerProcess, 1);
  assert.ok(s.peakRssPerBoardMiB > 0, 'the peak RSS is reported');
  assert.ok(s.youngGenMiB !== undefined && s.youngGenMiB > 0 && s.youngGenMiB <= 2, `young generation ${s.youngGenMiB} MiB`);
});

test('a process hosting several boards keeps V8\'s default nursery, which grows with them', async () => {
  const s = await lab(2);
  assert.ok(s.allVerified);
  assert.is(s.boardsPerProcess, 2);
  assert.ok(s.youngGenMiB !== undefined && s.youngGenMiB > 2, `young generation ${s.youngGenMiB} MiB`);
});

test.run();
