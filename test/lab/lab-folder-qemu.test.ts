// Regression (issue 11): a lab run under qemu-user had its folder removed by another
// lab as a killed lab's leftovers. qemu makes up the /proc/PID/stat a process reads of
// itself, with a start time a few ticks off the kernel's, so the owner file did not
// match what the other lab read. An owner whose start time is close counts as alive.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleLabFolders } from '../../src/lab/lab-folder';

/** This process's start time as the kernel tells it (/proc/PID/stat field 22). */
function started(): number {
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

test('regression: a lab folder whose owner wrote a start time a few ticks off (qemu-user) is not removed; a pid reused long after is', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pfs-folder-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    const owned = (name: string, startedAt: number) => {
      const dir = join(tmp, name);
      mkdirSync(dir);
      writeFileSync(join(dir, '.pfs-lab-owner'), JSON.stringify({ pid: process.pid, started: String(startedAt) }) + '\n');
      return dir;
    };
    const underQemu = owned('pfs-lab-qemu01', started() + 2);
    const reused = owned('pfs-lab-reuse1', started() - 100_000);
    const removed = await removeStaleLabFolders();
    assert.ok(existsSync(underQemu), 'the folder of the running lab under qemu stays');
    assert.not.ok(existsSync(reused), 'a folder whose pid now belongs to a process started 1000 s later is removed');
    assert.equal(removed, [reused]);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
