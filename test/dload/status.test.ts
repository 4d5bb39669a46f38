import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ANY_KEY, decode, encode, HEADER_BYTES, STATUS_ENTRIES, type Message, type StatusReply } from '../../src/dload/wire';
import { hierarchyKey } from '../../src/dload/key';
import { DLoadNode } from '../../src/dload/node';
import { STATUS_PER_NODE, STATUS_PER_SENDER } from '../../src/dload/status';
import type { DLoadAction } from '../../src/dload/types';
import { Rng } from '../../src/sim/rng';

const MODEL = 'CP-7961G';
const FILE = 'apps41.9-4-2SR2-2S.sbn';
const key = hierarchyKey(MODEL, FILE);
const spec = { name: FILE, size: 10 * 65536, blockBytes: 65536 };
const ROOT = 0x080027f8;
const tool = { addr: '192.0.2.9', port: 40000 };
const query = (first = 0, k = key, nonce = 7) => encode({ type: 'StatusQuery', key: k, sender: 0, nonce, first });

function replies(actions: DLoadAction[]): StatusReply[] {
  return actions.flatMap((a) => {
    if (a.type !== 'SendUnicast') return [];
    const m = decode(a.bytes);
    return m.type === 'StatusReply' ? [m] : [];
  });
}

/** A board that became root of `key` (nobody else claimed), then was joined by `members` boards. */
function rootWith(members: number, seed = 1): { node: DLoadNode; now: number; feed: (now: number, from: { addr: string; port: number }, bytes: Buffer) => DLoadAction[] } {
  const rng = new Rng(seed);
  const node = new DLoadNode({ nodeId: ROOT, model: MODEL, tcpPort: 4051, addr: '192.0.2.1', random: () => rng.next() });
  node.addFile(0, spec);
  let now = 0;
  while (node.session(key)!.role !== 'root' && now < 10_000) {
    now = Math.max(now + 1, Math.min(node.nextDeadline(), now + 100));
    node.tick(now);
  }
  assert.is(node.session(key)!.role, 'root');
  for (let i = 1; i <= members; i++) {
    const from = { addr: `192.0.2.${10 + (i % 200)}`, port: 4051 + Math.floor(i / 200) };
    node.onDatagram(now, from, encode({ type: 'JoinRequest', key, sender: ROOT + i, tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false }));
  }
  return { node, now, feed: (t, from, bytes) => node.onDatagram(t, from, bytes) };
}

test('StatusQuery and StatusReply round-trip; every truncation is Malformed', () => {
  const samples: Message[] = [
    { type: 'StatusQuery', key, sender: 0, nonce: 0xdeadbeef, first: 48 },
    {
      type: 'StatusReply', key, sender: ROOT, nonce: 3, role: 'root', complete: false, depth: 0, children: 2, size: 2 ** 33, held: 65536,
      parentId: 0, rootId: ROOT, rootAddr: '0.0.0.0', rootForMs: 1234, failure: '', model: MODEL, file: FILE, members: 2, first: 0,
      entries: [
        { id: ROOT + 1, parentId: ROOT, addr: '192.0.2.11', port: 4051, depth: 1, bad: false },
        { id: ROOT + 2, parentId: ROOT + 1, addr: '192.0.2.12', port: 24001, depth: 2, bad: true },
      ],
    },
    {
      type: 'StatusReply', key, sender: ROOT + 5, nonce: 0, role: 'failed', complete: false, depth: 3, children: 0, size: 100, held: 0,
      parentId: 0, rootId: 0, rootAddr: '0.0.0.0', rootForMs: -1, failure: 'PFS_ERR_FLASH_WRITE', model: MODEL, file: FILE, members: 0, first: 0, entries: [],
    },
  ];
  for (const m of samples) {
    const buf = encode(m);
    assert.equal(decode(buf), m, m.type);
    for (let n = 0; n < buf.length; n++) assert.is(decode(buf.subarray(0, n)).type, 'Malformed', `${m.type} cut at ${n}`);
  }
});

test('a StatusReply with an impossible field is Malformed, never a throw', () => {
  const good = encode({
    type: 'StatusReply', key, sender: ROOT, nonce: 1, role: 'member', complete: false, depth: 1, children: 0, size: 1000, held: 10,
    parentId: ROOT, rootId: ROOT, rootAddr: '192.0.2.1', rootForMs: -1, failure: '', model: MODEL, file: FILE, members: 0, first: 0, entries: [],
  });
  const o = HEADER_BYTES;
  for (const [at, v, why] of [[o + 4, 9, 'role'], [o + 40, 7, 'failure'], [o + 7, 3, 'children'], [o + 43, 200, 'entries'], [o + 41, 250, 'model length']] as const) {
    const bad = Buffer.from(good);
    bad[at] = v;
    assert.is(decode(bad).type, 'Malformed', why);
  }
});

