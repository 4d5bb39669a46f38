// Binary wire format of DLoad (see docs/PROTOCOL.md for the tables).
// Every message starts with the same 18-byte header; integers are big-endian.
import { KEY_BYTES, type HierKey } from './key';

export const MAGIC = 'PFS';
export const WIRE_VERSION = 1;
export const HEADER_BYTES = 18;

export const TYPE = {
  ClaimRoot: 0x01,
  ConfirmedRoot: 0x02,
  JoinRequest: 0x03,
  Orphaned: 0x04,
  BadParent: 0x05,
  ParentAssigned: 0x06,
  Leaving: 0x07,
  StreamRequest: 0x10,
  StreamResponse: 0x11,
  StatusQuery: 0x20,
  StatusReply: 0x21,
} as const;

/** Status byte of a StreamResponse. */
export const STREAM_STATUS = { OK: 0, BUSY: 1, UNKNOWN_KEY: 2, BAD_OFFSET: 3 } as const;
export type StreamStatus = (typeof STREAM_STATUS)[keyof typeof STREAM_STATUS];

interface Header {
  /** Hierarchy key, 16 hex digits. */
  readonly key: HierKey;
  /** Node id (XID) of the board that sent the message. */
  readonly sender: number;
}

/** A root advert. `confirmed` false = ClaimRoot(tent), true = ConfirmedRoot. */
export interface RootAdvert extends Header {
  readonly type: 'ClaimRoot' | 'ConfirmedRoot';
  /** Random rank drawn at boot, 32 bits. */
  readonly strength: number;
  /** Bytes of this file the sender holds verified (its prefix). */
  readonly held: number;
  /** Where the sender serves children over TCP. */
  readonly tcpPort: number;
  /** Advert number: 0 for the first claim and for confirmed adverts, 1..4 for "Ad n". */
  readonly ad: number;
  /** 32-bit have-map: bit 31-i set when the sender holds the i-th 1/32 of the file. */
  readonly map: number;
  /**
   * ClaimRoot only (flags bit 1): not a claim but a member speaking for its confirmed
   * root (`sender` is the root's id, the datagram comes from the member): the receiver
   * stops claiming and waits for the root's own advert; it never joins on a relay.
   */
  readonly relay?: boolean;
}

/**
 * A member's word to the root (tracker). JoinRequest: place me (parentId = the
 * parent I am connected to now, 0 if none). Orphaned: parentId is gone (refused =
 * it turned me away). BadParent: parentId sent me a block that failed its hash.
 * Leaving: I am going away (a reboot into the new load): place nobody under me
 * (parentId = my parent, 0 if none); the only report the root does not answer.
 */
export interface MemberReport extends Header {
  readonly type: 'JoinRequest' | 'Orphaned' | 'BadParent' | 'Leaving';
  readonly tcpPort: number;
  /** Children the sender is serving now (a board keeps its children when it moves). */
  readonly children: number;
  readonly held: number;
  readonly parentId: number;
  /** Orphaned only: the parent refused the connection (full) rather than died. */
  readonly refused: boolean;
}

/** The root's answer: `target` shall fetch from `parentId` at parentAddr:parentPort. */
export interface ParentAssigned extends Header {
  readonly type: 'ParentAssigned';
  readonly target: number;
  readonly parentId: number;
  /** IPv4 dotted quad; "0.0.0.0" means the sender of this datagram (the root itself). */
  readonly parentAddr: string;
  readonly parentPort: number;
  /** Hops from the root of the target's new position (root = 0). */
  readonly depth: number;
}

/** First bytes a child writes on the peer TCP connection. */
export interface StreamRequest extends Header {
  readonly type: 'StreamRequest';
  /** Byte offset the child wants the file from (its verified prefix, block aligned). */
  readonly offset: number;
}

/** First bytes the parent answers; with status OK the file bytes from `offset` to `size` follow. */
export interface StreamResponse extends Header {
  readonly type: 'StreamResponse';
  readonly status: StreamStatus;
  readonly size: number;
  readonly offset: number;
}

/**
 * Anyone (`pfs tree`) → a board, UDP unicast: "what is your part in hierarchy `key`?"
 * Read-only: it carries no field a board acts on but which tracker entries to list.
 */
