// The lab's own codes: options it cannot run with (through `pfs lab`), and the
// namespace subnet refusing before it builds anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES, PfsError } from '../../src/errors';
import { NetnsSubnet } from '../../src/lab/netns/subnet';
import { pfs } from './cli-capture';

test('PFS_ERR_LAB: pfs lab with board ports that run past 65535 stops before it starts anything (exit 1)', async () => {
  const r = await pfs(['lab', '--boards', '10', '--port-base', '65530', '--size', '64K']);
  assert.is(r.status, ERROR_CODES.PFS_ERR_LAB.exit, r.stderr);
  assert.match(r.stderr, /ports 65530\.\.65539 run past 65535 code=PFS_ERR_LAB/);
});

test('PFS_ERR_NETNS: a subnet of no boards is refused (or, where namespaces cannot be made, the reason why), before anything is built', async () => {
  try {
    await NetnsSubnet.create({ boards: 0, lanRateBit: 100e6, wanRateBit: 10e6, tag: 'errtest', handleSignals: false });
    assert.unreachable('a subnet of 0 boards was built');
  } catch (e) {
    assert.instance(e, PfsError);
    assert.is((e as PfsError).code, 'PFS_ERR_NETNS');
    assert.ok(/boards must be 1\.\.60000, got 0/.test((e as Error).message) || /root|ip|namespace/i.test((e as Error).message), (e as Error).message);
  }
});

test.run();
