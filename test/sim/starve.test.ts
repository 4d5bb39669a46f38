// Issue 12 item 2: exactly one WAN copy per model under CPU starvation, in the
// simulator: every board held back again and again for up to 1 s (its datagrams,
// blocks and timers waiting in order), boards resetting over 3 s as processes do on
// a busy machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulate, type SimOptions } from '../../src/sim/simulate';
import { FileSession } from '../../src/dload/session';
import { ELECTIONS } from '../../src/dload/types';

const SITE: Omit<SimOptions, 'boards'> = { fileBytes: 8 << 20, files: 2, starveMs: 1000, bootJitterMs: 3000, maxSeconds: 600 };
const BLOCK = 64 * 1024;

// `manifest`: as pfs boot runs, the manifest first and its components after it (the
// fast election's components inherit the manifest's root).
for (const [election, manifest] of ELECTIONS.flatMap((e) => [[e, false], [e, true]] as const)) {
  test(`${election}${manifest ? ', manifest then components' : ''}: one WAN copy per model in every seed, 16, 32 and 64 boards starved up to 1 s (a second root pulls one block at most)`, () => {
    const copies: string[] = [];
    for (const boards of [16, 32, 64]) {
      for (let seed = 1; seed <= 5; seed++) {
        const s = simulate({ ...SITE, boards, seed, election, manifest });
        assert.ok(s.allVerified, `${boards} boards seed ${seed}: all verified`);
        for (const [m, b] of s.originBytesByModel.entries()) {
          copies.push((b / s.fileBytes).toFixed(3));
          assert.ok(b <= s.fileBytes + BLOCK, `${boards} boards seed ${seed} model ${m}: ${(b / s.fileBytes).toFixed(3)} WAN copies, root terms ${s.rootTerms}`);
        }
      }
    }
    assert.ok(copies.every((c) => c === '1.000'), copies.join(' '));
  });
}

test('teeth: without the members\' relay the fast election pulls more than one copy in some of these seeds (a late board confirmed while the root was held)', () => {
  const proto = FileSession.prototype as unknown as { relayRoot: (...a: unknown[]) => void };
  const relay = proto.relayRoot;
  proto.relayRoot = () => {};
  try {
    const over: string[] = [];
    for (const boards of [32, 64]) {
      for (let seed = 1; seed <= 5; seed++) {
        const s = simulate({ ...SITE, boards, seed });
        const c = s.originBytesByModel[0]! / s.fileBytes;
        if (c > 1.0001) over.push(`${boards} boards seed ${seed}: ${c.toFixed(3)}`);
      }
    }
    assert.ok(over.length >= 2, `seeds over one copy without the relay: ${over.join(', ') || 'none'}`);
  } finally {
    proto.relayRoot = relay;
  }
});

test('the starvation fault has teeth: it slows the fleet and makes late boards claim, yet the fast election still takes data first', () => {
  const calm = simulate({ ...SITE, boards: 32, seed: 3, starveMs: undefined });
  const starved = simulate({ ...SITE, boards: 32, seed: 3 });
  const phone = simulate({ ...SITE, boards: 32, seed: 3, election: 'phone' });
  assert.ok(starved.fleetSeconds > calm.fleetSeconds * 1.2, `starved ${starved.fleetSeconds} s, calm ${calm.fleetSeconds} s`);
  assert.ok(starved.claimants.some((n) => n > 1), `claimants ${starved.claimants}`);
  for (let h = 0; h < 2; h++) assert.ok(starved.electionMs[h]! < phone.electionMs[h]!, `file ${h}: fast took data at ${starved.electionMs[h]} ms, phone at ${phone.electionMs[h]} ms`);
});

test.run();