export interface StatusQuery extends Header {
  readonly type: 'StatusQuery';
  /** Echoed in the reply, so the asker can match answers to questions. */
  readonly nonce: number;
  /** Index of the first tracker entry wanted (a root lists at most STATUS_ENTRIES a reply). */
  readonly first: number;
}

/** The key of a StatusQuery that asks a board about every hierarchy it is in (one reply each). */
export const ANY_KEY: HierKey = '0000000000000000';

/** Roles as a StatusReply carries them (the index is the byte on the wire). */
export const STATUS_ROLES = ['listening', 'claiming', 'waiting', 'root', 'member', 'failed'] as const;
export type StatusRole = (typeof STATUS_ROLES)[number];
/** Why a board gave a file up, as a StatusReply carries it (index = byte; 0 = it did not). */
export const STATUS_FAILURES = ['', 'PFS_ERR_ORIGIN_CORRUPT', 'PFS_ERR_FLASH_WRITE'] as const;
export type StatusFailure = (typeof STATUS_FAILURES)[number];

/** One member in a root's tracker, as a StatusReply lists it. */
export interface StatusEntry {
  readonly id: number;
  /** The parent the tracker placed it under (0: not placed). */
  readonly parentId: number;
  /** Its UDP source as the root last heard it (where to ask it in turn). */
  readonly addr: string;
  readonly port: number;
  readonly depth: number;
  /** It sent a corrupt block: never a parent again. */
  readonly bad: boolean;
}

/** A board's answer to a StatusQuery: its own part in the hierarchy and, from a root, a page of its tracker. */
export interface StatusReply extends Header {
  readonly type: 'StatusReply';
  readonly nonce: number;
  readonly role: StatusRole;
  /** Every block verified. */
  readonly complete: boolean;
  /** Hops below the root (root = 0). */
  readonly depth: number;
  /** Children it streams to now. */
  readonly children: number;
  /** File size and verified prefix, bytes. */
  readonly size: number;
  readonly held: number;
  /** The parent it fetches from now (0: none). */
  readonly parentId: number;
  /** Its root (its own id when root; 0: none known) and that root's address (0.0.0.0: itself or unknown). */
  readonly rootId: number;
  readonly rootAddr: string;
  /** Root only: ms since it confirmed itself root (its HROOT line); -1 otherwise. */
  readonly rootForMs: number;
  readonly failure: StatusFailure;
  readonly model: string;
  readonly file: string;
  /** Root only: members in its tracker (the root not counted), and which of them follow. */
  readonly members: number;
  readonly first: number;
  readonly entries: readonly StatusEntry[];
}

export type Datagram = RootAdvert | MemberReport | ParentAssigned;
export type Message = Datagram | StreamRequest | StreamResponse | StatusQuery | StatusReply;

/** What decoding hostile or foreign bytes gives instead of throwing. */
export interface Malformed {
  readonly type: 'Malformed';
  readonly reason: 'short' | 'magic' | 'version' | 'type' | 'field';
  /** The version byte, when the magic matched (for "foreign version" counting). */
  readonly version?: number;
}

export const BODY_BYTES: Record<Message['type'], number> = {
  ClaimRoot: 19,
  ConfirmedRoot: 19,
  JoinRequest: 15,
  Orphaned: 15,
  BadParent: 15,
  ParentAssigned: 15,
  Leaving: 15,
  StreamRequest: 8,
  StreamResponse: 17,
  StatusQuery: 8,
  // The fixed part; the model, file name and tracker entries follow it.
  StatusReply: 48,
};

/** Tracker entries in one StatusReply: keeps the datagram near 1 KiB. */
export const STATUS_ENTRIES = 48;
const ENTRY_BYTES = 16;
/** Longest model and file name a StatusReply carries (longer ones are cut). */
const STATUS_MODEL_MAX = 32;
const STATUS_FILE_MAX = 200;

const TYPE_NAMES = new Map<number, Message['type']>(Object.entries(TYPE).map(([k, v]) => [v, k as Message['type']]));
const TWO32 = 2 ** 32;
// u64 fields carry byte counts; above 2^53 a JS number loses precision, so refuse them.
const MAX_HI = 2 ** 21;

