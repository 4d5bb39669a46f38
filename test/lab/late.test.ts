// pfs lab --late: boards that reset while the first ones reboot into the new load.
// They must find the lingering root's tree (its members said Leaving as they went),
// not the addresses of boards already gone, and so cost the WAN nothing. On loopback a
// board gone refuses at once, so without Leaving a small lab like this one still found
// a live parent in most runs (a second copy in 1 of 4 with 12 boards); the tests that
// fail without it every time are test/sim/reboot.test.ts and test/net/peer/leaving.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabOptions } from '../../src/lab/lab';
import { bootLabOptions } from './boot-lab';

const log = createLogger('TEST', { level: 'ERR', sinks: [] });

const options = (over: Partial<LabOptions>) => bootLabOptions({ boards: 8, wanRate: 10e6, ...over });

test('8 boot boards, the last 2 reset 4 s late: all verified, the set crossed the WAN once', async () => {
  const s = await runLab(await options({ late: { count: 2, afterMs: 4000 } }), log);
  assert.ok(s.allVerified, s.failures.join('; '));
  assert.ok(s.fleetSeconds >= 4, `the late boards reset at 4 s, yet the fleet was done at ${s.fleetSeconds} s`);
  // The set and its manifest; without Leaving the late boards were sent to boards gone and took it again.
  assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes + 4096, `one copy: ${s.originBytes} bytes for a set of ${s.fileBytes}`);
});

test('--late needs one board at least resetting on time', async () => {
  try {
    await runLab(await options({ boards: 2, late: { count: 2, afterMs: 1000 } }), log);
    assert.unreachable('a lab of late boards only ran');
  } catch (e) {
    assert.match((e as Error).message, '--late: between 1 and 1 boards can reset late, got 2');
  }
});

test('pfs lab --late: a value that is not K@TIME, or late boards only, is one line and exit 2', () => {
  const pfs = (args: string[]) => spawnSync(process.execPath, [resolve('dist/pfs.cjs'), 'lab', ...args], { encoding: 'utf8', timeout: 30_000 });
  for (const [args, says] of [
    [['--late', '2'], '--late must be K@TIME, e.g. 2@9s, got "2"'],
    [['--boards', '4', '--late', '4@9s'], '--late: K must be 1 to 3 (one board at least resets on time), got 4'],
    [['--late', '2@soon'], '--late'],
  ] as const) {
    const r = pfs([...args]);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(says), r.stderr);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
