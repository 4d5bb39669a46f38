/**
 * TFTP packets (RFC 1350) with option extension (RFC 2347). Decoding never throws
 * on hostile input: it returns `undefined` or a `Malformed` so a server can answer
 * with an ERROR packet and carry on.
 */
export const enum Op {
  RRQ = 1,
  WRQ = 2,
  DATA = 3,
  ACK = 4,
  ERROR = 5,
  OACK = 6,
}

/** RFC 1350 / 2347 error codes. */
export const enum ErrorCode {
  NotDefined = 0,
  FileNotFound = 1,
  AccessViolation = 2,
  DiskFull = 3,
  IllegalOperation = 4,
  UnknownTid = 5,
  FileExists = 6,
  NoSuchUser = 7,
  OptionRefused = 8,
}

export type Options = Record<string, string>;

export interface Request {
  readonly op: Op.RRQ | Op.WRQ;
  readonly file: string;
  readonly mode: string;
  /** Option names are lower-cased; values as sent. */
  readonly options: Options;
}
export interface Data {
  readonly op: Op.DATA;
  readonly block: number;
  /** A view into the datagram, not a copy. */
  readonly payload: Buffer;
}
export interface Ack {
  readonly op: Op.ACK;
  readonly block: number;
  /**
   * A selective ACK (option `sack`): the highest block the client holds, how many
   * blocks past it it takes now (0: its consumer is behind, send nothing new), and
   * the blocks missing below it as inclusive ranges of wire numbers (at most
   * SACK_MAX_RANGES, lowest first). Absent on a plain ACK.
   */
  readonly sack?: { readonly high: number; readonly room: number; readonly holes: readonly number[] };
}
export interface ErrorPacket {
  readonly op: Op.ERROR;
  readonly code: number;
  readonly message: string;
}
export interface OAck {
  readonly op: Op.OACK;
  readonly options: Options;
}
export interface Malformed {
  readonly op: 0;
  readonly why: string;
}
export type Packet = Request | Data | Ack | ErrorPacket | OAck;

/** Splits NUL-terminated strings; returns undefined if the last one is unterminated. */
function cstrings(buf: Buffer, start: number): string[] | undefined {
  const out: string[] = [];
  let i = start;
  while (i < buf.length) {
    const end = buf.indexOf(0, i);
    if (end < 0) return undefined;
    out.push(buf.toString('latin1', i, end));
    i = end + 1;
  }
  return out;
}

function optionPairs(list: string[]): Options | undefined {
  if (list.length % 2 !== 0) return undefined;
  const opts: Options = {};
  for (let i = 0; i < list.length; i += 2) opts[list[i]!.toLowerCase()] = list[i + 1]!;
  return opts;
}

export function decode(buf: Buffer): Packet | Malformed {
  if (buf.length < 4) return { op: 0, why: `short datagram (${buf.length} bytes)` };
  const op = buf.readUInt16BE(0);
  switch (op) {
    case Op.RRQ:
    case Op.WRQ: {
      const parts = cstrings(buf, 2);
      if (!parts || parts.length < 2) return { op: 0, why: 'request without file name and mode' };
      const options = optionPairs(parts.slice(2));
      if (!options) return { op: 0, why: 'option without a value' };
      return { op, file: parts[0]!, mode: parts[1]!.toLowerCase(), options };
    }
    case Op.DATA:
      return { op, block: buf.readUInt16BE(2), payload: buf.subarray(4) };
    case Op.ACK:
      // Bytes past the block number are a selective ACK's (8 + 4 per range); a plain
      // ACK with other trailing bytes reads as the plain ACK it starts with.
      if (buf.length >= 8 && (buf.length - 8) % 4 === 0) {
        const holes: number[] = [];
        for (let o = 8; o < buf.length; o += 2) holes.push(buf.readUInt16BE(o));
        return { op, block: buf.readUInt16BE(2), sack: { high: buf.readUInt16BE(4), room: buf.readUInt16BE(6), holes } };
      }
      return { op, block: buf.readUInt16BE(2) };
    case Op.ERROR: {
      const end = buf.indexOf(0, 4);
      return { op, code: buf.readUInt16BE(2), message: buf.toString('latin1', 4, end < 0 ? buf.length : end) };
    }
    case Op.OACK: {
      const parts = cstrings(buf, 2);
      const options = parts && optionPairs(parts);
      if (!options) return { op: 0, why: 'malformed OACK' };
      return { op, options };
    }
    default:
      return { op: 0, why: `unknown opcode ${op}` };
  }
}

function strings(op: Op, list: string[]): Buffer {
  let len = 2;
  for (const s of list) len += Buffer.byteLength(s, 'latin1') + 1;
  const buf = Buffer.alloc(len);
  buf.writeUInt16BE(op, 0);
  let o = 2;
  for (const s of list) {
    o += buf.write(s, o, 'latin1');
    buf[o++] = 0;
  }
  return buf;
}

export function encodeRequest(op: Op.RRQ | Op.WRQ, file: string, mode: string, options: Options = {}): Buffer {
  return strings(op, [file, mode, ...Object.entries(options).flat()]);
}

export function encodeOAck(options: Options): Buffer {
  return strings(Op.OACK, Object.entries(options).flat());
}

export function encodeAck(block: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf.writeUInt16BE(Op.ACK, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  return buf;
}

/**
 * A selective ACK (option `sack`): `block` is the last block held in order, `high`
 * the highest held, `room` the blocks past `high` taken now (0..65535), `holes` the
 * missing blocks between as inclusive [from, to] pairs.
 */
export function encodeSackAck(block: number, high: number, room: number, holes: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(8 + holes.length * 2);
  buf.writeUInt16BE(Op.ACK, 0);
  buf.writeUInt16BE(block & 0xffff, 2);
  buf.writeUInt16BE(high & 0xffff, 4);
  buf.writeUInt16BE(Math.min(room, 0xffff), 6);
  for (let i = 0; i < holes.length; i++) buf.writeUInt16BE(holes[i]! & 0xffff, 8 + i * 2);
  return buf;
}

/** Writes a DATA header into `hdr` (4 bytes, reused by the caller). */
export function writeDataHeader(hdr: Buffer, block: number): Buffer {
  hdr.writeUInt16BE(Op.DATA, 0);
  hdr.writeUInt16BE(block & 0xffff, 2);
  return hdr;
}

export function encodeError(code: number, message: string): Buffer {
  const buf = Buffer.alloc(4 + Buffer.byteLength(message, 'latin1') + 1);
  buf.writeUInt16BE(Op.ERROR, 0);
  buf.writeUInt16BE(code, 2);
  buf.write(message, 4, 'latin1');
  return buf;
}

/**
 * Maps a 16-bit block number on the wire to the absolute block number nearest to
 * `expected`, so transfers past 65535 blocks (32 MiB at blksize 512) roll over.
 */
export function unwrapBlock(wire: number, expected: number): number {
  const base = expected - (expected & 0xffff);
  let abs = base + wire;
  if (abs - expected > 0x8000) abs -= 0x10000;
  else if (expected - abs > 0x8000) abs += 0x10000;
  return abs;
}
