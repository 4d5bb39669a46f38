// A transfer opened ahead (hold) whose request fails before anyone takes its data:
// the one who takes it later must hear of the failure (D5: it waited for good).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../../src/net/tftp/server';
import { tftpGet } from '../../../src/net/tftp/client';

/** Rejects with `what` if `work` has not settled within `ms`: the test fails instead of hanging. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => (timer = setTimeout(() => fail(new Error(what)), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

test('regression D5: deliver() on a prepared transfer that had already failed rejects with that failure (it never settled)', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pfs-failed-'));
  const server = new TftpServer({ root, port: 0 });
  await server.start();
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: server.address().port, file: 'missing.loads', hold: true, timeoutMs: 200 });
    await dl.negotiated.then(() => assert.unreachable('the server has no such file'), () => {});
    assert.is((dl.failure as { code?: string } | undefined)?.code, 'PFS_ERR_TFTP_REMOTE', 'the failure is known before deliver()');
    dl.begin();
    const err = await within(dl.deliver(() => true).then(() => undefined, (e: Error) => e), 2000, 'deliver() did not settle');
    assert.ok(err, 'deliver() rejects');
    assert.is((err as { code?: string }).code, 'PFS_ERR_TFTP_REMOTE');
    assert.match(err!.message, 'missing.loads');
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('a transfer that has not failed reports no failure', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pfs-failed-'));
  const server = new TftpServer({ root, port: 0 });
  await server.start();
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: server.address().port, file: 'missing.loads', hold: true, timeoutMs: 200 });
    assert.is(dl.failure, undefined);
    dl.abort();
  } finally {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
