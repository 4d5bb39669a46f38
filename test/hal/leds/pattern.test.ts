import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { levelAt, msToNextChange, patternOf, periodOf, simpleBlink, type LedPattern } from '../../../src/hal/leds/pattern';
import { initialView, type BoardPhase, type ComponentView, type UpgradeView } from '../../../src/hal/view';

const comp = (state: ComponentView['state'], children = 0, role: ComponentView['role'] = 'child'): ComponentView => ({
  name: 'f', size: 100, bytes: state === 'done' ? 100 : 0, state, role, children,
});
const view = (phase: BoardPhase, components: ComponentView[] = []): UpgradeView => ({ ...initialView('CP-7961G', 'L1'), phase, components });

test('patternOf: each phase as a technician reads it', () => {
  const got = (['booting', 'config', 'upgrading', 'serving', 'done', 'current', 'error'] as BoardPhase[]).map((p) => patternOf(view(p)));
  assert.equal(got, ['idle', 'idle', 'downloading', 'serving', 'done', 'done', 'error']);
});

test('patternOf upgrading: downloading while any own component is not held, even when also serving', () => {
  assert.is(patternOf(view('upgrading', [comp('waiting')])), 'downloading');
  assert.is(patternOf(view('upgrading', [comp('done', 2, 'parent'), comp('downloading')])), 'downloading');
  assert.is(patternOf(view('upgrading', [comp('done', 1, 'root'), comp('verifying')])), 'downloading');
  assert.is(patternOf(view('upgrading', [comp('done'), comp('done')])), 'downloading', 'all held, nobody below: still committing');
  assert.is(patternOf(view('upgrading', [comp('done', 0), comp('done', 2, 'parent')])), 'serving');
  assert.is(patternOf(view('serving', [comp('done', 0)])), 'serving', 'the phase says it stays up for its children');
  assert.is(patternOf({ ...view('error', [comp('done', 2)]), error: 'x' }), 'error', 'error wins over everything');
});

/** What a technician sees over `ms`: rising edges (flashes) and the time on, sampled every millisecond. */
function watch(p: LedPattern, ms: number): { flashes: number; onMs: number; transitions: number } {
  let flashes = 0, onMs = 0, transitions = 0;
  let prev = levelAt(p, 0);
  if (prev) flashes++;
  for (let t = 0; t < ms; t++) {
    const l = levelAt(p, t);
    if (l !== prev) transitions++;
    if (l && !prev) flashes++;
    onMs += l;
    prev = l;
  }
  return { flashes, onMs, transitions };
}

test('levelAt: flashes per second and time lit, over ten seconds', () => {
  assert.equal(watch('off', 10_000), { flashes: 0, onMs: 0, transitions: 0 });
  assert.equal(watch('done', 10_000), { flashes: 1, onMs: 10_000, transitions: 0 });
  assert.equal(watch('idle', 10_000), { flashes: 10, onMs: 1_000, transitions: 19 }, 'a short flash once a second');
  assert.equal(watch('downloading', 10_000), { flashes: 20, onMs: 5_000, transitions: 39 }, '2 Hz, half on');
  assert.equal(watch('serving', 10_000), { flashes: 20, onMs: 2_000, transitions: 39 }, 'two flashes a second');
  const err = watch('error', 10_000);
  assert.equal(err.flashes, 80, '8 Hz');
  assert.ok(Math.abs(err.onMs - 5_000) < 100, `about half on (${err.onMs})`);
});

test('levelAt: the serving double flash is two flashes close together, then a long gap', () => {
  const s = Array.from({ length: 1000 }, (_, t) => levelAt('serving', t));
  const on = s.flatMap((l, t) => (l && !s[t - 1] ? [t] : []));
  assert.equal(on, [0, 250]);
  assert.is(s.slice(450).every((l) => l === 0), true, 'dark for the last 550 ms of each second');
  assert.equal(periodOf('serving'), 1000);
});

test('levelAt is periodic, starts on, and msToNextChange lands on the next edge', () => {
  for (const p of ['idle', 'downloading', 'serving', 'error'] as LedPattern[]) {
    const per = periodOf(p);
    assert.is(levelAt(p, 0), 1, p);
    for (let t = 0; t < 3 * per; t += 7) {
      assert.is(levelAt(p, t), levelAt(p, t + per), `${p} at ${t}`);
      const n = msToNextChange(p, t)!;
      assert.is.not(levelAt(p, t + n), levelAt(p, t), `${p} changes ${n} ms after ${t}`);
      assert.is(levelAt(p, t + n - 1), levelAt(p, t), `${p} holds until ${t + n}`);
    }
  }
  assert.is(msToNextChange('done', 5), undefined);
  assert.equal(simpleBlink('downloading'), { on: 250, off: 250 });
  assert.is(simpleBlink('serving'), undefined);
});

test.run();
