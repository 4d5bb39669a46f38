import type { Options } from './packet';

/** What a transfer runs with once options are agreed. */
export interface Negotiated {
  /** Payload bytes per DATA packet (RFC 2348), 8..65464. */
  blksize: number;
  /** Blocks sent before waiting for an ACK (RFC 7440), 1..65535. */
  windowsize: number;
  /** Retransmission timeout in milliseconds (RFC 2349 gives seconds on the wire). */
  timeoutMs: number;
  /** Transfer size in bytes if either side stated it (RFC 2349). */
  tsize?: number;
  /**
   * Selective acknowledgement (this project's `sack` option, docs/TFTP.md): the client
   * keeps blocks that arrive past a gap and says which are missing; the server resends
   * only those and sizes its window by the round trip. Both sides agreed to it.
   */
  sack?: boolean;
  /**
   * With `sack` and `tsize` (this project's `sackprobe` option, docs/TFTP.md): the
   * server's probe for a silent client is a DATA packet with no payload, which the
   * client answers with a report naming everything up to the probed block that it
   * lacks. A late report then costs no block sent twice.
   */
  sackProbe?: boolean;
}

export const DEFAULT_BLKSIZE = 512;
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
export const MAX_WINDOWSIZE = 65535;
export const DEFAULT_TIMEOUT_MS = 1000;
/** With `sack`: blocks past the first missing one the client keeps, and the sender's largest window. */
export const SACK_MAX_AHEAD = 4096;
/** With `sack`: the client acknowledges every this many blocks (fewer if windowsize is smaller). */
export const SACK_ACK_EVERY = 16;
/** Hole ranges one selective ACK carries at most (1030 bytes): at 5 % loss a 100 Mbit/s, 150 ms path has ~130 holes open. */
export const SACK_MAX_RANGES = 256;

export const defaults = (): Negotiated => ({ blksize: DEFAULT_BLKSIZE, windowsize: 1, timeoutMs: DEFAULT_TIMEOUT_MS });

function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,10}$/.test(v)) return undefined;
  return Number(v);
}

export interface ServerLimits {
  maxBlksize: number;
  maxWindowsize: number;
  /** Largest window in bytes (windowsize x blksize): windowsize is lowered to fit. Default no limit. */
  maxWindowBytes?: number;
  /** Largest timeout option granted, in seconds; a larger one is left out of the OACK. Default 255. */
  maxTimeoutS?: number;
  /** Whether a client's `sack` option is granted. Default true. */
  sack?: boolean;
}

/**
 * Server side of RFC 2347: from the options a client asked for, what this server
 * agrees to. Unknown or malformed options are left out of the OACK, as the RFC says.
 * `fileSize` answers a `tsize` request.
 */
export function acceptOptions(asked: Options, fileSize: number, limits: ServerLimits): { agreed: Negotiated; oack: Options } {
  const agreed = defaults();
  const oack: Options = {};
  const blk = int(asked.blksize);
  if (blk !== undefined && blk >= MIN_BLKSIZE) {
    agreed.blksize = Math.min(blk, limits.maxBlksize, MAX_BLKSIZE);
    oack.blksize = String(agreed.blksize);
  }
  const win = int(asked.windowsize);
  if (win !== undefined && win >= 1) {
    const fit = limits.maxWindowBytes === undefined ? MAX_WINDOWSIZE : Math.max(1, Math.floor(limits.maxWindowBytes / agreed.blksize));
    agreed.windowsize = Math.min(win, limits.maxWindowsize, fit, MAX_WINDOWSIZE);
    oack.windowsize = String(agreed.windowsize);
  }
  const to = int(asked.timeout);
  // A client may not make the server wait longer than it allows (a held transfer costs
  // a socket and a descriptor): a larger timeout is not acknowledged, the server's own applies.
  if (to !== undefined && to >= 1 && to <= Math.min(255, limits.maxTimeoutS ?? 255)) {
    agreed.timeoutMs = to * 1000;
    oack.timeout = String(to);
  }
  if (asked.tsize !== undefined && int(asked.tsize) !== undefined) {
    agreed.tsize = fileSize;
    oack.tsize = String(fileSize);
  }
  if (asked.sack === '1' && limits.sack !== false) {
    agreed.sack = true;
    oack.sack = '1';
    // The client tells an empty probe from an empty last block by the file's size.
    if (asked.sackprobe === '1' && agreed.tsize !== undefined) {
      agreed.sackProbe = true;
      oack.sackprobe = '1';
    }
  }
  return { agreed, oack };
}

/**
 * Client side: checks an OACK against what was asked. A server may lower blksize
 * and windowsize but never raise them, may not invent options, and must echo
 * timeout exactly. Returns a reason string when the OACK is not acceptable.
 */
export function checkOAck(asked: Options, oack: Options, base: Negotiated): Negotiated | string {
  const got = { ...base, tsize: undefined as number | undefined };
  for (const [name, value] of Object.entries(oack)) {
    if (!(name in asked)) return `server acknowledged option "${name}" that was not requested`;
    const n = int(value);
    if (n === undefined) return `server sent a non-numeric ${name} "${value}"`;
    switch (name) {
      case 'blksize':
        if (n < MIN_BLKSIZE || n > Number(asked.blksize)) return `server blksize ${n} outside 8..${asked.blksize}`;
        got.blksize = n;
        break;
      case 'windowsize':
        if (n < 1 || n > Number(asked.windowsize)) return `server windowsize ${n} outside 1..${asked.windowsize}`;
        got.windowsize = n;
        break;
      case 'timeout':
        if (n !== Number(asked.timeout)) return `server changed timeout to ${n}`;
        got.timeoutMs = n * 1000;
        break;
      case 'tsize':
        got.tsize = n;
        break;
      case 'sack':
        if (n !== 1) return `server sent sack "${value}", not 1`;
        got.sack = true;
        break;
      case 'sackprobe':
        if (n !== 1) return `server sent sackprobe "${value}", not 1`;
        got.sackProbe = true;
        break;
      default:
        // Options we asked for but do not interpret (none today): ignore.
        break;
    }
  }
  if (got.sackProbe && (!got.sack || got.tsize === undefined)) return 'server granted sackprobe without sack and tsize';
  return got;
}
