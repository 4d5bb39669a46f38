// The pfs.service unit's back-off: the wait before each automatic restart, run by sh
// as systemd would run it, with stand-ins for systemctl (the restart count) and sleep.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKOFF_FIRST_S, BACKOFF_MAX_S, unitText } from '../../src/image/unit';
import { EXIT } from '../../src/boot/boot';
import { tmpDir } from '../helpers';

/** The shell text of the unit's ExecStartPre=, as sh receives it ($$ is systemd's escape for $). */
function backoffScript(): string {
  const line = unitText('/opt/pfs/pfs').split('\n').find((l) => l.startsWith('ExecStartPre='))!;
  const m = /^ExecStartPre=\/bin\/sh -c '(.*)'$/.exec(line);
  assert.ok(m, line);
  return m![1]!.replace(/\$\$/g, '$');
}

test('after the Nth failure the unit waits 5 s, then twice as long each time, at most 300 s; none at the first start', async () => {
  const t = await tmpDir();
  try {
    const waits: (number | null)[] = [];
    for (let n = 0; n <= 9; n++) {
      writeFileSync(join(t.path, 'systemctl'), `#!/bin/sh\necho ${n}\n`);
      writeFileSync(join(t.path, 'sleep'), `#!/bin/sh\necho "slept $1" >> "${t.path}/slept"\n`);
      chmodSync(join(t.path, 'systemctl'), 0o755);
      chmodSync(join(t.path, 'sleep'), 0o755);
      writeFileSync(join(t.path, 'slept'), '');
      const r = spawnSync('/bin/sh', ['-c', backoffScript()], { env: { PATH: `${t.path}:/usr/bin:/bin` }, encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      const slept = /slept (\d+)/.exec(spawnSync('cat', [join(t.path, 'slept')], { encoding: 'utf8' }).stdout)?.[1];
      waits.push(slept === undefined ? null : Number(slept));
    }
    assert.equal(waits, [null, 5, 10, 20, 40, 80, 160, 300, 300, 300]);
    assert.is(BACKOFF_FIRST_S, 5);
    assert.is(BACKOFF_MAX_S, 300);
  } finally {
    await t.cleanup();
  }
});

test('the unit maps pfs boot\'s exit codes: 10 reboots and is no failure, 2 and 3 are not restarted, the rest are', () => {
  const u = unitText('/opt/pfs/pfs');
  assert.match(u, `SuccessExitStatus=${EXIT.REBOOT}\n`);
  assert.match(u, `ExecStopPost=/bin/sh -c 'if [ "$$EXIT_STATUS" = ${EXIT.REBOOT} ]; then exec systemctl --no-block reboot; fi'`);
  assert.match(u, `RestartPreventExitStatus=2 ${EXIT.NO_MODEL}\n`);
  assert.match(u, 'Restart=on-failure\n');
  assert.match(u, 'After=network-online.target\n');
  assert.match(u, 'Wants=network-online.target\n');
  assert.match(u, 'StartLimitIntervalSec=0\n');
  assert.match(u, 'ExecStart=/opt/pfs/pfs boot\n');
  assert.match(u, 'WantedBy=multi-user.target\n');
});

test('the unit gives pfs boot what it cannot set for itself: one malloc arena (3 MiB of a board\'s peak RSS)', () => {
  const u = unitText('/opt/pfs/pfs');
  const service = u.slice(u.indexOf('[Service]'), u.indexOf('[Install]'));
  assert.match(service, 'Environment=MALLOC_ARENA_MAX=1\nExecStart=/opt/pfs/pfs boot\n');
});

test.run();