function writeU64(buf: Buffer, off: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO32), off);
  buf.writeUInt32BE(n >>> 0, off + 4);
}

function readU64(buf: Uint8Array, off: number): number {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hi = v.getUint32(off);
  if (hi >= MAX_HI) return -1;
  return hi * TWO32 + v.getUint32(off + 4);
}

function ipv4Bytes(addr: string): number[] {
  const parts = addr.split('.');
  const b = parts.map(Number);
  if (parts.length !== 4 || b.some((x, i) => !/^\d{1,3}$/.test(parts[i]!) || x > 255)) {
    throw new TypeError(`not an IPv4 address: "${addr}"`);
  }
  return b;
}

/** Encodes a message. Throws TypeError only on a programming error (bad field values). */
export function encode(msg: Message): Buffer {
  const buf = Buffer.alloc(HEADER_BYTES + BODY_BYTES[msg.type] + (msg.type === 'StatusReply' ? statusTail(msg) : 0));
  buf.write(MAGIC, 0, 'latin1');
  buf[3] = WIRE_VERSION;
  buf[4] = TYPE[msg.type];
  if (!/^[0-9a-f]{16}$/.test(msg.key)) throw new TypeError(`bad hierarchy key "${msg.key}"`);
  buf.write(msg.key, 6, KEY_BYTES, 'hex');
  buf.writeUInt32BE(msg.sender >>> 0, 14);
  const o = HEADER_BYTES;
  switch (msg.type) {
    case 'ClaimRoot':
    case 'ConfirmedRoot':
      buf[5] = msg.type === 'ConfirmedRoot' ? 1 : msg.relay ? 2 : 0;
      buf.writeUInt32BE(msg.strength >>> 0, o);
      writeU64(buf, o + 4, msg.held);
      buf.writeUInt16BE(msg.tcpPort, o + 12);
      buf[o + 14] = msg.ad;
      buf.writeUInt32BE(msg.map >>> 0, o + 15);
      break;
    case 'JoinRequest':
    case 'Orphaned':
    case 'BadParent':
    case 'Leaving':
      buf[5] = msg.refused ? 1 : 0;
      buf.writeUInt16BE(msg.tcpPort, o);
      buf[o + 2] = msg.children;
      writeU64(buf, o + 3, msg.held);
      buf.writeUInt32BE(msg.parentId >>> 0, o + 11);
      break;
    case 'ParentAssigned':
      buf.writeUInt32BE(msg.target >>> 0, o);
      buf.writeUInt32BE(msg.parentId >>> 0, o + 4);
      buf.set(ipv4Bytes(msg.parentAddr), o + 8);
      buf.writeUInt16BE(msg.parentPort, o + 12);
      buf[o + 14] = msg.depth;
      break;
    case 'StreamRequest':
      writeU64(buf, o, msg.offset);
      break;
    case 'StreamResponse':
      buf[o] = msg.status;
      writeU64(buf, o + 1, msg.size);
      writeU64(buf, o + 9, msg.offset);
      break;
    case 'StatusQuery':
      buf.writeUInt32BE(msg.nonce >>> 0, o);
      buf.writeUInt16BE(msg.first, o + 4);
      break;
    case 'StatusReply':
      encodeStatusReply(buf, msg);
      break;
  }
  return buf;
}

const latin1 = (s: string, max: number) => Buffer.from(s, 'latin1').subarray(0, max);

function statusTail(m: StatusReply): number {
  if (m.entries.length > STATUS_ENTRIES) throw new TypeError(`a StatusReply lists at most ${STATUS_ENTRIES} entries, got ${m.entries.length}`);
  return latin1(m.model, STATUS_MODEL_MAX).length + latin1(m.file, STATUS_FILE_MAX).length + m.entries.length * ENTRY_BYTES;
}

