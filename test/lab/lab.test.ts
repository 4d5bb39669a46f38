import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabOptions } from '../../src/lab/lab';
import { freePortRange } from '../helpers/net';

const log = createLogger('TEST', { level: 'ERR', sinks: [] });

/**
 * A lab on loopback with ports of its own (the broadcast port, then one per board,
 * free when asked), so tests never hear each other's boards.
 */
async function options(over: Partial<LabOptions>): Promise<LabOptions> {
  const first = await freePortRange((over.boards ?? 16) + 1);
  const portBase = first + 1;
  return {
    boards: 16,
    size: 2 << 20,
    files: 2,
    mode: 'pfs',
    forward: 'cut',
    wanRate: 50e6,
    wanRttMs: 40,
    wanLoss: 0,
    tftpBlksize: 1468,
    tftpWindow: 64,
    perProcess: 0,
    portBase,
    broadcast: { addr: '127.255.255.255', port: first },
    model: 'CP-7961G',
    logLevel: 'INF',
    keep: false,
    timeoutMs: 60_000,
    engine: true,
    models: [],
    pfsOff: 0,
    boardsDir: 'boards',
    ...over,
  };
}

test('16 boards x 2 files on real sockets: all verified, each file crosses the WAN once, one root per file', async () => {
  const s = await runLab(await options({}), log);
  assert.equal(s.failures, []);
  assert.ok(s.allVerified);
  assert.is(s.originBytes, s.fileBytes, 'origin sent exactly one copy of each file');
  assert.equal(Object.values(s.rootsPerFile), [1, 1]);
  assert.ok(s.maxChildren <= 2, `a board had ${s.maxChildren} children`);
  assert.ok(s.maxDepth <= Math.ceil(Math.log2(17)) + 1, `depth ${s.maxDepth}`);
});

test('store-and-forward mode also ends verified with one WAN copy', async () => {
  const s = await runLab(await options({ boards: 6, forward: 'store' }), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.is(s.originBytes, s.fileBytes);
});

test('traditional tftp mode: every board fetches every file from the origin', async () => {
  const s = await runLab(await options({ boards: 4, mode: 'tftp', size: 512 << 10 }), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.is(s.originBytes, 4 * s.fileBytes);
  assert.equal(Object.values(s.rootsPerFile), [0, 0]);
});


test('boards hosted in forked processes report back and end verified', async () => {
  const s = await runLab(await options({ boards: 8, perProcess: 3, hostEntry: { script: 'src/cli/bin.ts', execArgv: ['--import', 'tsx'] } }), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.is(s.originBytes, s.fileBytes);
  assert.is(s.boardsPerProcess, 3);
  assert.ok(s.peakRssPerBoardMiB > 0);
});

test.run();
