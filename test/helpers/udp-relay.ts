// A lossy UDP relay for TFTP tests: client ⇄ relay ⇄ server, on 127.0.0.1 only.
//
// TFTP moves to a new server port (TID) after the request (RFC 1350), so the relay
// mirrors each server TID with a port of its own: the client sees the same pattern
// it would see from a real server (request to one port, the transfer from another).
//
//   client ──RRQ──▶ front ──────────▶ back ──▶ server:listen
//   client ◀─DATA── mirror[T] ◀──────── back ◀── server:T
//   client ──ACK──▶ mirror[T] ────────▶ back ──▶ server:T
import dgram from 'node:dgram';
import { LOOPBACK } from './net';

/** Small, fast, seeded PRNG (mulberry32) so a failing run can be repeated exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Impairment {
  /** Share of datagrams dropped, 0..1. */
  drop?: number;
  /** Share of datagrams sent twice. */
  dup?: number;
  /** Share of datagrams held back and sent after the next one in the same direction (or after `holdMs`). */
  reorder?: number;
  /** Longest a reordered datagram is held if nothing follows it; default 20 ms. */
  holdMs?: number;
}

export interface RelayOptions extends Impairment {
  /** The server's request port on 127.0.0.1. */
  serverPort: number;
  seed: number;
  /** Leave the first N datagrams from the client alone (e.g. to test one impairment at a time). */
  sparedFromClient?: number;
  /** Drops the datagrams this returns true for (a chosen loss), before the random impairments. */
  dropIf?: (msg: Buffer, dir: 'toServer' | 'toClient') => boolean;
}

export interface RelayStats {
  fromClient: number;
  fromServer: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

type Dir = 'toServer' | 'toClient';

export class UdpRelay {
  readonly stats: RelayStats = { fromClient: 0, fromServer: 0, dropped: 0, duplicated: 0, reordered: 0 };
  /** Server ports (TIDs) seen, in order of first appearance. */
  readonly serverTids: number[] = [];
  /** The port of the client that last sent to the request port. */
  clientPort?: number;

  private readonly rand: () => number;
  private readonly mirrors = new Map<number, dgram.Socket>();
  private readonly held: Record<Dir, { send: () => void; timer: NodeJS.Timeout } | undefined> = { toServer: undefined, toClient: undefined };
  private clientPackets = 0;
  private closed = false;

  private constructor(
    private readonly opts: RelayOptions,
    private readonly front: dgram.Socket,
    private readonly back: dgram.Socket,
  ) {
    this.rand = prng(opts.seed);
  }

  /** The port a client sends its request to. */
  get port(): number {
    return this.front.address().port;
  }

  /** Relay port the client sees for server TID `serverPort` (undefined until that TID spoke). */
  mirrorOf(serverPort: number): number | undefined {
    return this.mirrors.get(serverPort)?.address().port;
  }

  static async start(opts: RelayOptions): Promise<UdpRelay> {
    const front = await bound();
    const back = await bound();
    const r = new UdpRelay(opts, front, back);
    r.mirrors.set(opts.serverPort, front); // errors to the request come from the listen port
    front.on('message', (m, ri) => r.fromClient(m, ri, opts.serverPort));
    back.on('message', (m, ri) => r.fromServer(m, ri));
    return r;
  }

  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo, serverPort: number): void {
    if (rinfo.address !== LOOPBACK) return;
    // One client at a time: a request from a new port (the next download) takes over.
    this.clientPort = rinfo.port;
    this.stats.fromClient++;
    const spared = this.clientPackets++ < (this.opts.sparedFromClient ?? 0);
    if (this.opts.dropIf?.(msg, 'toServer')) return void this.stats.dropped++;
    this.forward('toServer', () => this.back.send(msg, serverPort, LOOPBACK), spared);
  }

  private fromServer(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.address !== LOOPBACK || this.clientPort === undefined || this.closed) return;
    this.stats.fromServer++;
    let mirror = this.mirrors.get(rinfo.port);
    if (!mirror) {
      const s = dgram.createSocket('udp4');
      mirror = s;
      this.mirrors.set(rinfo.port, s);
      this.serverTids.push(rinfo.port);
      const serverTid = rinfo.port;
      s.on('message', (m, ri) => {
        if (ri.address !== LOOPBACK || ri.port !== this.clientPort) return;
        this.stats.fromClient++;
        if (this.opts.dropIf?.(m, 'toServer')) return void this.stats.dropped++;
        this.forward('toServer', () => this.back.send(m, serverTid, LOOPBACK), false);
      });
      // Sends before the bind completes are queued by dgram, which binds implicitly; bind
      // explicitly to loopback first so nothing ever leaves 127.0.0.1.
      s.bind(0, LOOPBACK);
    }
    if (this.opts.dropIf?.(msg, 'toClient')) return void this.stats.dropped++;
    const m = mirror;
    const client = this.clientPort;
    this.forward('toClient', () => m.send(msg, client, LOOPBACK), false);
  }

  private forward(dir: Dir, send: () => void, spared: boolean): void {
    if (this.closed) return;
    const o = this.opts;
    const flush = () => {
      const h = this.held[dir];
      if (h) {
        clearTimeout(h.timer);
        this.held[dir] = undefined;
        h.send();
      }
    };
    if (!spared) {
      const x = this.rand();
      const drop = o.drop ?? 0;
      const dup = o.dup ?? 0;
      const reorder = o.reorder ?? 0;
      if (x < drop) {
        this.stats.dropped++;
        return;
      }
      if (x < drop + reorder && !this.held[dir]) {
        this.stats.reordered++;
        this.held[dir] = { send, timer: setTimeout(flush, o.holdMs ?? 20) };
        return;
      }
      if (x < drop + reorder + dup) {
        this.stats.duplicated++;
        send();
        send();
        flush();
        return;
      }
    }
    send();
    flush();
  }

  /** Sends `msg` to the client from a port the transfer does not use (a stranger). */
  async strangerToClient(msg: Buffer): Promise<Buffer | undefined> {
    if (this.clientPort === undefined) throw new Error('no client yet');
    return strangerSend(msg, this.clientPort);
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const d of ['toServer', 'toClient'] as const) clearTimeout(this.held[d]?.timer);
    const socks = new Set([this.front, this.back, ...this.mirrors.values()]);
    await Promise.all([...socks].map((s) => new Promise<void>((ok) => s.close(() => ok()))));
  }
}

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((ok, fail) => {
    s.once('error', fail);
    s.bind(0, LOOPBACK, () => ok());
  });
  return s;
}

/**
 * Sends `msg` to 127.0.0.1:`port` from a fresh socket and returns the first datagram
 * that comes back within `ms` (undefined if none).
 */
export async function strangerSend(msg: Buffer, port: number, ms = 1000): Promise<Buffer | undefined> {
  const s = await bound();
  try {
    return await new Promise<Buffer | undefined>((ok) => {
      const t = setTimeout(() => ok(undefined), ms);
      s.once('message', (m) => {
        clearTimeout(t);
        ok(m);
      });
      s.send(msg, port, LOOPBACK);
    });
  } finally {
    s.close();
  }
}
