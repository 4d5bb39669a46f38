// D1, D3 and D4 (issue 13) on one board's engine: a root that never answers, a
// ParentAssigned from another host, a parent that stalls with its socket open, and
// adverts with a rank no board could have.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { encode } from '../../src/dload/wire';
import { DEFAULT_TIMERS, type DLoadAction } from '../../src/dload/types';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 1 << 20, blockBytes: 65536 };
const ROOT = { addr: '198.18.0.10', port: 4051 };
const ROOT_ID = 0x100;
const STRANGER = { addr: '198.18.0.66', port: 4051 };

/** A board that heard root 0x100 confirm itself at t=0 and asked it for a place. */
function member() {
  const n = new DLoadNode({ nodeId: 0x200, model: 'CP-7961G', tcpPort: 4051, random: () => 0.5 });
  const { key } = n.addFile(0, FILE);
  const advert = (held: number, sender = ROOT_ID) => encode({ type: 'ConfirmedRoot', key, sender, strength: 1, held, tcpPort: 4051, ad: 0, map: 0 });
  const joined = n.onDatagram(0, ROOT, advert(0));
  assert.ok(joined.some((a) => a.type === 'SendUnicast'), 'JoinRequest sent');
  const assigned = (parentId: number, parentAddr: string) =>
    encode({ type: 'ParentAssigned', key, sender: ROOT_ID, target: 0x200, parentId, parentAddr, parentPort: 4051, depth: 1 });
  /** Runs the board's timers up to `until` ms, the root advertising every second; what it did. */
  const run = (from: number, until: number): DLoadAction[] => {
    const out: DLoadAction[] = [];
    for (let t = from; t <= until; t += 10) {
      if (t % 1000 === 0) out.push(...n.onDatagram(t, ROOT, advert(0)));
      if (n.nextDeadline() <= t) out.push(...n.tick(t));
    }
    return out;
  };
  return { n, key, advert, assigned, run };
}

const logs = (acts: DLoadAction[]) => acts.flatMap((a) => (a.type === 'Log' ? [a.text] : []));

test('D1: a member whose JoinRequest goes unanswered while it still hears its root leaves that root and elects', () => {
  const m = member();
  const acts = m.run(10, 12_000);
  assert.ok(logs(acts).some((l) => /leaves root XID00000100 \(no answer to JoinRequest for \d+ ms\)/.test(l)), logs(acts).join('\n'));
  assert.ok(acts.some((a) => a.type === 'SendBroadcast'), 'it claims root itself (the root it left is ignored)');
  assert.is.not(m.n.session(m.key)!.root?.id, ROOT_ID);
});

test('D3: a ParentAssigned with the root\'s id from another address is ignored', () => {
  const m = member();
  const acts = m.n.onDatagram(100, STRANGER, m.assigned(0x999, '198.18.0.66'));
  assert.not.ok(acts.some((a) => a.type === 'ConnectParent'), 'no connection to the stranger\'s parent');
  assert.is(m.n.session(m.key)!.stats.droppedWrongSource, 1);
  const real = m.n.onDatagram(200, ROOT, m.assigned(0x300, '198.18.0.30'));
  assert.ok(real.some((a) => a.type === 'ConnectParent'), 'the root\'s own answer is taken');
});

test(`D3: a parent that sends no verified block for stallMs (${DEFAULT_TIMERS.stallMs} ms, +10 % per level) is dropped and reported`, () => {
  const m = member();
  m.n.onDatagram(100, ROOT, m.assigned(0x300, '198.18.0.30'));
  m.n.onEvent(600, { type: 'BlockVerified', key: m.key, index: 0 });
  const acts = m.run(610, 9000);
  const drop = acts.findIndex((a) => a.type === 'DisconnectParent');
  assert.ok(drop >= 0, logs(acts).join('\n'));
  assert.ok(logs(acts).some((l) => /parent XID00000300 sent no verified block for 5500 ms: dropping it, resume from 65536/.test(l)), logs(acts).join('\n'));
  const report = acts.slice(drop).find((a) => a.type === 'SendUnicast');
  assert.ok(report && report.type === 'SendUnicast' && report.bytes[4] === 0x04, 'Orphaned sent to the root');
  assert.is(m.n.session(m.key)!.stats.stalls, 1);
});

test('D4: an advert whose held is beyond the file\'s size is dropped (no board holds more than the file)', () => {
  const n = new DLoadNode({ nodeId: 0x200, model: 'CP-7961G', tcpPort: 4051, random: () => 0.5 });
  const { key } = n.addFile(0, FILE);
  const fake = encode({ type: 'ConfirmedRoot', key, sender: 0x666, strength: 0xffffffff, held: 2 ** 53 - 1, tcpPort: 4051, ad: 0, map: 0 });
  assert.equal(n.onDatagram(10, STRANGER, fake), []);
  assert.is(n.session(key)!.role, 'listening', 'not a member of the fake root');
  assert.is(n.session(key)!.stats.droppedImpossible, 1);
});

test('D4: a member fetching from a working parent does not follow a stronger advert (perhaps forged)', () => {
  const m = member();
  m.n.onDatagram(100, ROOT, m.assigned(0x300, '198.18.0.30'));
  m.n.onEvent(300, { type: 'BlockVerified', key: m.key, index: 0 });
  const strong = encode({ type: 'ConfirmedRoot', key: m.key, sender: 0x666, strength: 0xffffffff, held: FILE.size, tcpPort: 4051, ad: 0, map: 0 });
  const acts = m.n.onDatagram(400, STRANGER, strong);
  assert.not.ok(acts.some((a) => a.type === 'DisconnectParent'));
  assert.is(m.n.session(m.key)!.root?.id, ROOT_ID);
});

test('D4: an advert in the root\'s name from another address does not keep a dead root alive', () => {
  const m = member();
  // No answer, no root adverts: only a stranger's adverts in the root's name.
  const out: DLoadAction[] = [];
  for (let t = 10; t <= 4000; t += 10) {
    if (t % 500 === 0) out.push(...m.n.onDatagram(t, STRANGER, m.advert(0)));
    if (m.n.nextDeadline() <= t) out.push(...m.n.tick(t));
  }
  assert.ok(logs(out).some((l) => /root XID00000100 silent \d+ ms: electing/.test(l)), logs(out).join('\n'));
});

test.run();
