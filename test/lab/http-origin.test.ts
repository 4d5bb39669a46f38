// pfs lab --origin http: boot boards take the components from the lab's HTTP load
// server across the TCP WAN, one copy per model, every board verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabOptions } from '../../src/lab/lab';
import { freePortRange } from '../helpers/net';

const log = createLogger('TEST', { level: 'ERR', sinks: [] });

async function options(over: Partial<LabOptions>): Promise<LabOptions> {
  const first = await freePortRange((over.boards ?? 4) + 1);
  return {
    boards: 4, size: 1 << 20, files: 2, mode: 'pfs', forward: 'cut', wanRate: 50e6, wanRttMs: 40, wanLoss: 0,
    tftpBlksize: 1468, tftpWindow: 64, perProcess: 0, portBase: first + 1, broadcast: { addr: '127.255.255.255', port: first },
    model: 'CP-7961G', logLevel: 'INF', keep: false, timeoutMs: 60_000, engine: false,
    models: [{ model: 'CP-7961G', count: 4 }], pfsOff: 0, boardsDir: 'boards', origin: 'http',
    ...over,
  };
}

test('4 boot boards, --origin http: all verified, one copy of the set over the WAN, all of it by HTTP', async () => {
  const s = await runLab(await options({}), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes + 4096, `one copy of each file and the manifest: ${s.originBytes} bytes for ${s.fileBytes}`);
  assert.is(s.originHttpBytes, s.originBytes, 'every firmware byte came by HTTP');
});

test('--origin http with the engine lab is refused (it needs boot boards on loopback)', async () => {
  try {
    await runLab(await options({ engine: true }), log);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code?: string }).code, 'PFS_ERR_LAB');
    assert.match((e as Error).message, '--origin http runs boot boards on loopback only');
  }
});

test.run();
