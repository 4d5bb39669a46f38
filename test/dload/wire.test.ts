import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, HEADER_BYTES, BODY_BYTES, type Message } from '../../src/dload/wire';
import { hierarchyKey } from '../../src/dload/key';
import { DLoadNode } from '../../src/dload/node';
import { Rng } from '../../src/sim/rng';

const key = hierarchyKey('CP-7961G', '/dnld/SCCP41.9-4-2SR2-2S.loads');
const base = { key, sender: 0x080027f8 };
const samples: Message[] = [
  { ...base, type: 'ClaimRoot', strength: 0x31d4d43d, held: 0, tcpPort: 4051, ad: 3, map: 0xff9d7cb9 },
  { ...base, type: 'ConfirmedRoot', strength: 0xffffffff, held: 2 ** 40 + 5, tcpPort: 65535, ad: 0, map: 0 },
  { ...base, type: 'JoinRequest', tcpPort: 4051, children: 2, held: 123456789, parentId: 0x08002701, refused: false },
  { ...base, type: 'Orphaned', tcpPort: 4052, children: 0, held: 0, parentId: 7, refused: true },
  { ...base, type: 'BadParent', tcpPort: 1, children: 1, held: 65536, parentId: 0xdeadbeef, refused: false },
  { ...base, type: 'Leaving', tcpPort: 4051, children: 0, held: 8 * 1024 * 1024, parentId: 0x08002701, refused: false },
  { ...base, type: 'Leaving', tcpPort: 4051, children: 2, held: 0, parentId: 0, refused: false },
  { ...base, type: 'ParentAssigned', target: 42, parentId: 0x08002700, parentAddr: '10.106.117.68', parentPort: 4051, depth: 13 },
  { ...base, type: 'ParentAssigned', target: 42, parentId: 1, parentAddr: '0.0.0.0', parentPort: 4051, depth: 1 },
  { ...base, type: 'StreamRequest', offset: 8 * 1024 * 1024 },
  { ...base, type: 'StreamResponse', status: 1, size: 2 ** 33, offset: 65536 },
  { ...base, type: 'ClaimRoot', strength: 0x31d4d43d, held: 65536, tcpPort: 4051, ad: 0, map: 0, relay: true },
];

test('every message round-trips and starts with PFS, version 1', () => {
  for (const m of samples) {
    const buf = encode(m);
    assert.is(buf.length, HEADER_BYTES + BODY_BYTES[m.type], m.type);
    assert.is(buf.toString('latin1', 0, 3), 'PFS');
    assert.is(buf[3], 1);
    assert.equal(decode(buf), m, m.type);
  }
});

test('a relay is a ClaimRoot with flags bit 1; the bit means nothing on a ConfirmedRoot', () => {
  const relay = encode({ ...base, type: 'ClaimRoot', strength: 1, held: 0, tcpPort: 4051, ad: 0, map: 0, relay: true });
  assert.is(relay[5], 2);
  const confirmed = encode({ ...base, type: 'ConfirmedRoot', strength: 1, held: 0, tcpPort: 4051, ad: 0, map: 0 });
  confirmed[5] = 3;
  const m = decode(confirmed);
  assert.is(m.type, 'ConfirmedRoot');
  assert.not.ok('relay' in m);
});

test('the hierarchy key depends on model and file', () => {
  assert.is(key.length, 16);
  assert.is.not(hierarchyKey('CP-7941G', '/dnld/SCCP41.9-4-2SR2-2S.loads'), key);
  assert.is.not(hierarchyKey('CP-7961G', '/dnld/other.loads'), key);
  assert.is(hierarchyKey('CP-7961G', '/dnld/SCCP41.9-4-2SR2-2S.loads'), key);
});

test('every truncation of every message is Malformed(short), trailing bytes are ignored', () => {
  for (const m of samples) {
    const buf = encode(m);
    for (let n = 0; n < buf.length; n++) {
      const d = decode(buf.subarray(0, n));
      assert.is(d.type, 'Malformed', `${m.type} cut to ${n}`);
    }
    assert.equal(decode(Buffer.concat([buf, Buffer.from([1, 2, 3])])), m);
  }
});

test('foreign version, bad magic, unknown type and impossible fields are Malformed', () => {
  const buf = encode(samples[0]!);
  const v2 = Buffer.from(buf);
  v2[3] = 2;
  assert.equal(decode(v2), { type: 'Malformed', reason: 'version', version: 2 });
  const magic = Buffer.from(buf);
  magic[0] = 0x51;
  assert.is((decode(magic) as { reason: string }).reason, 'magic');
  const type = Buffer.from(buf);
  type[4] = 0x7f;
  assert.is((decode(type) as { reason: string }).reason, 'type');
  const held = Buffer.from(buf);
  held.writeUInt32BE(0xffffffff, HEADER_BYTES + 4); // u64 beyond 2^53
  assert.is((decode(held) as { reason: string }).reason, 'field');
  const kids = encode(samples[2]!);
  kids[HEADER_BYTES + 2] = 3; // a board never has 3 children
  assert.is((decode(kids) as { reason: string }).reason, 'field');
});

