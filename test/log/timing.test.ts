import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { timingFields } from '../../src/log/timing';

// bench/fleet.ts reads cpuMs to tell a board's own cost from its wait for a shared CPU.
test('cpuMs counts the CPU the process spent, ms counts the time that passed', async () => {
  const a = timingFields();
  const until = performance.now() + 60;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  const b = timingFields();
  await sleep(60);
  const c = timingFields();
  assert.ok(x > 0);
  assert.ok(b.cpuMs - a.cpuMs >= 40, `busy 60 ms: cpuMs ${a.cpuMs} → ${b.cpuMs}`);
  assert.ok(c.ms - b.ms >= 55, `asleep 60 ms: ms ${b.ms} → ${c.ms}`);
  assert.ok(c.cpuMs - b.cpuMs < 30, `asleep 60 ms: cpuMs ${b.cpuMs} → ${c.cpuMs}`);
  assert.ok(Number.isInteger(a.ms) && Number.isInteger(a.cpuMs));
});

test.run();
