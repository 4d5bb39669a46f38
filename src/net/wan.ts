import dgram from 'node:dgram';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';
import { ShapedLink, type LinkStats } from './shaped-link';

/** Whole windows of a fast sender land at once; the default 208 KiB holds ~90 datagrams. */
const SOCKET_BUFFER = 4 << 20;

export interface WanOptions {
  /** Where the site's boards send their requests: the far server as they see it. */
  listen: { address: string; port: number };
  /** The real origin server behind the WAN. */
  origin: { address: string; port: number };
  /** Bits per second in each direction. */
  rate: number;
  /** Round-trip time in ms; half is added each way. */
  rttMs: number;
  /** Share of datagrams lost in each direction, 0..1. */
  loss?: number;
  random?: () => number;
  /**
   * Sees every datagram as it enters the WAN (`up`: site to origin, `down`: origin to
   * site); false drops it. For tests that lose one chosen datagram or watch the ACKs.
   */
  filter?: (direction: 'up' | 'down', msg: Buffer) => boolean;
  /** A session with no traffic for this long is forgotten. Default 30 s. */
  idleMs?: number;
  logger?: Logger;
}

/**
 * A user-space WAN between a site and a far UDP server (TFTP): rate limit, delay
 * and optional loss, one shared link per direction. TFTP answers from a fresh port
 * for each transfer (its TID), so the emulator mirrors every server port it sees
 * with a port of its own towards the client, and the client's TID checks still hold.
 */
export class WanEmulator {
  private listener?: dgram.Socket;
  private readonly up: ShapedLink;
  private readonly down: ShapedLink;
  private readonly sessions = new Map<string, Session>();
  /** Loopback source address per non-loopback client address (upstreamSource). */
  private readonly sources = new Map<string, string>();
  private readonly log: Logger;
  private sweep?: NodeJS.Timeout;

  constructor(private readonly o: WanOptions) {
    this.log = o.logger ?? silentLogger;
    const link = { rate: o.rate, delayMs: o.rttMs / 2, loss: o.loss, random: o.random };
    this.up = new ShapedLink(link);
    this.down = new ShapedLink(link);
  }

  get stats(): { up: LinkStats; down: LinkStats; sessions: number } {
    return { up: this.up.stats, down: this.down.stats, sessions: this.sessions.size };
  }

  async start(): Promise<void> {
    this.listener = await bound(this.o.listen.address, this.o.listen.port);
    this.listener.on('message', (msg, rinfo) => this.fromClient(msg, rinfo, this.o.origin.port));
    const idle = this.o.idleMs ?? 30_000;
    this.sweep = setInterval(() => {
      const now = performance.now();
      for (const [k, s] of this.sessions) if (now - s.lastSeen > idle) this.closeSession(k, s);
    }, Math.min(idle, 5000));
    this.sweep.unref();
    const a = this.address();
    this.log.inf(`WAN ${a.address}:${a.port} -> ${this.o.origin.address}:${this.o.origin.port}`, { rate: this.o.rate, rttMs: this.o.rttMs });
  }

  address(): { address: string; port: number } {
    if (!this.listener) throw new Error('WAN emulator not started');
    const a = this.listener.address();
    return { address: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    clearInterval(this.sweep);
    this.up.close();
    this.down.close();
    for (const [k, s] of this.sessions) this.closeSession(k, s);
    const l = this.listener;
    this.listener = undefined;
    if (l) await new Promise<void>((ok) => l.close(() => ok()));
  }

  private closeSession(key: string, s: Session): void {
    this.sessions.delete(key);
    s.upSock.close();
    for (const d of s.mirrors.values()) d.close();
  }

  /** A datagram from a site client, to the origin's `port` (its listener or a transfer TID). */
  private fromClient(msg: Buffer, rinfo: dgram.RemoteInfo, port: number): void {
    const s = this.session(rinfo);
    s.lastSeen = performance.now();
    if (this.o.filter && !this.o.filter('up', msg)) return;
    this.up.send(msg.length, () => s.upSock.send(msg, port, this.o.origin.address));
  }

  private session(rinfo: dgram.RemoteInfo): Session {
    const key = `${rinfo.address}:${rinfo.port}`;
    let s = this.sessions.get(key);
    if (s) return s;
    const upSock = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER });
    upSock.bind(0, this.upstreamSource(rinfo.address));
    const sess: Session = { upSock, mirrors: new Map(), lastSeen: performance.now() };
    upSock.on('message', (msg, from) => {
      sess.lastSeen = performance.now();
      const mirror = this.mirror(sess, from.port, rinfo);
      if (this.o.filter && !this.o.filter('down', msg)) return;
      this.down.send(msg.length, () => mirror.send(msg, rinfo.port, rinfo.address));
    });
    upSock.on('error', (e) => this.log.wrn(`WAN upstream socket: ${e.message}`));
    this.sessions.set(key, sess);
    return sess;
  }

  /**
   * The address a client's datagrams leave from towards the origin. A router keeps the
   * boards' own addresses, and the origin counts transfers per client address (its
   * per-client cap): sent from one address, a whole site looked like one client and
   * got 8 transfers at once. With the origin on loopback (the lab and the benches),
   * each client address gets its own loopback address: itself when it is one, else
   * one of 127.64.0.0/10 in the order clients are first seen. Elsewhere the listen address.
   */
  private upstreamSource(client: string): string {
    if (!isLoopback(this.o.origin.address)) return this.o.listen.address;
    if (isLoopback(client)) return client;
    let a = this.sources.get(client);
    if (a === undefined) {
      const k = this.sources.size + 1;
      a = `127.${64 + ((k >> 16) & 63)}.${(k >> 8) & 255}.${k & 255}`;
      this.sources.set(client, a);
    }
    return a;
  }

  /** The emulator's stand-in, towards the client, for origin port `tid`. */
  private mirror(s: Session, tid: number, client: dgram.RemoteInfo): dgram.Socket {
    let m = s.mirrors.get(tid);
    if (m) return m;
    m = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER });
    m.bind(0, this.o.listen.address);
    m.on('message', (msg, rinfo) => {
      if (rinfo.port !== client.port || rinfo.address !== client.address) return;
      this.fromClient(msg, rinfo, tid);
    });
    m.on('error', (e) => this.log.wrn(`WAN mirror socket: ${e.message}`));
    s.mirrors.set(tid, m);
    return m;
  }
}

interface Session {
  upSock: dgram.Socket;
  mirrors: Map<number, dgram.Socket>;
  lastSeen: number;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.');
}

function bound(address: string, port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER });
  return new Promise((ok, fail) => {
    s.once('error', fail);
    s.bind(port, address, () => {
      s.off('error', fail);
      ok(s);
    });
  });
}
