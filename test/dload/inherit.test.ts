// The components inherit the manifest's root (fast election): the manifest's root
// takes them without a claim and pulls at once; the others join it at once; a root
// that never answers is replaced by an election; the phone's election ignores it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { hierarchyKey } from '../../src/dload/key';
import { decode } from '../../src/dload/wire';
import { FAST_TIMERS, type DLoadAction, type Endpoint, type InheritedRoot } from '../../src/dload/types';
import { simulate } from '../../src/sim/simulate';

const MANIFEST = 'SCCP41.9-4-2SR2-2S.loads';
const FILE = { name: 'apps41.9-4-2SR2-2S.sbn', size: 2 << 20, blockBytes: 65536 };
const KEY = hierarchyKey('CP-7961G', FILE.name);

const board = (id: number, i: number, election?: 'phone') =>
  new DLoadNode({ nodeId: id, model: 'CP-7961G', tcpPort: 4051, addr: `198.18.0.${10 + i}`, random: () => 0.5, election });
const ep = (n: DLoadNode): Endpoint => ({ addr: n.cfg.addr!, port: 4051 });
const asRoot: InheritedRoot = { self: true, from: MANIFEST };
const under = (r: DLoadNode): InheritedRoot => ({ self: false, from: MANIFEST, id: r.cfg.nodeId, udp: ep(r), tcpPort: 4051 });
const types = (acts: DLoadAction[]) => acts.map((a) => a.type);
const sent = (acts: DLoadAction[], type: string) =>
  acts.flatMap((a) => (a.type === 'SendBroadcast' || a.type === 'SendUnicast' ? [decode(a.bytes)] : [])).filter((m) => m.type === type);

function drive(node: DLoadNode, untilMs: number): DLoadAction[] {
  const out: DLoadAction[] = [];
  for (let t = node.nextDeadline(); t <= untilMs; t = node.nextDeadline()) out.push(...node.tick(t));
  return out;
}

test('the manifest\'s root takes a component without a claim: confirmed, HROOT shown, origin pulled at once (no hold)', () => {
  const R = board(0x100, 0);
  const { actions } = R.addFile(0, { ...FILE, inherit: asRoot });
  assert.is(R.session(KEY)!.role, 'root');
  assert.equal(sent(actions, 'ClaimRoot'), [], 'no tentative claim');
  assert.is(sent(actions, 'ConfirmedRoot').length, 1, 'its confirmed advert, at once');
  assert.ok(actions.some((a) => a.type === 'Log' && a.text.startsWith('@@@HROOT:XID00000100 ')), 'the phone\'s root line');
  assert.ok(types(actions).includes('FetchOrigin'), 'pulls at time 0');
  assert.is(R.session(KEY)!.stats.claims, 0);
});

test('a member of the manifest\'s root joins it at once, asks again when the root\'s advert shows it came up later, and is placed', () => {
  const R = board(0x100, 0);
  const M = board(0x200, 1);
  // The member has the manifest first (cut-through) and asks before R has the file.
  const first = M.addFile(0, { ...FILE, inherit: under(R) }).actions;
  const m = M.session(KEY)!;
  assert.is(m.role, 'member');
  const joins = first.filter((a) => a.type === 'SendUnicast' && decode(a.bytes).type === 'JoinRequest');
  assert.is(joins.length, 1);
  assert.equal((joins[0] as { to: Endpoint }).to, ep(R), 'to the inherited root');
  assert.equal(sent(first, 'ClaimRoot'), [], 'no claim');
  // R adds the file 150 ms later (it missed the request): its advert makes M ask again at once, not at the retry.
  const rootActs = R.addFile(150, { ...FILE, inherit: asRoot }).actions;
  const advert = rootActs.find((a) => a.type === 'SendBroadcast')!;
  const again = M.onDatagram(150, ep(R), (advert as { bytes: Uint8Array }).bytes);
  const join = again.find((a) => a.type === 'SendUnicast')!;
  assert.ok(join, 'asked again on the root\'s advert');
  const placed = R.onDatagram(151, ep(M), (join as { bytes: Uint8Array }).bytes).find((a) => a.type === 'SendUnicast')!;
  assert.is(decode((placed as { bytes: Uint8Array }).bytes).type, 'ParentAssigned');
  const connect = M.onDatagram(152, ep(R), (placed as { bytes: Uint8Array }).bytes).find((a) => a.type === 'ConnectParent');
  assert.ok(connect, 'M connects to its parent at 152 ms');
});

