import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLabFolder, keepLabFolder, removeStaleLabFolders } from '../../src/lab/lab-folder';

/** Runs `fn` with the temp directory (os.tmpdir(), from TMPDIR) pointed at a fresh folder. */
async function inScratch(fn: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'pfs-folder-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    await fn(tmp);
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The pid of a process that has ended. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('a folder whose lab is gone is removed; a running lab\'s, a kept one and folders of others are left', async () => {
  await inScratch(async (tmp) => {
    const mine = await createLabFolder();
    const kept = await createLabFolder();
    await keepLabFolder(kept);
    const dead = await createLabFolder();
    writeFileSync(join(dead, '.pfs-lab-owner'), JSON.stringify({ pid: deadPid() }) + '\n');
    const reused = await createLabFolder(); // this pid, but another process's start time: the pid was reused
    writeFileSync(join(reused, '.pfs-lab-owner'), JSON.stringify({ pid: process.pid, started: '1' }) + '\n');
    const other = mkdtempSync(join(tmp, 'pfs-other-'));
    const removed = await removeStaleLabFolders();
    assert.equal(removed.sort(), [dead, reused].sort());
    for (const d of [mine, kept, other]) assert.ok(existsSync(d), d);
    assert.is(readdirSync(tmp).length, 3);
  });
});

test.run();
