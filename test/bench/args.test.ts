import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { numberArg, numberListArg } from '../../bench/args';

const repo = fileURLToPath(new URL('../..', import.meta.url));

// Every case below stops at the command line, before the script does any work.
function bench(script: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${script}`, ...args], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('an unknown flag stops a bench script with its name, the flag and the usage (exit 2)', () => {
  const r = bench('lab.ts', '--boards', '8');
  assert.is(r.status, 2);
  assert.match(r.err, "bench:lab: Unknown option '--boards'");
  assert.match(r.err, 'Usage: npm run bench:lab');
  assert.is(r.out, '');
});

test('a flag without its value, a missing required one, and a value that is no number are usage errors too', () => {
  const noValue = bench('fleet-origin.ts', '--listen', '127.0.0.1', '--dir');
  assert.is(noValue.status, 2);
  assert.match(noValue.err, "fleet-origin: Option '--dir <value>' argument missing");
  const missing = bench('fleet-origin.ts', '--dir', '/nonexistent');
  assert.is(missing.status, 2);
  assert.match(missing.err, 'fleet-origin: --listen is required');
  const nan = bench('tftp.ts', '--reps', 'three');
  assert.is(nan.status, 2);
  assert.match(nan.err, 'bench:tftp: --reps must be a whole number of at least 1, got "three"');
});

test('--help prints the usage with every flag and exits 0', () => {
  const r = bench('fleet-origin.ts', '--help');
  assert.is(r.status, 0, r.err);
  for (const flag of ['--dir', '--listen', '--port', '--rate', '--rtt', '--pipeline']) assert.match(r.out, flag);
});

test('numberArg takes whole numbers from min on, fractions only when asked', () => {
  assert.is(numberArg('16', '--n', { min: 1 }), 16);
  assert.is(numberArg('0.5', '--cap', { fractions: true }), 0.5);
  assert.throws(() => numberArg('0.5', '--n'), /--n must be a whole number of at least 0, got "0.5"/);
  assert.throws(() => numberArg('0', '--n', { min: 1 }), /at least 1/);
  assert.throws(() => numberArg('', '--n'), /got ""/);
  assert.throws(() => numberArg('8x', '--n'), /got "8x"/);
  assert.equal(numberListArg('8,16,32', '--n', { min: 1 }), [8, 16, 32]);
  assert.throws(() => numberListArg('8,,32', '--n'), /got ""/);
});

test.run();