test('fuzz: 5000 random and mutated buffers never throw', () => {
  const rng = new Rng(7);
  const valid = samples.map(encode);
  for (let i = 0; i < 5000; i++) {
    let buf: Buffer;
    if (i % 2) {
      buf = Buffer.alloc(rng.int(64));
      for (let j = 0; j < buf.length; j++) buf[j] = rng.int(256);
      if (i % 3 === 0 && buf.length > 4) buf.write('PFS\x01', 0, 'latin1');
    } else {
      buf = Buffer.from(valid[rng.int(valid.length)]!);
      for (let k = 0; k < 3; k++) buf[rng.int(buf.length)] = rng.int(256);
      buf = buf.subarray(0, rng.int(buf.length + 1));
    }
    const d = decode(buf);
    assert.ok(typeof d.type === 'string');
  }
});

test('D4: fields no board would send are Malformed: node id 0, port 0, a confirmed "Ad n", a report about parent 0, a parent that is the target, at a broadcast or multicast address', () => {
  const bad: Message[] = [
    { ...base, sender: 0, type: 'ConfirmedRoot', strength: 1, held: 0, tcpPort: 4051, ad: 0, map: 0 },
    { ...base, type: 'ConfirmedRoot', strength: 1, held: 0, tcpPort: 0, ad: 0, map: 0 },
    { ...base, type: 'ConfirmedRoot', strength: 1, held: 0, tcpPort: 4051, ad: 2, map: 0 },
    { ...base, type: 'JoinRequest', tcpPort: 0, children: 0, held: 0, parentId: 0, refused: false },
    { ...base, type: 'BadParent', tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false },
    { ...base, type: 'Orphaned', tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false },
    { ...base, type: 'Leaving', tcpPort: 0, children: 0, held: 0, parentId: 0, refused: false },
    { ...base, sender: 0, type: 'Leaving', tcpPort: 4051, children: 0, held: 0, parentId: 0, refused: false },
    { ...base, type: 'ParentAssigned', target: 0, parentId: 5, parentAddr: '10.0.0.5', parentPort: 4051, depth: 1 },
    { ...base, type: 'ParentAssigned', target: 5, parentId: 5, parentAddr: '10.0.0.5', parentPort: 4051, depth: 1 },
    { ...base, type: 'ParentAssigned', target: 42, parentId: 5, parentAddr: '255.255.255.255', parentPort: 4051, depth: 1 }, // refused: the limited broadcast
    { ...base, type: 'ParentAssigned', target: 42, parentId: 5, parentAddr: '224.0.0.1', parentPort: 4051, depth: 1 },
    { ...base, type: 'ParentAssigned', target: 42, parentId: 5, parentAddr: '10.0.0.5', parentPort: 0, depth: 1 },
  ];
  for (const m of bad) assert.equal(decode(encode(m)), { type: 'Malformed', reason: 'field' }, JSON.stringify(m));
});

test('a node counts garbage, foreign versions and foreign keys as dropped, and acts on none', () => {
  const node = new DLoadNode({ nodeId: 1, model: 'CP-7961G', tcpPort: 4051, random: () => 0.5 });
  node.addFile(0, { name: '/dnld/a.loads', size: 1 << 20, blockBytes: 65536 });
  const from = { addr: '10.0.0.9', port: 4051 };
  const v9 = encode(samples[0]!);
  v9[3] = 9;
  assert.equal(node.onDatagram(1, from, Buffer.from('hello world')), []);
  assert.equal(node.onDatagram(1, from, v9), []);
  assert.equal(node.onDatagram(1, from, encode(samples[1]!)), []); // another model's file
  assert.equal(node.counters, { datagrams: 3, droppedMalformed: 1, droppedVersion: 1, droppedForeignKey: 1, statusReplies: 0, statusLimited: 0 });
});

test('stream header: a child asks from its offset; unknown key and bad offset are refused', () => {
  const node = new DLoadNode({ nodeId: 1, model: 'CP-7961G', tcpPort: 4051, random: () => 0.5 });
  const { key: k } = node.addFile(0, { name: '/dnld/a.loads', size: 1 << 20, blockBytes: 65536 });
  const ok = node.onStreamRequest(0, encode({ type: 'StreamRequest', key: k, sender: 9, offset: 65536 }));
  assert.equal(ok, [{ type: 'ServeChild', key: k, childId: 9, fromOffset: 65536 }]);
  const odd = node.onStreamRequest(0, encode({ type: 'StreamRequest', key: k, sender: 10, offset: 100 }));
  assert.equal(odd, [{ type: 'RejectChild', key: k, childId: 10, status: 3 }]);
  const foreign = node.onStreamRequest(0, encode({ type: 'StreamRequest', key, sender: 11, offset: 0 }));
  assert.equal(foreign, [{ type: 'RejectChild', key, childId: 11, status: 2 }]);
  node.onStreamRequest(0, encode({ type: 'StreamRequest', key: k, sender: 12, offset: 0 }));
  const third = node.onStreamRequest(0, encode({ type: 'StreamRequest', key: k, sender: 13, offset: 0 }));
  assert.is((third.at(-1) as { status: number }).status, 1, 'a third child is refused BUSY');
});

test.run();
