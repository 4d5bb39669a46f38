// The short version of `npm run adversary` (bench/adversary.ts): honest boards on
// loopback, each running `pfs boot` on a folder and an address of its own, under each
// attack of issue 13 from a host on 127.0.0.200: every honest board commits the right
// load (its active slot read back and hashed right), none keeps a wrong byte, and the
// time it takes stays bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adversary, type AdversaryResult, type Attack } from '../../bench/adversary-lab';

const SHORT: Attack[] = ['forged-badparent', 'fake-root', 'spoofed-parentassigned', 'corrupting-root', 'join-flood', 'hostile-children', 'slowloris'];

// Two runs at a time, in two lanes (each run its own origin, advert port and board
// ports; the boards' elections, not the CPU, set a run's pace): the seven fit in npm
// test's budget.
const results = new Map<Attack, Promise<AdversaryResult>>();
const lanes: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
SHORT.forEach((attack, k) => {
  const run = lanes[k % 2]!.then(() => adversary({ attack, boards: 4, size: 512 * 1024, seed: 1, limitS: 30 }));
  lanes[k % 2] = run.catch(() => {}); // its test reports a failure
  results.set(attack, run);
});

for (const attack of SHORT) {
  test(`under ${attack}: 4 honest boards commit the load through pfs boot, 0 bad bytes, within 30 s`, async () => {
    const r = await results.get(attack)!;
    assert.is(r.badFiles, 0, r.errors.join('\n'));
    assert.is(r.verified, 4, r.errors.join('\n'));
    assert.ok(r.fleetSeconds < 30, `${r.fleetSeconds} s`);
    if (attack !== 'corrupting-root') assert.ok(r.attacker.datagrams + r.attacker.connections > 0, 'the attack was made');
  });
}

test.run();
