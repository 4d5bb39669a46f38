// A lab process that hosts one board (--per-process 1, and every board of --netns) is
// that board, as on a Pi, and takes the board's heap as `pfs boot` does: its young
// generation stays at its first size. Before, such a host let V8's nursery double while
// blocks streamed through, and peaked 6-9 MiB above a `pfs boot` board (71.1-72.2
// against 62.8-63.8 MiB in `pfs lab --per-process 1`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortRange } from '../helpers/net';

async function lab(perProcess: number): Promise<{ peakRssPerBoardMiB: number; youngGenMiB?: number; boardsPerProcess: number; allVerified: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-host-heap-'));
  try {
    const base = (await freePortRange(3)) + 1;
    const args = ['lab', '--boards', '2', '--size', '4M', '--files', '2', '--per-process', String(perProcess), '--port-base', String(base), '--bcast-port', String(base - 1), '--wan-rate', '100mbit', '--wan-rtt', '10ms'];
    const json = spawnSync(process.execPath, [resolve('dist/pfs.cjs'), ...args, '--json'], { env: { ...process.env, TMPDIR: dir }, encoding: 'utf8', timeout: 60_000 });
    assert.is(json.status, 0, json.stderr);
    const s = JSON.parse(json.stdout.trim().split('\n').pop()!);
    return s;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
