import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulate, type SimSummary } from '../../src/sim/simulate';
import { Rng } from '../../src/sim/rng';

const bound = (n: number) => Math.ceil(Math.log2(n + 1)) + 1;

function oneCopy(s: SimSummary) {
  assert.ok(s.allVerified, 'every board verified every file');
  assert.is(s.originBytes, s.fileBytes * s.models, 'each file crossed the WAN once');
}

for (const n of [7, 100, 1000]) {
  test(`${n} boards: one root, at most 2 children, depth within ceil(log2(N+1))+1`, () => {
    const s = simulate({ boards: n, seed: n, fileBytes: 2 << 20 });
    oneCopy(s);
    assert.equal(s.rootsPerFile, [1]);
    assert.ok(s.maxChildren <= 2 && s.maxChildren >= 1);
    assert.ok(s.maxDepth <= bound(n), `depth ${s.maxDepth} > ${bound(n)}`);
    assert.ok(s.fleetSeconds <= 1.3 * s.limitSeconds + 1.5, `${s.fleetSeconds} s vs limit ${s.limitSeconds}`);
  });
}

test('different models form separate trees, each set crosses the WAN once', () => {
  const s = simulate({ boards: 60, models: 3, seed: 2, fileBytes: 1 << 20 });
  oneCopy(s);
  assert.equal(s.rootsPerFile, [1, 1, 1]);
  const models = s.rootBoards.map((b) => b % 3);
  assert.equal(models, [0, 1, 2], 'each root serves its own model');
  assert.ok(s.maxDepth <= bound(20));
});

test('two files: two independent hierarchies, a board can be root of one and child of the other', () => {
  const s = simulate({ boards: 30, files: 2, seed: 6, fileBytes: 2 << 20 });
  oneCopy(s);
  assert.equal(s.rootsPerFile, [1, 1]);
  assert.is.not(s.rootBoards[0], s.rootBoards[1], 'different roots');
});

test('store-and-forward (the phone\'s way) also completes, but cut-through is faster', () => {
  const cut = simulate({ boards: 64, seed: 3, fileBytes: 4 << 20 });
  const store = simulate({ boards: 64, seed: 3, fileBytes: 4 << 20, forward: 'store' });
  oneCopy(store);
  assert.ok(store.fleetSeconds > cut.fleetSeconds * 1.3, `store ${store.fleetSeconds} cut ${cut.fleetSeconds}`);
});

test('tftp mode: every board pulls from the origin, N copies cross the WAN', () => {
  const s = simulate({ boards: 8, seed: 1, fileBytes: 1 << 20, mode: 'tftp' });
  assert.ok(s.allVerified);
  assert.is(s.originBytes, 8 * s.fileBytes);
  assert.ok(s.fleetSeconds > 7 * s.limitSeconds - 1);
});

test('same seed, same result; another seed, another run', () => {
  const strip = (s: SimSummary) => ({ ...s, wallMs: 0 });
  const a = simulate({ boards: 50, seed: 9, loss: 0.05, crashes: 2 });
  const b = simulate({ boards: 50, seed: 9, loss: 0.05, crashes: 2 });
  const c = simulate({ boards: 50, seed: 10, loss: 0.05, crashes: 2 });
  assert.equal(strip(a), strip(b));
  assert.is.not(a.datagramsLost + a.fleetSeconds, c.datagramsLost + c.fleetSeconds);
});

test('the PRNG is deterministic and roughly uniform', () => {
  const r = new Rng(1);
  const first = [r.u32(), r.u32()];
  const r2 = new Rng(1);
  assert.equal([r2.u32(), r2.u32()], first);
  let sum = 0;
  for (let i = 0; i < 10000; i++) sum += r.next();
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test.run();
