// Regression: a peer port another program holds ended pfs boot as an internal error
// (exit 70, a stack trace); it is PFS_ERR_PEER_PORT now, exit 1, one line naming the port.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES } from '../../src/errors';
import { pfs } from './cli-capture';
import { tmpDir } from '../helpers';

test('regression: pfs boot with its TCP peer port taken exits 1 with PFS_ERR_PEER_PORT naming the port, not 70', async () => {
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  const port = (holder.address() as AddressInfo).port;
  const t = await tmpDir('pfs-peer-port-');
  try {
    mkdirSync(join(t.path, 'boot'), { recursive: true });
    mkdirSync(join(t.path, 'trust'), { recursive: true });
    writeFileSync(join(t.path, 'boot', 'pfs.txt'), 'model=CP-7961G\nmac=00:1b:d5:08:00:27\n');
    const r = await pfs(['boot', '--board', 'sim', '--root', t.path, '--boards-dir', 'boards', '--server', '127.0.0.1:9', '--addr', '127.0.0.1', '--peer-port', String(port), '--broadcast', `127.255.255.255:${port}`, '--log-level', 'err']);
    assert.is(r.status, ERROR_CODES.PFS_ERR_PEER_PORT.exit, r.stderr);
    assert.is(r.status, 1);
    assert.not.match(r.stderr, 'internal error');
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, 'code=PFS_ERR_PEER_PORT');
    assert.match(lines[0]!, `TCP 127.0.0.1:${port}: taken by another program`);
  } finally {
    holder.close();
    await t.cleanup();
  }
});

test.run();
