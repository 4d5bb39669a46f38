import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electionOption } from '../../src/cli/election-option';
import { UsageError } from '../../src/errors';

test('--election takes fast or phone; absent is the default (fast, left to the engine); anything else is a usage error naming the option', () => {
  assert.is(electionOption('fast'), 'fast');
  assert.is(electionOption('phone'), 'phone');
  assert.is(electionOption(undefined), undefined);
  try {
    electionOption('cisco');
    assert.unreachable('accepted cisco');
  } catch (e) {
    assert.instance(e, UsageError);
    assert.match((e as Error).message, /--election must be fast or phone, got "cisco"/);
  }
});

test.run();
