import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { ELECTIONS, electionTimers, type DLoadAction, type Election, type Endpoint } from '../../src/dload/types';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 8 << 20, blockBytes: 65536 };

/**
 * Two boards on one wire, driven by hand: R becomes root and takes blocks from the
 * origin; what R sends to M is lost while `lost(t, kind)` holds (a saturated port).
 * Returns what M did.
 */
function run(election: Election, lost: (t: number, kind: 'SendBroadcast' | 'SendUnicast') => boolean, untilMs: number) {
  // R outranks M in both elections (random strengths 0.99 / 0.01; preferences 0.97 / 0.52).
  const R = new DLoadNode({ nodeId: 0x100, model: 'CP-7961G', tcpPort: 4051, addr: '198.18.0.10', random: () => 0.99, election });
  const M = new DLoadNode({ nodeId: 0x200, model: 'CP-7961G', tcpPort: 4051, addr: '198.18.0.11', random: () => 0.01, election });
  const ep: Record<number, Endpoint> = { 0x100: { addr: '198.18.0.10', port: 4051 }, 0x200: { addr: '198.18.0.11', port: 4051 } };
  const mActs: { t: number; a: DLoadAction }[] = [];
  let rBlocks = 0;
  let rKey = '';
  const deliver = (t: number, from: DLoadNode, acts: DLoadAction[]) => {
    const to = from === R ? M : R;
    if (from === M) mActs.push(...acts.map((a) => ({ t, a })));
    for (const a of acts) {
      if (a.type === 'FetchOrigin' && from === R) rKey = a.key;
      if (a.type !== 'SendBroadcast' && a.type !== 'SendUnicast') continue;
      if (from === R && lost(t, a.type)) continue;
      queue.push({ t: t + 1, to, from: ep[from.cfg.nodeId]!, bytes: a.bytes });
    }
  };
  const queue: { t: number; to: DLoadNode; from: Endpoint; bytes: Uint8Array }[] = [];
  deliver(0, R, R.addFile(0, FILE).actions);
  deliver(0, M, M.addFile(0, FILE).actions);
  for (let t = 0; t <= untilMs; t++) {
    for (const q of queue.filter((x) => x.t === t)) deliver(t, q.to, q.to.onDatagram(t, q.from, q.bytes));
    // The root's origin transfer: a block every 100 ms once it started.
    if (rKey && t % 100 === 0 && rBlocks < 60) deliver(t, R, R.onEvent(t, { type: 'BlockVerified', key: rKey, index: rBlocks++ }));
    for (const n of [R, M]) if (n.nextDeadline() <= t) deliver(t, n, n.tick(t));
  }
  const logs = mActs.flatMap((x) => (x.a.type === 'Log' ? [x.a.text] : []));
  return { fetches: mActs.filter((x) => x.a.type === 'FetchOrigin'), logs, mActs };
}

for (const election of ELECTIONS) {
  const hold = electionTimers(election).reelectHoldMs;
  test(`${election}: a root unheard for a while (its adverts lost, not dead) is not replaced by a second WAN copy`, () => {
    // M hears R confirm, but R's answer to its join is lost, then all of R for 5 s.
    const r = run(election, (t, kind) => kind === 'SendUnicast' || (t >= 1600 && t < 7000), 12_000);
    assert.ok(r.logs.some((l) => /root XID00000100 silent \d+ ms: electing/.test(l)), 'M judged the root silent');
    assert.ok(r.logs.some((l) => l.includes(`root again after a silent root: origin in ${hold} ms unless it reappears`)), r.logs.join('\n'));
    assert.equal(r.fetches, [], 'M never took the file from the origin');
    assert.ok(r.logs.some((l) => /yields to root XID00000100/.test(l)), 'M yields to the old root once it is heard again');
  });

  test(`${election}: a root that is really gone: the new root takes the file from the origin after the hold`, () => {
    const r = run(election, (t, kind) => kind === 'SendUnicast' || t >= 1600, 12_000);
    assert.is(r.fetches.length, 1, r.logs.join('\n'));
    const silentAt = r.mActs.find((x) => x.a.type === 'Log' && /silent/.test(x.a.text))!.t;
    assert.ok(r.fetches[0]!.t - silentAt >= hold, `fetched ${r.fetches[0]!.t - silentAt} ms after the root went silent`);
  });
}

test.run();
