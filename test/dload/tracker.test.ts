import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tracker } from '../../src/dload/tracker';

const ep = (i: number) => ({ addr: `10.0.${i >> 8}.${i & 255}`, port: 4051 });

function build(n: number) {
  const t = new Tracker(0, 4051);
  const parent = new Map<number, number>();
  const depth = new Map<number, number>([[0, 0]]);
  for (let i = 1; i < n; i++) {
    const [p] = t.join(0, i, ep(i), ep(i), 0, 0);
    parent.set(i, p!.parentId);
    depth.set(i, p!.depth);
  }
  return { t, parent, depth };
}

function degrees(parent: Map<number, number>): number {
  const c = new Map<number, number>();
  for (const p of parent.values()) c.set(p, (c.get(p) ?? 0) + 1);
  return Math.max(...c.values());
}

for (const n of [7, 100, 1000]) {
  test(`${n} boards joining together form a complete binary tree`, () => {
    const { t, parent, depth } = build(n);
    assert.ok(degrees(parent) <= 2);
    const max = Math.max(...depth.values());
    assert.is(max, Math.floor(Math.log2(n)), 'complete tree');
    assert.ok(max <= Math.ceil(Math.log2(n + 1)) + 1);
    assert.is(t.maxDepth(), max);
  });
}

test('a join is idempotent: a retransmitted JoinRequest gets the same answer', () => {
  const t = new Tracker(0, 4051);
  const a = t.join(0, 5, ep(5), ep(5), 0, 0);
  const b = t.join(0, 5, ep(5), ep(5), 0, 0);
  assert.equal(a, b);
});

test('the dead parent\'s children move up, keeping their own children', () => {
  const { t } = build(15); // 1,2 under 0; 3,4 under 1; 7,8 under 3 ...
  assert.is(t.parentOf(3), 1);
  assert.is(t.parentOf(7), 3);
  const moved = t.orphaned(0, 3, ep(3), ep(3), 1, false, 2);
  assert.ok(moved.length === 2, 'both children of the dead board are placed');
  assert.is(t.parentOf(1), undefined, 'dead board forgotten');
  assert.is(t.parentOf(7), 3, 'board 3 keeps its child');
  assert.is(moved[0]!.depth, 1, 'the first orphan takes the freed slot at depth 1');
  assert.ok(t.maxDepth() <= Math.ceil(Math.log2(16)) + 1, 'the other one with its subtree stays within the bound');
});

test('a refused slot is retried once, then the parent counts as full', () => {
  const { t } = build(3);
  const a = t.orphaned(0, 2, ep(2), ep(2), 0, true, 0);
  assert.is(a[0]!.parentId, 0, 'root itself: just placed again');
  const t2 = build(7).t;
  const first = t2.orphaned(0, 5, ep(5), ep(5), 2, true, 0);
  assert.is(first[0]!.parentId, 2, 'same slot once more');
  const second = t2.orphaned(0, 5, ep(5), ep(5), 2, true, 0);
  assert.is.not(second[0]!.parentId, 2);
});

test('a bad parent loses all children and is never a parent again', () => {
  const { t } = build(7);
  const moved = t.badParent(0, 3, ep(3), ep(3), 1, 0);
  const ids = moved.map((p) => p.target).sort();
  assert.equal(ids, [1, 3, 4], 'both victims and the suspect itself are re-placed');
  for (const p of moved) if (p.target !== 1) assert.is.not(p.parentId, 1);
  for (let i = 7; i < 40; i++) assert.is.not(t.join(0, i, ep(i), ep(i), 0, 0)[0]!.parentId, 1);
});

test('after a root change, a member with a live parent is adopted under it', () => {
  const t = new Tracker(100, 4051);
  t.join(0, 1, ep(1), ep(1), 0, 1);
  const [p] = t.join(0, 2, ep(2), ep(2), 1, 0);
  assert.is(p!.parentId, 1);
  assert.is(p!.depth, 2);
});

test('a board that leaves gets no children: the next ones join where someone serves', () => {
  const { t } = build(7); // 1,2 under 0; 3,4 under 1; 5,6 under 2: the free slots are the leaves'
  for (const leaf of [3, 4, 5]) assert.equal(t.leave(0, leaf, ep(leaf)), [], `leaf ${leaf} leaves, nobody to move`);
  assert.is(t.parentOf(3), undefined, 'forgotten');
  const parents = [9, 10, 11, 12, 13].map((id) => t.join(0, id, ep(id), ep(id), 0, 0)[0]!.parentId);
  assert.equal(parents, [1, 1, 2, 6, 6], 'the slots the leavers freed one level up first, then the leaf still there');
});

test('a board that leaves hands its slot to its children, which keep their own', () => {
  const { t } = build(15);
  const moved = t.leave(0, 1, ep(1))!;
  assert.equal(moved.map((m) => m.target).sort(), [3, 4]);
  assert.is(moved[0]!.depth, 1, 'the first child takes the slot the leaver had under the root');
  assert.is(t.parentOf(7), 3, 'board 3 keeps its child');
  assert.is(t.parentOf(1), undefined);
});

test('a Leaving from another address than the member\'s, or for a stranger, changes nothing', () => {
  const { t } = build(7);
  assert.is(t.leave(0, 3, ep(200)), null, 'forged sender');
  assert.is(t.counters.wrongSource, 1);
  assert.is(t.parentOf(3), 1, 'still a member');
  assert.is(t.leave(0, 99, ep(99)), null, 'never a member');
  assert.is(t.leave(0, 0, ep(0)), null, 'the root itself');
  assert.is(t.size, 7);
});

test('the members a root waits for: placed ones, and ones reported dead until they leave or speak again', () => {
  const { t } = build(7);
  assert.is(t.outstanding, 6);
  t.orphaned(0, 3, ep(3), ep(3), 1, false, 0); // 3 says its parent 1 died (it may only be frozen)
  assert.is(t.parentOf(1), undefined, 'forgotten as a parent');
  assert.is(t.outstanding, 6, 'but still waited for');
  for (const id of [2, 3, 4, 5, 6]) t.leave(0, id, ep(id));
  assert.is(t.outstanding, 1, 'the others left: only the one reported dead');
  t.join(0, 1, ep(1), ep(1), 0, 0); // it wakes and asks again
  assert.is(t.outstanding, 1, 'a member again');
  t.leave(0, 1, ep(1));
  assert.is(t.outstanding, 0);
});

test('what a root waits for stays bounded: members reported dead past maxMembers push the oldest out', () => {
  const t = new Tracker(0, 4051, { maxMembers: 8 });
  const id = (round: number, i: number) => round * 10 + i;
  for (let round = 1; round <= 20; round++) {
    // 1 and 2 under the root, 3 under 1; 3 reports 1 dead, then 2 and 3 leave: 1 is waited for.
    for (let i = 1; i <= 3; i++) t.join(0, id(round, i), ep(id(round, i)), ep(id(round, i)), 0, 0);
    assert.is(t.parentOf(id(round, 3)), id(round, 1));
    t.orphaned(0, id(round, 3), ep(id(round, 3)), ep(id(round, 3)), id(round, 1), false, 0);
    for (const i of [2, 3]) t.leave(0, id(round, i), ep(id(round, i)));
  }
  assert.is(t.outstanding, 8, 'the last 8 reported dead, not 20');
  t.leave(0, id(20, 1), ep(id(20, 1)));
  assert.is(t.outstanding, 7, 'one reported dead that says Leaving after all is not waited for');
});

test.run();
