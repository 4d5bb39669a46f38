// A lab board starts with a board's environment, not the shell's: with
// NODE_EXTRA_CA_CERTS set (this machine sets it for every shell), each board
// process parsed the whole CA bundle before its first line ran, and the 32-board
// namespace fleet took 12.9-13.3 s where it takes 11.4-11.5 s without.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { boardEnv } from '../../src/lab/board-env';
import { freePortRange } from '../helpers/net';

test('boardEnv drops NODE_EXTRA_CA_CERTS and keeps the rest, without touching the lab\'s own', () => {
  const env = { PATH: '/usr/bin', NODE_OPTIONS: '--max-old-space-size=64', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', TMPDIR: '/tmp/x' };
  const b = boardEnv(env);
  assert.equal(b, { PATH: '/usr/bin', NODE_OPTIONS: '--max-old-space-size=64', TMPDIR: '/tmp/x' });
  assert.is(env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt');
});

test('regression: the board processes of a lab do not load the shell\'s extra CA bundle', async () => {
  // A bundle that does not exist makes every Node process that reads the variable
  // print a warning at start-up: the lab's own process does, its board hosts must not.
  const dir = mkdtempSync(join(tmpdir(), 'pfs-board-env-'));
  try {
    const base = (await freePortRange(4)) + 1;
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'no-such-bundle.pem'), TMPDIR: dir };
    const r = spawnSync(
      process.execPath,
      [resolve('dist/pfs.cjs'), 'lab', '--boards', '3', '--size', '256K', '--files', '1', '--per-process', '1', '--port-base', String(base), '--bcast-port', String(base - 1), '--wan-rate', '100mbit', '--wan-rtt', '10ms', '--json'],
      { cwd: resolve('.'), env, encoding: 'utf8', timeout: 60_000 },
    );
    assert.is(r.status, 0, r.stderr);
    assert.is(JSON.parse(r.stdout.trim().split('\n').pop()!).allVerified, true);
    const warned = r.stderr.split('\n').filter((l) => l.includes('Ignoring extra certs')).length;
    assert.is(warned, 1, `the lab and its 3 board processes: ${warned} loaded the bundle\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
