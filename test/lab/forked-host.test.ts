// A lab's board host that cannot start or dies at once fails that host with
// PFS_ERR_LAB; before, the send into its closed channel (EPIPE) or the failed spawn
// was an 'error' event nobody listened to, and the whole lab crashed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { forkedHost } from '../../src/lab/lab';
import type { FleetConfig } from '../../src/lab/types';
import type { PfsError } from '../../src/errors';

const fleet = {} as FleetConfig;

async function startFails(start: () => ReturnType<typeof spawn>): Promise<PfsError> {
  const host = forkedHost(fleet, [], start);
  try {
    await host.start();
  } catch (e) {
    await host.stop();
    return e as PfsError;
  }
  await host.stop();
  throw new Error('expected start() to fail');
}

test('regression: a board host program that does not exist fails the host (PFS_ERR_LAB), not the lab', async () => {
  const e = await startFails(() => spawn('/nonexistent/pfs-lab-host', [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }));
  assert.is(e.code, 'PFS_ERR_LAB');
  assert.match(e.message, 'ENOENT');
});

test('regression: a board host that exits at once (its channel closed under the lab\'s send) fails the host, not the lab', async () => {
  const e = await startFails(() => spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] }));
  assert.is(e.code, 'PFS_ERR_LAB');
  assert.match(e.message, /exited early \(code 3|EPIPE|channel closed/);
});

test.run();