test('an inherited root that never answers is replaced: the member elects after rootSilenceMs and pulls the file itself', () => {
  const gone = board(0x100, 0);
  const M = board(0x200, 1);
  M.addFile(0, { ...FILE, inherit: under(gone) });
  // Silence, its backoff, the short claim, then the hold any root after a silent one keeps.
  const t = FAST_TIMERS;
  const acts = drive(M, t.rootSilenceMs + t.claimBackoffMs + 3 * t.advertMs + t.reelectHoldMs + 100);
  assert.ok(sent(acts, 'ClaimRoot').length > 0, 'it claimed');
  assert.is(M.session(KEY)!.role, 'root');
  assert.ok(types(acts).includes('FetchOrigin'));
});

test('two boards that each took the manifest\'s root (a split site): the weaker yields and stops its origin transfer', () => {
  const A = board(0x100, 0);
  const B = board(0x200, 1);
  const a = A.addFile(0, { ...FILE, inherit: asRoot }).actions;
  const b = B.addFile(0, { ...FILE, inherit: asRoot }).actions;
  const advA = a.find((x) => x.type === 'SendBroadcast') as { bytes: Uint8Array };
  const advB = b.find((x) => x.type === 'SendBroadcast') as { bytes: Uint8Array };
  const toB = B.onDatagram(1, ep(A), advA.bytes);
  const toA = A.onDatagram(1, ep(B), advB.bytes);
  const roles = [A.session(KEY)!.role, B.session(KEY)!.role].sort();
  assert.equal(roles, ['member', 'root'], 'one root left');
  const loser = A.session(KEY)!.role === 'member' ? toA : toB;
  assert.ok(types(loser).includes('StopOrigin'), 'the loser stops its origin transfer');
});

test('phone election: a component elects its own root even when told the manifest\'s', () => {
  const R = board(0x100, 0, 'phone');
  const { actions } = R.addFile(0, { ...FILE, inherit: asRoot });
  assert.is(R.session(KEY)!.role, 'listening');
  assert.not.ok(types(actions).includes('FetchOrigin'));
  const M = board(0x200, 1, 'phone');
  M.addFile(0, { ...FILE, inherit: under(R) });
  assert.is(M.session(KEY)!.role, 'listening');
});

test('simulator, manifest first then components: with the fast election no board claims a component, one WAN copy, sooner than electing each', () => {
  for (const boards of [8, 64]) {
    const inherit = simulate({ boards, seed: 5, files: 4, models: 2, manifest: true });
    const phone = simulate({ boards, seed: 5, files: 4, models: 2, manifest: true, election: 'phone' });
    assert.ok(inherit.allVerified && phone.allVerified);
    // Per model: file 0 is the manifest (one claimant), files 1..4 the components (none).
    for (let m = 0; m < 2; m++) assert.equal(inherit.claimants.slice(m * 5, m * 5 + 5), [1, 0, 0, 0, 0], `${boards} boards model ${m}: ${inherit.claimants}`);
    for (const b of inherit.originBytesByModel) assert.is(b, inherit.fileBytes, 'one WAN copy per model');
    assert.ok(inherit.fleetSeconds < phone.fleetSeconds, `${boards} boards: ${inherit.fleetSeconds} s against ${phone.fleetSeconds} s`);
  }
});

test.run();
