// A new load is on trial until its runtime reaches the network (src/boot/trial.ts);
// the board file's number of boots without that rolls it back, and a rolled-back load
// is not installed again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT } from '../../src/boot/boot';
import { trialBoard } from './trial-helpers';

const L1 = 'SCCP41.9-4-2SR2-2S';
const L2 = 'SCCP41.9-5-1';

test('a load on trial that never reaches its origin is rolled back after the board file\'s number of boots, with one console line', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { 'a.sbn': 'two' } }], trials: 2 });
  try {
    // No XMLDefault.cnf.xml at the origin: the configuration is never read.
    const first = await b.boot();
    assert.is(first.exit, EXIT.FAILED);
    assert.ok(first.lines.some((l) => l.includes(`running ${L2} from slot B (trial boot 1 of 2)`)), first.lines.join('\n'));
    assert.ok((await (await b.flash()).status()).trial, 'still on trial');
    const second = await b.boot();
    assert.ok(second.lines.some((l) => l.includes('(trial boot 2 of 2)')), second.lines.join('\n'));
    const third = await b.boot();
    const said = third.lines.filter((l) => l.includes('failed to come up'));
    assert.equal(said.length, 1, third.lines.join('\n'));
    assert.match(said[0]!, new RegExp(`^WRN .* BOOT: load ${L2.replace(/\./g, '\\.')} failed to come up 2 times: rolled back to ${L1.replace(/\./g, '\\.')} \\(slot A\\)$`));
    const st = await (await b.flash()).status();
    assert.equal([st.active, st.slots.A, st.trial, st.rejected], ['A', L1, false, L2]);
  } finally {
    await b.close();
  }
});

test('a load on trial is marked good once its configuration is read, and only then', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { 'a.sbn': 'two' } }] });
  try {
    await b.offer(L2);
    const r = await b.boot();
    assert.is(r.exit, EXIT.CURRENT, r.lines.join('\n'));
    assert.ok(r.lines.some((l) => /NOT .* BOOT: load SCCP41\.9-5-1 came up \(reached XMLDefault\.cnf\.xml from 127\.0\.0\.1:\d+\): marked good/.test(l)), r.lines.join('\n'));
    const st = await (await b.flash()).status();
    assert.equal([st.active, st.trial, st.boots, st.previous], ['B', false, 0, 'A']);
    // Later boots are no trials.
    const again = await b.boot();
    assert.ok(again.lines.some((l) => l.includes(`running ${L2} from slot B`)), again.lines.join('\n'));
    assert.not.ok(again.lines.some((l) => l.includes('trial boot')));
  } finally {
    await b.close();
  }
});

test('a rolled-back load is not installed again: the board stays on the load it went back to and says so once', async () => {
  const b = await trialBoard({ loads: [{ load: L1, files: { 'a.sbn': 'one' } }, { load: L2, files: { 'a.sbn': 'two' } }], trials: 1 });
  try {
    await b.boot(); // trial boot 1 of 1: no configuration yet
    await b.offer(L2);
    const r = await b.boot();
    assert.is(r.exit, EXIT.CURRENT, r.lines.join('\n'));
    assert.ok(r.lines.some((l) => l.includes(`load ${L2} failed to come up 1 time: rolled back to ${L1}`)));
    assert.equal(r.lines.filter((l) => l.includes(`load ${L2} failed to come up on this board and was rolled back: staying on ${L1}`)).length, 1, r.lines.join('\n'));
    assert.not.ok(r.lines.some((l) => l.includes('upgrade ')), 'no upgrade started');
    const st = await (await b.flash()).status();
    assert.equal([st.active, st.slots.A, st.rejected, st.trial], ['A', L1, L2, false]);
  } finally {
    await b.close();
  }
});

test.run();
