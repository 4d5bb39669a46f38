// The lab's folder in the temp directory (origin files, boards, logs: megabytes),
// and the clean-up of folders that labs killed outright (kill -9, power cut) left.
// A folder carries an owner file naming the process that made it; a folder whose
// owner is gone is removed by the next lab. A folder kept on purpose (--keep) has
// its owner file taken away, so that nothing removes it.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'pfs-lab-';
const OWNER = '.pfs-lab-owner';

interface Owner {
  pid: number;
  /** The process's start time (/proc/PID/stat field 22) where known: a pid reused by another process does not count. */
  started?: string;
}

function startedOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function alive(o: Owner): boolean {
  try {
    process.kill(o.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startedOf(o.pid);
  // Close, not equal: under qemu-user a process reads a /proc/PID/stat that qemu makes
  // up, whose start time is a few ticks off the kernel's. A pid reused within 5 s
  // (500 ticks) of the owner's start is not a case that happens.
  return o.started === undefined || now === undefined || Math.abs(Number(now) - Number(o.started)) <= 500;
}

/** Makes `<tmp>/pfs-lab-XXXXXX` owned by this process. */
export async function createLabFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), PREFIX));
  const owner: Owner = { pid: process.pid, started: startedOf(process.pid) };
  await writeFile(join(dir, OWNER), JSON.stringify(owner) + '\n');
  return dir;
}

/** Leaves the folder for the user to read: no later lab removes it. */
export async function keepLabFolder(dir: string): Promise<void> {
  await rm(join(dir, OWNER), { force: true });
}

/**
 * Removes every `pfs-lab-*` folder in the temp directory whose owning process is
 * gone; folders of labs still running, and kept ones, are left alone. Returns the
 * folders removed.
 */
export async function removeStaleLabFolders(): Promise<string[]> {
  const removed: string[] = [];
  const base = tmpdir();
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(base, name);
    let owner: Owner;
    try {
      owner = JSON.parse(await readFile(join(dir, OWNER), 'utf8')) as Owner;
    } catch {
      continue; // kept on purpose, not a folder of ours, or one still being made
    }
    if (typeof owner.pid !== 'number' || alive(owner)) continue;
    // A killed lab's board processes may still be ending and writing: rm retries ENOTEMPTY.
    await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => {});
    removed.push(dir);
  }
  return removed;
}
