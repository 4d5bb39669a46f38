import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32, decodeHeader, encodeRecord, RECORD_HEADER, recordIntact } from '../../../src/hal/flash/records';

// Records written by the hand-written table CRC this module had before it used
// zlib's (computed with that code before it was deleted). Boards in the field hold
// records like these: they must still read back, and a new write must give the same bytes.
const OLD_POINTER = Buffer.from('504653500700000018000000738387bc7b22616374697665223a2242222c22747269616c223a317d', 'hex');
const OLD_EMPTY = Buffer.from('50465350000000000000000069df2265', 'hex');
const OLD_TABLE_HEAD = Buffer.from('50465354feffffffb80b0000f36820db', 'hex');
const tablePayload = () => Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31 + 7) & 0xff));

const split = (rec: Buffer) => [rec.subarray(0, RECORD_HEADER), rec.subarray(RECORD_HEADER)] as const;

test('a pointer record written by the old CRC code reads back', () => {
  const [head, payload] = split(OLD_POINTER);
  assert.equal(decodeHeader('PFSP', head), { seq: 7, length: 24, crc: 0xbc878373 });
  assert.ok(recordIntact(head, payload));
  assert.equal(JSON.parse(payload.toString()), { active: 'B', trial: 1 });
});

test('an empty record and a 3000-byte table written by the old code read back', () => {
  assert.ok(recordIntact(...split(OLD_EMPTY)));
  assert.ok(recordIntact(OLD_TABLE_HEAD, tablePayload()));
});

test('the records written now are byte for byte the old ones', () => {
  assert.equal(encodeRecord('PFSP', 7, Buffer.from(JSON.stringify({ active: 'B', trial: 1 }))).toString('hex'), OLD_POINTER.toString('hex'));
  assert.equal(encodeRecord('PFSP', 0, Buffer.alloc(0)).toString('hex'), OLD_EMPTY.toString('hex'));
  assert.equal(encodeRecord('PFST', 0xfffffffe, tablePayload()).subarray(0, RECORD_HEADER).toString('hex'), OLD_TABLE_HEAD.toString('hex'));
});

test('crc32 is the standard CRC-32 and takes its parts as one run of bytes', () => {
  assert.is(crc32(Buffer.from('123456789')), 0xcbf43926); // the check value of CRC-32/ISO-HDLC
  const all = tablePayload();
  assert.is(crc32(all.subarray(0, 5), Buffer.alloc(0), all.subarray(5)), crc32(all));
});

test('one flipped bit in a copy makes it torn, not another record', () => {
  for (const at of [4, 8, 12, RECORD_HEADER, OLD_POINTER.length - 1]) {
    const rec = Buffer.from(OLD_POINTER);
    rec[at]! ^= 0x10;
    const [head, payload] = split(rec);
    assert.not.ok(recordIntact(head, payload), `bit flipped at byte ${at}`);
  }
});

test('another format or an erased unit is no header', () => {
  assert.is(decodeHeader('PFST', OLD_POINTER.subarray(0, RECORD_HEADER)), null);
  assert.is(decodeHeader('PFSP', Buffer.alloc(RECORD_HEADER, 0xff)), null);
  assert.is(decodeHeader('PFSP', OLD_POINTER.subarray(0, RECORD_HEADER - 1)), null);
});

test.run();
