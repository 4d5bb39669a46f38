// The short version of `npm run fuzz` (bench/fuzz.ts): hostile datagrams and stream
// headers against the sans-IO core and against two live boards on loopback, which
// must still finish their file with every block verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fuzzCore, fuzzLive } from '../../bench/fuzzers';

test('the core takes 50,000 hostile datagrams and 5,000 stream headers without an exception', () => {
  for (const seed of [1, 2]) {
    const r = fuzzCore({ seed, datagrams: 25_000, headers: 2_500 });
    assert.is(r.crashes, 0, r.firstCrashes.join('\n'));
    assert.ok(r.actions > 0, 'the core did act');
    // Every kind of input was made, and every kind of message reached the core.
    for (const kind of ['random', 'header', 'mutated', 'wellformed', 'stream-random', 'stream-mutated', 'stream-wellformed']) assert.ok((r.made[kind] ?? 0) > 0, kind);
    for (const type of ['ClaimRoot', 'ConfirmedRoot', 'JoinRequest', 'Orphaned', 'BadParent', 'ParentAssigned', 'Malformed:magic', 'Malformed:short', 'Malformed:field']) assert.ok((r.decoded[type] ?? 0) > 0, type);
  }
});

test('two live boards under hostile datagrams and stream headers still finish their file, every block verified', async () => {
  const r = await fuzzLive({ seed: 7, datagrams: 4_000, headers: 200, seconds: 20 });
  assert.is(r.crashes, 0, r.firstCrashes.join('\n'));
  assert.equal(r.boardErrors, []);
  assert.is(r.boardsComplete, 2);
  assert.is(r.sent, 4_000);
  assert.is(r.connections, 200);
  assert.ok(Object.keys(r.answered).some((k) => k.startsWith('StreamResponse')), JSON.stringify(r.answered));
});

test.run();
