// The short version of `npm run adversary` (bench/adversary.ts): honest boards on
// loopback, each on an address of its own, under each attack of issue 13 from a host
// on 127.0.0.200: every honest board ends with the file verified, none keeps a wrong
// byte, and the time it takes stays bounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adversary, type Attack } from '../../bench/adversary-lab';

const SHORT: Attack[] = ['forged-badparent', 'fake-root', 'spoofed-parentassigned', 'corrupting-root', 'join-flood', 'hostile-children', 'slowloris'];

for (const attack of SHORT) {
  test(`under ${attack}: 4 honest boards verify the whole file, 0 bad bytes, within 30 s`, async () => {
    const r = await adversary({ attack, boards: 4, size: 512 * 1024, seed: 1, limitS: 30 });
    assert.is(r.badFiles, 0, r.errors.join('\n'));
    assert.is(r.verified, 4, r.errors.join('\n'));
    assert.ok(r.fleetSeconds < 30, `${r.fleetSeconds} s`);
    if (attack !== 'corrupting-root') assert.ok(r.attacker.datagrams + r.attacker.connections > 0, 'the attack was made');
  });
}

test.run();
