// D1 and D4 (issue 13): reports and adverts from a hostile subnet. The tracker takes a
// BadParent only from the suspect's own child, from that child's address, and only for
// a while; it never grows without bound and answers every member.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Tracker, MAX_MEMBERS } from '../../src/dload/tracker';

const ep = (i: number) => ({ addr: `10.0.${i >> 8}.${i & 255}`, port: 4051 });
const attacker = { addr: '10.9.9.9', port: 4051 };

function build(n: number, o = {}) {
  const t = new Tracker(0, 4051, o);
  for (let i = 1; i < n; i++) t.join(0, i, ep(i), ep(i), 0, 0);
  return t;
}

test('forged BadParent: one report per board from a stranger marks no board bad, every later member is placed', () => {
  const t = build(15);
  // The attacker names every board as a bad parent, claiming to be a new board each time.
  for (let s = 1; s < 15; s++) t.badParent(0, 1000 + s, attacker, attacker, s, 0);
  for (let s = 1; s < 15; s++) assert.not.ok(t.isSuspect(s), `board ${s} is not a suspect`);
  assert.ok(t.counters.disbelieved >= 14);
  for (let i = 100; i < 130; i++) assert.is(t.join(0, i, ep(i), ep(i), 0, 0).length, 1, `member ${i} gets an answer`);
});

test('forged BadParent in the name of a real child, from another address: refused (wrong source)', () => {
  const t = build(7); // 3 is under 1
  assert.is(t.parentOf(3), 1);
  assert.equal(t.badParent(0, 3, attacker, attacker, 1, 0), []);
  assert.not.ok(t.isSuspect(1));
  assert.is(t.counters.wrongSource, 1);
  assert.is(t.parentOf(3), 1, 'the real child stays where it is');
});

test('a BadParent verdict runs out: the suspect takes children again after badParentMs, longer for a repeat', () => {
  const t = build(7, { badParentMs: 1000 });
  t.badParent(0, 3, ep(3), ep(3), 1, 0);
  assert.ok(t.isSuspect(1));
  for (let i = 7; i < 20; i++) assert.is.not(t.join(500, i, ep(i), ep(i), 0, 0)[0]!.parentId, 1, 'no child for the suspect meanwhile');
  const later = Array.from({ length: 20 }, (_, k) => t.join(1000, 60 + k, ep(60 + k), ep(60 + k), 0, 0)[0]!);
  assert.not.ok(t.isSuspect(1), 'believed for 1000 ms only');
  const child = later.find((p) => p.parentId === 1);
  assert.ok(child, 'board 1 takes children again');
  // Its second verdict lasts twice as long.
  t.badParent(2000, child.target, ep(child.target), ep(child.target), 1, 0);
  t.join(3500, 90, ep(90), ep(90), 0, 0);
  assert.ok(t.isSuspect(1), 'still a suspect 1500 ms into a 2000 ms verdict');
  t.join(4000, 91, ep(91), ep(91), 0, 0);
  assert.not.ok(t.isSuspect(1), 'and no longer after 2000 ms');
});

test(`the tracker never holds more than its cap (${MAX_MEMBERS} by default): a flood of senders takes the place of leaves heard least recently`, () => {
  const t = new Tracker(0, 4051, { maxMembers: 100 });
  for (let i = 1; i <= 5000; i++) t.join(0, i, ep(i), ep(i), 0, 0);
  assert.ok(t.size <= 101, `${t.size} nodes`);
  assert.ok(t.counters.evicted >= 4899);
  assert.is(t.join(0, 9999, ep(9999), ep(9999), 0, 0).length, 1, 'a real member after the flood is placed');
});

test('every member gets an answer even when no board has a free slot (all suspects)', () => {
  const t = build(3); // 1 and 2 under the root
  t.badParent(0, 1, ep(1), ep(1), 0, 0); // the root suspected by its child
  t.badParent(0, 2, ep(2), ep(2), 0, 0);
  const a = t.join(0, 3, ep(3), ep(3), 0, 0);
  assert.is(a.length, 1, 'placed somewhere');
});

test('members that claim children who follow another root do not leave newcomers unanswered: the claim holds for claimHoldMs', () => {
  const t = new Tracker(0, 4051, { claimHoldMs: 2500 });
  // The root's two children each say they serve two children, who never join here.
  t.join(0, 1, ep(1), ep(1), 0, 2);
  t.join(0, 2, ep(2), ep(2), 0, 2);
  assert.equal(t.join(100, 3, ep(3), ep(3), 0, 0), [], 'no room while the claims are fresh');
  const [p] = t.join(2600, 3, ep(3), ep(3), 0, 0);
  assert.ok(p && (p.parentId === 1 || p.parentId === 2), 'placed under a board whose claim went stale');
});

test('against the root, only the reporting child moves: the root stays root and takes it back later', () => {
  const t = build(3, { badParentMs: 1000 });
  const [p] = t.badParent(0, 1, ep(1), ep(1), 0, 0);
  assert.is.not(p!.parentId, 0, 'not placed under the root it reported');
});

test.run();