function encodeStatusReply(buf: Buffer, m: StatusReply): void {
  const o = HEADER_BYTES;
  const model = latin1(m.model, STATUS_MODEL_MAX);
  const file = latin1(m.file, STATUS_FILE_MAX);
  buf.writeUInt32BE(m.nonce >>> 0, o);
  buf[o + 4] = STATUS_ROLES.indexOf(m.role);
  buf[o + 5] = m.complete ? 1 : 0;
  buf[o + 6] = Math.min(255, m.depth);
  buf[o + 7] = m.children;
  writeU64(buf, o + 8, m.size);
  writeU64(buf, o + 16, m.held);
  buf.writeUInt32BE(m.parentId >>> 0, o + 24);
  buf.writeUInt32BE(m.rootId >>> 0, o + 28);
  buf.set(ipv4Bytes(m.rootAddr), o + 32);
  buf.writeUInt32BE(m.rootForMs < 0 ? 0xffffffff : Math.min(0xfffffffe, Math.round(m.rootForMs)), o + 36);
  buf[o + 40] = STATUS_FAILURES.indexOf(m.failure);
  buf[o + 41] = model.length;
  buf[o + 42] = file.length;
  buf[o + 43] = m.entries.length;
  buf.writeUInt16BE(Math.min(0xffff, m.members), o + 44);
  buf.writeUInt16BE(m.first, o + 46);
  let at = o + BODY_BYTES.StatusReply;
  at += model.copy(buf, at);
  at += file.copy(buf, at);
  for (const e of m.entries) {
    buf.writeUInt32BE(e.id >>> 0, at);
    buf.writeUInt32BE(e.parentId >>> 0, at + 4);
    buf.set(ipv4Bytes(e.addr), at + 8);
    buf.writeUInt16BE(e.port, at + 12);
    buf[at + 14] = Math.min(255, e.depth);
    buf[at + 15] = e.bad ? 1 : 0;
    at += ENTRY_BYTES;
  }
}

function decodeStatusReply(buf: Uint8Array, key: HierKey, sender: number): StatusReply | Malformed {
  const o = HEADER_BYTES;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const role = STATUS_ROLES[buf[o + 4]!];
  const failure = STATUS_FAILURES[buf[o + 40]!];
  const size = readU64(buf, o + 8);
  const held = readU64(buf, o + 16);
  const modelLen = buf[o + 41]!;
  const fileLen = buf[o + 42]!;
  const count = buf[o + 43]!;
  const ip = (at: number) => `${buf[at]}.${buf[at + 1]}.${buf[at + 2]}.${buf[at + 3]}`;
  if (role === undefined || failure === undefined || size < 0 || held < 0 || held > size || buf[o + 7]! > 2) return { type: 'Malformed', reason: 'field' };
  if (modelLen > STATUS_MODEL_MAX || fileLen > STATUS_FILE_MAX || count > STATUS_ENTRIES) return { type: 'Malformed', reason: 'field' };
  let at = o + BODY_BYTES.StatusReply;
  if (buf.length < at + modelLen + fileLen + count * ENTRY_BYTES) return { type: 'Malformed', reason: 'short' };
  const text = (n: number) => Buffer.from(buf.buffer, buf.byteOffset + at, n).toString('latin1');
  const model = text(modelLen);
  at += modelLen;
  const file = text(fileLen);
  at += fileLen;
  const entries: StatusEntry[] = [];
  for (let i = 0; i < count; i++, at += ENTRY_BYTES) {
    entries.push({ id: v.getUint32(at), parentId: v.getUint32(at + 4), addr: ip(at + 8), port: v.getUint16(at + 12), depth: buf[at + 14]!, bad: (buf[at + 15]! & 1) === 1 });
  }
  const forMs = v.getUint32(o + 36);
  return {
    type: 'StatusReply', key, sender, nonce: v.getUint32(o), role, complete: (buf[o + 5]! & 1) === 1, depth: buf[o + 6]!, children: buf[o + 7]!,
    size, held, parentId: v.getUint32(o + 24), rootId: v.getUint32(o + 28), rootAddr: ip(o + 32), rootForMs: forMs === 0xffffffff ? -1 : forMs,
    failure, model, file, members: v.getUint16(o + 44), first: v.getUint16(o + 46), entries,
  };
}

/**
 * Decodes one datagram or stream header. Never throws: anything truncated, of
 * another magic, version or type, or with an impossible field gives a Malformed.
 * Trailing bytes after a known body are ignored (room for later minor additions).
 */