test('a root answers with its role, bytes, HROOT age and its tracker, page by page', () => {
  const members = STATUS_ENTRIES + 5;
  const { now, feed } = rootWith(members);
  const [r] = replies(feed(now + 500, tool, query()));
  assert.ok(r, 'one reply');
  assert.is(r!.role, 'root');
  assert.is(r!.rootId, ROOT);
  assert.is(r!.model, MODEL);
  assert.is(r!.file, FILE);
  assert.is(r!.size, spec.size);
  assert.is(r!.nonce, 7);
  assert.ok(r!.rootForMs >= 500, `root for ${r!.rootForMs} ms`);
  assert.is(r!.members, members);
  assert.is(r!.entries.length, STATUS_ENTRIES);
  assert.ok(r!.entries.every((e) => e.parentId !== 0 && e.depth >= 1), 'every member placed');
  const [p2] = replies(feed(now + 501, tool, query(STATUS_ENTRIES)));
  assert.is(p2!.first, STATUS_ENTRIES);
  assert.is(p2!.entries.length, 5);
  const ids = new Set([...r!.entries, ...p2!.entries].map((e) => e.id));
  assert.is(ids.size, members, 'the two pages list every member once');
});

test('a query changes nothing: the same board with and without queries acts the same', () => {
  const a = rootWith(6, 9);
  const b = rootWith(6, 9);
  const strip = (acts: DLoadAction[]) => acts.filter((x) => !(x.type === 'SendUnicast' && decode(x.bytes).type === 'StatusReply')).map((x) => JSON.stringify(x));
  const late = { addr: '192.0.2.99', port: 4051 };
  const join = encode({ type: 'JoinRequest', key, sender: ROOT + 99, tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false });
  for (let t = a.now; t < a.now + 5000; t += 50) {
    // Queries of every kind, as hostile as they come: other keys, huge pages, spoofed addresses.
    for (const q of [query(), query(0xffff), query(0, ANY_KEY), query(3, '00000000000000ff')]) b.feed(t, { addr: `198.51.100.${t % 250}`, port: 1 }, q);
    const ta = [...a.node.tick(t), ...(t === a.now + 1000 ? a.feed(t, late, join) : [])];
    const tb = [...b.node.tick(t), ...(t === b.now + 1000 ? b.feed(t, late, join) : [])];
    assert.equal(strip(tb), strip(ta), `at ${t} ms`);
  }
  assert.ok(b.node.counters.statusReplies > 0);
});

test('replies are rate-limited per asking address and per board', () => {
  const { node, now } = rootWith(1);
  let answered = 0;
  for (let i = 0; i < STATUS_PER_SENDER + 10; i++) answered += replies(node.onDatagram(now, tool, query())).length;
  assert.is(answered, STATUS_PER_SENDER, 'a burst from one address');
  assert.is(node.counters.statusLimited, 10);
  assert.is(replies(node.onDatagram(now, { addr: '192.0.2.77', port: 1 }, query())).length, 1, 'another address is answered');
  assert.is(replies(node.onDatagram(now + 1000, tool, query())).length, 1, 'one second later, answered again');
  // Forged addresses, one query each: the board's own budget stops them.
  let forged = 0;
  for (let i = 0; i < STATUS_PER_NODE * 3; i++) forged += replies(node.onDatagram(now + 5000, { addr: `10.0.${i >> 8}.${i & 255}`, port: 9 }, query())).length;
  assert.is(forged, STATUS_PER_NODE);
});

test('a query for any key gets one reply per hierarchy the board is in; a StatusReply sent to a board does nothing', () => {
  const rng = new Rng(3);
  const node = new DLoadNode({ nodeId: ROOT, model: MODEL, tcpPort: 4051, random: () => rng.next() });
  node.addFile(0, spec);
  node.addFile(0, { ...spec, name: 'dsp41.9-4-2SR2-2S.sbn' });
  const rs = replies(node.onDatagram(10, tool, query(0, ANY_KEY)));
  assert.equal(rs.map((r) => r.file).sort(), ['apps41.9-4-2SR2-2S.sbn', 'dsp41.9-4-2SR2-2S.sbn']);
  assert.ok(rs.every((r) => r.role === 'listening' && r.rootId === 0));
  const forged = encode({ ...rs[0]!, role: 'root', sender: 0x11111111 });
  assert.equal(node.onDatagram(11, tool, forged), []);
  assert.is(node.session(key)!.role, 'listening');
  assert.is(node.session(key)!.root, null);
});

test.run();
