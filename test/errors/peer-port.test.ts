// Regression: a peer port another program holds ended pfs boot as an internal error
// (exit 70, a stack trace). Issue 13 item 1: such a board cannot run its peer engine,
// so it upgrades by plain TFTP from the server, with one line naming the port and
// PFS_ERR_PEER_PORT, and ends as any upgrade does (exit 10).
import { mkdir } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadModels } from '../../src/profiles';
import { prepareSite } from '../../src/lab/site';
import { TftpServer } from '../../src/net/tftp/server';
import { pfs } from './cli-capture';
import { tmpDir } from '../helpers';

test('regression: pfs boot with its TCP peer port taken upgrades by plain TFTP with one PFS_ERR_PEER_PORT line naming the port, not exit 70', async () => {
  const holder = createServer();
  await new Promise<void>((ok) => holder.listen(0, '127.0.0.1', ok));
  const port = (holder.address() as AddressInfo).port;
  const t = await tmpDir('pfs-peer-port-');
  const server = new TftpServer({ root: join(t.path, 'origin'), port: 0 });
  try {
    await mkdir(join(t.path, 'origin'));
    await server.start();
    const models = await loadModels('boards');
    const s = await prepareSite(t.path, {
      models: [{ profile: models.get('CP-7961G')!, count: 1 }], size: 128 * 1024, files: 1, enterprisePfs: true, pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port: server.address().port }),
      boardConfig: () => ({ addr: '127.0.0.1', peer_port: String(port), broadcast: `127.255.255.255:${port}` }),
    });
    const r = await pfs(['boot', '--board', 'sim', '--root', s.boards[0]!.root, '--boards-dir', 'boards', '--server', `127.0.0.1:${server.address().port}`, '--log-level', 'wrn']);
    assert.is(r.status, 10, r.stderr);
    assert.not.match(r.stderr, 'internal error');
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('PFS_ERR_PEER_PORT'));
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, `TCP 127.0.0.1:${port}: taken by another program`);
    assert.match(lines[0]!, 'plain TFTP upgrade');
  } finally {
    holder.close();
    await server.stop();
    await t.cleanup();
  }
});

test.run();
