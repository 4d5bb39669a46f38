import net from 'node:net';
import type { Logger } from '../log/logger';
import { silentLogger } from '../log/logger';
import { ShapedLink, type LinkStats } from './shaped-link';

export interface TcpWanOptions {
  /** Where the site connects: the far server as it sees it (port 0: from the kernel). */
  listen: { address: string; port: number };
  /** The real server behind the WAN. */
  origin: { address: string; port: number };
  /** Bits per second in each direction. */
  rate: number;
  /** Round-trip time in ms; half is added each way. */
  rttMs: number;
  /**
   * Told of the body bytes of an HTTP answer as they reach the site, with the path of
   * the request (one request per connection, as the range client makes): what crossed
   * the WAN, where the server's own count includes what waits in socket buffers.
   */
  onHttpBody?: (path: string, bytes: number) => void;
  logger?: Logger;
}

/** TCP/IP headers (with timestamps) per 1448-byte segment, charged to the link as a real one would. */
const SEGMENT = 1448;
const HEADERS = 52;
/** RFC 6928's initial window: 10 segments. */
const INITIAL_WINDOW = 10 * SEGMENT;

/**
 * The WAN of the lab for TCP (the HTTP load server): a proxy whose bytes cross one
 * shaped link per direction (rate and one-way delay, as the UDP WanEmulator's). Each
 * side's own TCP runs over loopback to the proxy, so the proxy sends as TCP would
 * over the long round trip: slow start from 10 segments, the window growing by what
 * the far end acknowledges, up to the bandwidth-delay product plus a router's
 * 256 KiB queue. Nothing is dropped, so loss recovery is not emulated: a link
 * without loss, where TCP's window only grows.
 */
export class TcpWan {
  private server?: net.Server;
  private readonly up: ShapedLink;
  private readonly down: ShapedLink;
  private readonly sockets = new Set<net.Socket>();
  private readonly log: Logger;
  private readonly limit: number;

  constructor(private readonly o: TcpWanOptions) {
    this.log = o.logger ?? silentLogger;
    // Nothing is ever dropped: the bound below holds the sender back first.
    const link = { rate: o.rate, delayMs: o.rttMs / 2, maxQueueMs: Infinity };
    this.up = new ShapedLink(link);
    this.down = new ShapedLink(link);
    this.limit = Math.ceil((Number.isFinite(o.rate) ? (o.rate * o.rttMs) / 8000 : 1 << 20) + (256 << 10));
  }

  get stats(): { up: LinkStats; down: LinkStats } {
    return { up: this.up.stats, down: this.down.stats };
  }

  async start(): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (client) => this.connection(client));
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.o.listen.port, this.o.listen.address, () => ok());
    });
    this.server = server;
    const a = this.address();
    this.log.inf(`TCP WAN ${a.address}:${a.port} -> ${this.o.origin.address}:${this.o.origin.port}`, { rate: this.o.rate, rttMs: this.o.rttMs });
  }

  address(): { address: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new Error('TCP WAN not started');
    return { address: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    this.up.close();
    this.down.close();
    for (const s of this.sockets) s.destroy();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((ok) => s.close(() => ok()));
  }

  private connection(client: net.Socket): void {
    // The handshake crosses the WAN too: the far side is dialled half a round trip later.
    const upstream = new net.Socket({ allowHalfOpen: true });
    this.sockets.add(client).add(upstream);
    // An end crosses the link after the bytes before it (see pipe); an error cuts both at once.
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cut).on('close', () => this.sockets.delete(client));
    upstream.on('error', cut).on('close', () => this.sockets.delete(upstream));
    this.up.send(HEADERS, () => upstream.connect(this.o.origin.port, this.o.origin.address));
    const tap = this.o.onHttpBody ? httpTap(this.o.onHttpBody) : undefined;
    this.pipe(client, upstream, this.up, tap?.request);
    this.pipe(upstream, client, this.down, tap?.answer);
  }

  /**
   * `from`'s bytes reach `to` across `link`, in order, as a TCP sender without loss
   * would send them: at most a congestion window unacknowledged (the far end's
   * acknowledgement comes back half a round trip after delivery), the window starting
   * at 10 segments and growing by what is acknowledged (slow start), up to the
   * link's bound. `from` is no longer read while that much waits here.
   */
  private pipe(from: net.Socket, to: net.Socket, link: ShapedLink, delivered?: (chunk: Buffer) => void): void {
    const queue: Buffer[] = [];
    let queued = 0;
    let unacked = 0;
    let cwnd = INITIAL_WINDOW;
    let ended = false;
    let finSent = false;
    const pump = (): void => {
      const window = Math.min(cwnd, this.limit);
      while (queue.length > 0 && unacked < window) {
        let chunk = queue[0]!;
        const room = window - unacked;
        if (chunk.length > room) {
          queue[0] = chunk.subarray(room);
          chunk = chunk.subarray(0, room);
        } else queue.shift();
        queued -= chunk.length;
        unacked += chunk.length;
        link.send(chunk.length + Math.ceil(chunk.length / SEGMENT) * HEADERS, () => {
          if (to.destroyed) return;
          to.write(chunk);
          delivered?.(chunk);
          setTimeout(() => {
            unacked -= chunk.length;
            cwnd += chunk.length;
            pump();
          }, this.o.rttMs / 2);
        });
      }
      if (from.isPaused() && queued < this.limit) from.resume();
      // The end crosses after every byte before it (the link is FIFO).
      if (ended && queued === 0 && !finSent) {
        finSent = true;
        link.send(HEADERS, () => to.destroyed || to.end());
      }
    };
    from.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= this.limit) from.pause();
      pump();
    });
    from.on('end', () => {
      ended = true;
      pump();
    });
  }
}

/** Reads the request's path going up and counts the answer's body coming down (headers skipped). */
function httpTap(onBody: (path: string, bytes: number) => void): { request: (chunk: Buffer) => void; answer: (chunk: Buffer) => void } {
  let path: string | undefined;
  let up = '';
  let head = '';
  let inBody = false;
  return {
    request: (chunk) => {
      if (path !== undefined || up.length > 8192) return;
      up += chunk.toString('latin1');
      const m = /^[A-Z]+ (\S+) HTTP\//.exec(up);
      if (m) path = decodeURIComponent(new URL(m[1]!, 'http://x').pathname);
    },
    answer: (chunk) => {
      if (inBody) return onBody(path ?? '', chunk.length);
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      inBody = true;
      const body = head.length - (end + 4);
      if (body > 0) onBody(path ?? '', body);
    },
  };
}
