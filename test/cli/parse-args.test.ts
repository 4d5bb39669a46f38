import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgv, PositionalError } from '../../src/cli/parse-args';
import { nearest } from '../../src/cli/nearest';
import { UsageError } from '../../src/errors';

const OPTS = { boards: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string', short: 'o' }, tag: { type: 'string', multiple: true } } as const;

function refused(argv: string[], positionals = { min: 0, max: 0 }): UsageError {
  try {
    parseArgv(argv, OPTS, positionals);
  } catch (e) {
    assert.instance(e, UsageError);
    return e as UsageError;
  }
  throw new Error(`${argv.join(' ')} was accepted`);
}

test('options, values, short names, "--" and "-" as it is read', () => {
  const r = parseArgv(['--boards', '4', '--json', '-o', 'x', '--tag=a', '--tag', 'b', 'p1', '-', '--', '--not-an-option'], OPTS, { min: 0, max: 9 });
  assert.equal(r.values, { boards: '4', json: true, out: 'x', tag: ['a', 'b'] });
  assert.equal(r.positionals, ['p1', '-', '--not-an-option']);
  assert.equal(parseArgv(['-ox', '--boards=8'], OPTS, { min: 0, max: 0 }).values, { out: 'x', boards: '8' });
});

test('regression: a misspelled option (lab --bords 4) is one line naming the nearest valid option', () => {
  assert.is(refused(['--bords', '4']).message, 'unknown option --bords; did you mean --boards?');
  assert.is(refused(['--jsn']).message, 'unknown option --jsn; did you mean --json?');
  assert.is(refused(['--log-levle', 'dbg']).message, 'unknown option --log-levle; did you mean --log-level?');
  assert.is(refused(['--zzzzzz']).message, 'unknown option --zzzzzz; --help lists the options');
  assert.is(refused(['-x']).message, 'unknown option -x; --help lists the options');
});

test('regression: a value that starts with "-" (--boards -3) is the value, for the option\'s own range check', () => {
  assert.equal(parseArgv(['--boards', '-3'], OPTS, { min: 0, max: 0 }).values, { boards: '-3' });
});

test('a missing value, a value for a flag, and positionals missing or left over', () => {
  assert.is(refused(['--boards']).message, '--boards needs a value');
  assert.is(refused(['--boards', '--json']).message, '--boards needs a value before --json');
  assert.match(refused(['--json=yes']).message, /--json takes no value/);
  assert.instance(refused([], { min: 1, max: 1 }), PositionalError);
  assert.is(refused(['a', 'b'], { min: 1, max: 1 }).message, 'unexpected argument "b"');
});

test('nearest: close words only', () => {
  assert.is(nearest('bords', ['boards', 'board', 'files']), 'boards');
  assert.is(nearest('sze', ['size', 'seed']), 'size');
  assert.is(nearest('wan-rtt', ['rtt', 'wan-rate', 'wan-rtt']), 'wan-rtt');
  assert.is(nearest('banana', ['boards', 'size']), undefined);
});

test.run();
