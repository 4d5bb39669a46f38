import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DLoadNode } from '../../src/dload/node';
import { decode, encode } from '../../src/dload/wire';
import type { DLoadAction, Endpoint } from '../../src/dload/types';

const FILE = { name: '/dnld/SCCP41.9-4-2SR2-2S.loads', size: 8 << 20, blockBytes: 65536 };
const R_EP: Endpoint = { addr: '198.18.0.10', port: 4051 };
const ep = (id: number): Endpoint => ({ addr: `198.18.0.${id}`, port: 4051 });

/** A root that confirmed itself, by hand: its session is past its claim and has a tracker. */
function rootNode() {
  const R = new DLoadNode({ nodeId: 0x100, model: 'CP-7961G', tcpPort: 4051, addr: R_EP.addr, random: () => 0.99 });
  const { key } = R.addFile(0, FILE);
  for (let t = 0; t <= 3000 && R.session(key)!.role !== 'root'; t += 10) R.tick(t);
  assert.is(R.session(key)!.role, 'root');
  return { R, key };
}

const unicasts = (acts: DLoadAction[]) => acts.flatMap((a) => (a.type === 'SendUnicast' ? [{ to: a.to, m: decode(a.bytes) }] : []));

test('a member that departs tells its root, once, and a root, claimant or listener says nothing', () => {
  const { R, key } = rootNode();
  const M = new DLoadNode({ nodeId: 0x20, model: 'CP-7961G', tcpPort: 4051, addr: ep(0x20).addr, random: () => 0.01 });
  M.addFile(3000, FILE);
  assert.equal(M.depart(), [], 'listening: no root to tell');
  const advert = encode({ type: 'ConfirmedRoot', key, sender: 0x100, strength: 0xffffffff, held: 0, tcpPort: 4051, ad: 0, map: 0 });
  const join = unicasts(M.onDatagram(3001, R_EP, advert));
  assert.is(join[0]!.m.type, 'JoinRequest');
  const out = unicasts(M.depart());
  assert.is(out.length, 1);
  assert.equal(out[0]!.to, R_EP);
  assert.equal(out[0]!.m, { type: 'Leaving', key, sender: 0x20, tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false });
  assert.equal(unicasts(R.depart()), [], 'the root itself leaves no one word');
});

test('the root forgets a member that leaves: the next board joins under the root, not under it', () => {
  const { R, key } = rootNode();
  const report = (type: 'JoinRequest' | 'Leaving', id: number) =>
    encode({ type, key, sender: id, tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false });
  // Two members fill the root's slots; a third goes under the first of them.
  for (const id of [0x21, 0x22]) assert.is(unicasts(R.onDatagram(3100, ep(id), report('JoinRequest', id)))[0]!.m.type, 'ParentAssigned');
  const under = unicasts(R.onDatagram(3101, ep(0x23), report('JoinRequest', 0x23)))[0]!.m;
  assert.ok(under.type === 'ParentAssigned' && under.parentId === 0x21);
  // 0x21 goes: the root answers nobody, and its child 0x23, when it asks, has 0x21's slot.
  assert.equal(unicasts(R.onDatagram(3200, ep(0x21), report('Leaving', 0x21))), []);
  const orphaned = encode({ type: 'Orphaned', key, sender: 0x23, tcpPort: 4051, children: 0, held: 0, parentId: 0x21, refused: false });
  const moved = unicasts(R.onDatagram(3201, ep(0x23), orphaned))[0]!.m;
  assert.ok(moved.type === 'ParentAssigned' && moved.target === 0x23 && moved.parentId === 0x100 && moved.depth === 1, `its child takes its slot: ${JSON.stringify(moved)}`);
  for (const id of [0x22, 0x23]) R.onDatagram(3300, ep(id), report('Leaving', id));
  const late = unicasts(R.onDatagram(4000, ep(0x30), report('JoinRequest', 0x30)))[0]!.m;
  assert.ok(late.type === 'ParentAssigned' && late.parentId === 0x100 && late.depth === 1, `a late board is placed under the root, got ${JSON.stringify(late)}`);
  // Not from the member's own address: not believed.
  R.onDatagram(4001, ep(0x99), report('Leaving', 0x30));
  const again = unicasts(R.onDatagram(4002, ep(0x31), report('JoinRequest', 0x31)))[0]!.m;
  assert.ok(again.type === 'ParentAssigned' && again.parentId === 0x100, 'the root still has a slot: 0x30 is still a member');
  const third = unicasts(R.onDatagram(4003, ep(0x32), report('JoinRequest', 0x32)))[0]!.m;
  assert.ok(third.type === 'ParentAssigned' && third.parentId === 0x30, 'and 0x30 serves the next one');
});

/** R, root with member 0x21 placed under it, holding the whole file at 3200 ms. */
function completeRootWithMember() {
  const { R, key } = rootNode();
  const join = encode({ type: 'JoinRequest', key, sender: 0x21, tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false });
  R.onDatagram(3100, ep(0x21), join);
  for (let i = 0; i < FILE.size / FILE.blockBytes; i++) R.onEvent(3200, { type: 'BlockVerified', key, index: i });
  assert.ok(R.session(key)!.complete);
  return { R, key };
}
const mayLeave = (acts: DLoadAction[]) => acts.some((a) => a.type === 'MayLeave');

test('a complete root stays while a member has not said Leaving (rootStayMs), and 5 s once the last one did', () => {
  const a = completeRootWithMember();
  assert.not.ok(mayLeave(a.R.tick(3200 + 5000)), 'a member may be frozen or slow: the root stays past rootLingerMs');
  assert.ok(a.R.nextDeadline() <= 3200 + 60_000);
  assert.ok(mayLeave(a.R.tick(3200 + 60_000)), 'but not for ever (a member that died says nothing)');

  const b = completeRootWithMember();
  b.R.onDatagram(4000, ep(0x21), encode({ type: 'Leaving', key: b.key, sender: 0x21, tcpPort: 4051, children: 0, held: FILE.size, parentId: 0x100, refused: false }));
  assert.not.ok(mayLeave(b.R.tick(3200 + 4999)));
  assert.ok(mayLeave(b.R.tick(3200 + 5000)), 'the last member went: rootLingerMs after its last report, as before');
});

test('a member that gives the file up (its flash failed) says Leaving: it serves nobody from now on', () => {
  const { key } = rootNode();
  const M = new DLoadNode({ nodeId: 0x20, model: 'CP-7961G', tcpPort: 4051, addr: ep(0x20).addr, random: () => 0.01 });
  M.addFile(3000, FILE);
  M.onDatagram(3001, R_EP, encode({ type: 'ConfirmedRoot', key, sender: 0x100, strength: 0xffffffff, held: 0, tcpPort: 4051, ad: 0, map: 0 }));
  const acts = M.onEvent(3100, { type: 'LocalFailure', key, code: 'PFS_ERR_FLASH_WRITE', reason: 'EIO at offset 0' });
  const out = unicasts(acts);
  assert.ok(out.some((u) => u.m.type === 'Leaving'), JSON.stringify(acts.map((a) => a.type)));
  assert.ok(acts.some((a) => a.type === 'FileFailed'));
});

test.run();
