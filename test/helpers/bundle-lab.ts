import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortRange } from './net';

/**
 * Runs `node dist/pfs.cjs lab ARGS --json` for `boards` boards on ports of their own
 * (a free range: the broadcast port, then one per board) with its lab folder in a
 * temp folder removed afterwards; `env` is added to this process's environment.
 */
export async function runBundleLab(boards: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<SpawnSyncReturns<string>> {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-bundle-lab-'));
  try {
    const base = (await freePortRange(boards + 1)) + 1;
    const argv = [resolve('dist/pfs.cjs'), 'lab', '--boards', String(boards), '--port-base', String(base), '--bcast-port', String(base - 1), ...args, '--json'];
    return spawnSync(process.execPath, argv, { env: { ...process.env, TMPDIR: dir, ...env }, encoding: 'utf8', timeout: 60_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lab's JSON summary: the last line it printed. */
export function labSummary<T = Record<string, unknown>>(r: SpawnSyncReturns<string>): T {
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
