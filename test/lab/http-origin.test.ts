// pfs lab --origin http: boot boards take the components from the lab's HTTP load
// server across the TCP WAN, one copy per model, every board verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabOptions } from '../../src/lab/lab';
import { randomBytes } from 'node:crypto';
import { netnsUnavailable } from '../../src/lab/netns/subnet';
import { bootLabOptions } from './boot-lab';
import { testIf } from '../helpers/ci';

const log = createLogger('TEST', { level: 'ERR', sinks: [] });

const options = (over: Partial<LabOptions>) => bootLabOptions({ origin: 'http', ...over });

test('4 boot boards, --origin http: all verified, one copy of the set over the WAN, all of it by HTTP', async () => {
  const s = await runLab(await options({}), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes + 4096, `one copy of each file and the manifest: ${s.originBytes} bytes for ${s.fileBytes}`);
  assert.is(s.originHttpBytes, s.originBytes, 'every firmware byte came by HTTP');
});

// Root and iproute2: where the namespace lab cannot run this is skipped, under CI it fails.
testIf(netnsUnavailable(), 'namespaces, --origin http: the root reaches port 6970 of the origin\'s address across the shaped link, all verified, one copy by HTTP', async () => {
  const s = await runLab(
    await options({ boards: 3, models: [{ model: 'CP-7961G', count: 3 }], netns: { lanRate: 100e6, tag: `h${randomBytes(3).toString('hex')}` }, portBase: 24000, broadcast: { addr: '127.255.255.255', port: 4051 }, hostEntry: { script: 'src/cli/bin.ts', execArgv: ['--import', 'tsx'] } }),
    log,
  );
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes + 4096, `one copy: ${s.originBytes} bytes for ${s.fileBytes}`);
  assert.is(s.originHttpBytes, s.originBytes, 'every firmware byte came by HTTP');
  assert.ok(s.netns?.clean, 'namespaces removed');
});

test('--origin http with the engine lab is refused (it needs boot boards)', async () => {
  try {
    await runLab(await options({ engine: true }), log);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code?: string }).code, 'PFS_ERR_LAB');
    assert.match((e as Error).message, '--origin http runs boot boards (not --engine)');
  }
});

test.run();
