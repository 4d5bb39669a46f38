// A lab board starts with a board's environment, not the shell's: with
// NODE_EXTRA_CA_CERTS set (this machine sets it for every shell), each board
// process parsed the whole CA bundle before its first line ran: in the 32-board
// namespace fleet the last board came up 1.2-1.5 s later (bench/RESULTS.md, Fleet).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boardEnv } from '../../src/lab/board-env';
import { labSummary, runBundleLab } from '../helpers/bundle-lab';

test('boardEnv drops NODE_EXTRA_CA_CERTS, adds what a board\'s unit gives it and keeps the rest, without touching the lab\'s own', () => {
  const env = { PATH: '/usr/bin', NODE_OPTIONS: '--max-old-space-size=64', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', TMPDIR: '/tmp/x', MALLOC_ARENA_MAX: '8' };
  const b = boardEnv(env);
  assert.equal(b, { PATH: '/usr/bin', NODE_OPTIONS: '--max-old-space-size=64', TMPDIR: '/tmp/x', MALLOC_ARENA_MAX: '1' });
  assert.is(env.NODE_EXTRA_CA_CERTS, '/etc/ssl/certs/ca-certificates.crt');
  assert.is(env.MALLOC_ARENA_MAX, '8');
});

test('regression: the board processes of a lab do not load the shell\'s extra CA bundle', async () => {
  // A bundle that does not exist makes every Node process that reads the variable
  // print a warning at start-up: the lab's own process does, its board hosts must not.
  const r = await runBundleLab(3, ['--size', '256K', '--files', '1', '--per-process', '1', '--wan-rate', '100mbit', '--wan-rtt', '10ms'], { NODE_EXTRA_CA_CERTS: '/nonexistent/pfs-no-such-bundle.pem' });
  assert.is(r.status, 0, r.stderr);
  assert.is(labSummary(r).allVerified, true);
  const warned = r.stderr.split('\n').filter((l) => l.includes('Ignoring extra certs')).length;
  assert.is(warned, 1, `the lab and its 3 board processes: ${warned} loaded the bundle\n${r.stderr}`);
});

test.run();