export function decode(buf: Uint8Array): Message | Malformed {
  if (buf.length < 4) return { type: 'Malformed', reason: 'short' };
  if (buf[0] !== 0x50 || buf[1] !== 0x46 || buf[2] !== 0x53) return { type: 'Malformed', reason: 'magic' };
  if (buf[3] !== WIRE_VERSION) return { type: 'Malformed', reason: 'version', version: buf[3]! };
  if (buf.length < HEADER_BYTES) return { type: 'Malformed', reason: 'short' };
  const type = TYPE_NAMES.get(buf[4]!);
  if (!type) return { type: 'Malformed', reason: 'type' };
  if (buf.length < HEADER_BYTES + BODY_BYTES[type]) return { type: 'Malformed', reason: 'short' };
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const flags = buf[5]!;
  const key = Buffer.from(buf.buffer, buf.byteOffset + 6, KEY_BYTES).toString('hex');
  const sender = v.getUint32(14);
  const o = HEADER_BYTES;
  const bad: Malformed = { type: 'Malformed', reason: 'field' };
  switch (type) {
    case 'ClaimRoot':
    case 'ConfirmedRoot': {
      const held = readU64(buf, o + 4);
      const ad = buf[o + 14]!;
      const confirmed = type === 'ConfirmedRoot';
      // A board has a node id and a port; a confirmed advert is never "Ad n".
      if (held < 0 || ad > 4 || (confirmed && ad !== 0) || (flags & 1) !== (confirmed ? 1 : 0)) return bad;
      if (sender === 0 || v.getUint16(o + 12) === 0) return bad;
      const relay = !confirmed && (flags & 2) !== 0;
      return { type, key, sender, strength: v.getUint32(o), held, tcpPort: v.getUint16(o + 12), ad, map: v.getUint32(o + 15), ...(relay ? { relay } : {}) };
    }
    case 'JoinRequest':
    case 'Orphaned':
    case 'BadParent':
    case 'Leaving': {
      const held = readU64(buf, o + 3);
      const children = buf[o + 2]!;
      if (held < 0 || children > 2) return bad;
      // Orphaned and BadParent name the parent they are about.
      const namesParent = type === 'Orphaned' || type === 'BadParent';
      if (sender === 0 || v.getUint16(o) === 0 || (namesParent && v.getUint32(o + 11) === 0)) return bad;
      return { type, key, sender, tcpPort: v.getUint16(o), children, held, parentId: v.getUint32(o + 11), refused: (flags & 1) === 1 };
    }
    case 'ParentAssigned': {
      const parentAddr = `${buf[o + 8]}.${buf[o + 9]}.${buf[o + 10]}.${buf[o + 11]}`;
      const target = v.getUint32(o);
      const parentId = v.getUint32(o + 4);
      // A parent is a board (not the target itself) at a unicast address (or 0.0.0.0, the root) and a port.
      const a0 = buf[o + 8]!;
      const unicast = parentAddr === '0.0.0.0' || (a0 !== 0 && a0 < 224 && parentAddr !== '255.255.255.255'); // the limited broadcast is refused
      if (sender === 0 || target === 0 || parentId === 0 || parentId === target || !unicast || v.getUint16(o + 12) === 0) return bad;
      return { type, key, sender, target: v.getUint32(o), parentId: v.getUint32(o + 4), parentAddr, parentPort: v.getUint16(o + 12), depth: buf[o + 14]! };
    }
    case 'StreamRequest': {
      const offset = readU64(buf, o);
      if (offset < 0) return bad;
      return { type, key, sender, offset };
    }
    case 'StreamResponse': {
      const status = buf[o]!;
      const size = readU64(buf, o + 1);
      const offset = readU64(buf, o + 9);
      if (status > 3 || size < 0 || offset < 0) return bad;
      return { type, key, sender, status: status as StreamStatus, size, offset };
    }
    case 'StatusQuery':
      return { type, key, sender, nonce: v.getUint32(o), first: v.getUint16(o + 4) };
    case 'StatusReply':
      return decodeStatusReply(buf, key, sender);
  }
}
