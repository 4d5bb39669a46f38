// test/run.ts itself, on the fixture files in test/fixtures/runner: what CI reads
// (the last line, the exit status) and what a developer reads (why a test was
// skipped, which test hung or ended its process).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { within } from './helpers/net';

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { CI: _ci, ...rest } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', '--root', 'test/fixtures/runner', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...rest, ...env },
  });
  const lines = r.stdout.trimEnd().split('\n');
  return { status: r.status, out: r.stdout + r.stderr, last: lines.at(-1) };
}

test('passing files: exit 0 and the counts alone on the last line', () => {
  const r = run(['passes']);
  assert.is(r.status, 0, r.out);
  assert.is(r.last, '2 passed, 0 failed, 0 skipped', r.out);
});

test('a test that cannot run here is counted as skipped with its reason; under CI it fails', () => {
  const here = run(['skips']);
  assert.is(here.status, 0, here.out);
  assert.is(here.last, '1 passed, 0 failed, 1 skipped', here.out);
  assert.match(here.out, /skips\.test\.ts: "needs a frobnicator": the frobnicator is not installed/);
  const ci = run(['skips'], { CI: 'true' });
  assert.is(ci.status, 1, ci.out);
  assert.is(ci.last, '1 passed, 1 failed, 0 skipped', ci.out);
  assert.match(ci.out, /cannot run under CI: the frobnicator is not installed/);
});

test('a hung test fails by name at its time limit and the next test still runs', () => {
  const r = run(['hangs', '--timeout', '1']);
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /"waits forever" did not finish within its 1 s time limit/);
  assert.is(r.last, '1 passed, 1 failed, 0 skipped', r.out);
});

test('a failed assertion, a stray rejection and a test that exits its process each fail; other files still run', () => {
  const r = run(['fails', 'exits', 'passes']);
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /unhandled rejection outside any test's await: Error: stray/);
  assert.match(r.out, /worker exited \(code 3\) while running "calls process\.exit"/);
  assert.is(r.last, '3 passed, 3 failed, 0 skipped', r.out);
});

test('the runner ends when whoever reads its output goes away (it used to spin on EPIPE for good)', async () => {
  const { CI: _ci, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/run.ts', '--root', 'test/fixtures/runner', '--workers', '1', '--timeout', '1', 'passes', 'hangs'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  const exited = once(child, 'exit');
  await once(child.stdout, 'data');
  // Like `| head` having read enough, in a terminal that is gone.
  child.stdout.destroy();
  child.stderr.destroy();
  try {
    await within(20_000, 'the runner to exit once its reader left', exited);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a filter that matches nothing is an error, not an empty success', () => {
  const r = run(['no-such-file']);
  assert.is(r.status, 1, r.out);
  assert.match(r.out, /no test files match no-such-file/);
});

test.run();
