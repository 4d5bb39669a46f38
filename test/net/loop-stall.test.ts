// The loop-stall meter (src/net/loop-stall.ts): the TFTP server's waits count only the
// time this process ran, so it must see a stretch the process was held up, and not
// take an idle wait (the loop free, nothing to do) for one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { LoopStallMeter } from '../../src/net/loop-stall';

const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

test('a 200 ms busy stretch reads as about 200 ms held up; 200 ms idle reads as far less', async () => {
  const m = new LoopStallMeter();
  const leave = m.enter();
  try {
    // A loaded machine may really hold this process up while it sleeps (the meter
    // then rightly counts it): the quietest of three tries.
    const idle: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r0 = m.reading();
      await sleep(200);
      idle.push(m.reading() - r0);
    }
    assert.ok(Math.min(...idle) < 100, `idle 200 ms read as ${idle.map((x) => x.toFixed(0)).join(', ')} ms held up`);
    const busy0 = m.reading();
    busy(200);
    // Read at once (the stretch under way counts) and after the next tick (it is summed).
    const during = m.reading() - busy0;
    await sleep(30);
    const after = m.reading() - busy0;
    assert.ok(during >= 170 && during <= 300, `read ${during.toFixed(0)} ms during a 200 ms stretch`);
    assert.ok(after >= during && after <= 400, `read ${after.toFixed(0)} ms after it (${during.toFixed(0)} during)`);
  } finally {
    leave();
  }
});

test('readings only grow, also across the last waiter leaving and a new one entering', async () => {
  const m = new LoopStallMeter();
  const a = m.enter();
  const b = m.enter();
  busy(60);
  const r1 = m.reading();
  a();
  a(); // twice is harmless: b still holds the meter
  busy(60);
  const r2 = m.reading();
  assert.ok(r2 >= r1 + 40, `still measuring while one waiter is left: ${r1.toFixed(0)} then ${r2.toFixed(0)}`);
  b();
  const r3 = m.reading();
  assert.ok(r3 >= r2, 'the stretch under way is kept when the last waiter leaves');
  busy(300);
  assert.is(m.reading(), r3, 'no waiter: nothing measured');
  const c = m.enter();
  await sleep(20);
  const r4 = m.reading();
  assert.ok(r4 >= r3 && r4 < r3 + 150, `a new waiter starts from where it stood (${r3.toFixed(0)}), not counting the 300 ms without one: ${r4.toFixed(0)}`);
  c();
});

test.run();
