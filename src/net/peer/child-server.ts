import net from 'node:net';
import type { Logger } from '../../log/logger';
import type { HierKey } from '../../dload/key';
import { decode, encode, STREAM_STATUS } from '../../dload/wire';
import { peerPortError } from './datagrams';

const STREAM_REQUEST_BYTES = 26;
/** A connection that has not sent its whole StreamRequest by then is closed. */
const HEADER_TIMEOUT_MS = 10_000;

/**
 * The peer TCP port children connect to. It reads each child's StreamRequest and hands
 * the header to `request` (the core decides: serve or reject); the socket then waits
 * here until `serve()` or `reject()`. It knows every socket it accepted, so `stop()`
 * ends them all, whatever state they are in.
 */
export class ChildServer {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly waiting = new Map<string, net.Socket>();

  constructor(
    private readonly log: Logger,
    private readonly request: (header: Buffer) => void,
  ) {}

  /** Listens on `port` (0: one from the kernel); resolves with the port bound. */
  async listen(port: number, addr: string): Promise<number> {
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((ok, fail) => {
      server.once('error', (e) => fail(peerPortError('TCP', addr, port, e)));
      server.listen(port, addr, () => {
        server.off('error', fail);
        ok();
      });
    });
    server.on('error', (e) => this.log.wrn(`peer TCP port ${addr}:${port}: ${e.message}`));
    return (server.address() as net.AddressInfo).port;
  }

  /** The listening socket's descriptor, for the phone-style console line. */
  get fd(): number {
    return (this.server as unknown as { _handle?: { fd?: number } })?._handle?.fd ?? -1;
  }

  /** Answers OK and hands the socket over (the child only reads from now on); undefined if it went away. */
  serve(key: HierKey, childId: number, sender: number, size: number, fromOffset: number): net.Socket | undefined {
    const sock = this.take(key, childId);
    if (!sock) return undefined;
    sock.setTimeout(0);
    sock.write(encode({ type: 'StreamResponse', key, sender, status: STREAM_STATUS.OK, size, offset: fromOffset }));
    // Anything more the child sends is ignored.
    sock.resume();
    return sock;
  }

  /** Answers with `status` and closes. */
  reject(key: HierKey, childId: number, sender: number, status: number): void {
    const sock = this.take(key, childId);
    if (!sock) return;
    sock.end(encode({ type: 'StreamResponse', key: key || '0'.repeat(16), sender, status: status as 0, size: 0, offset: 0 }));
  }

  /** Closes every connection and the port; resolves when the port is closed. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.waiting.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((ok) => server.close(() => ok()));
  }

  private take(key: HierKey, childId: number): net.Socket | undefined {
    const id = `${key}/${childId}`;
    const sock = this.waiting.get(id);
    this.waiting.delete(id);
    return sock;
  }

  private accept(sock: net.Socket): void {
    sock.setNoDelay(true);
    this.sockets.add(sock);
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', (e) => this.log.dbg(`child ${peer}: ${e.message}`));
    let header: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
      if (header.length < STREAM_REQUEST_BYTES) return;
      sock.off('data', onData);
      sock.pause();
      const req = decode(header.subarray(0, STREAM_REQUEST_BYTES));
      if (req.type !== 'StreamRequest') {
        this.log.dbg(`child ${peer}: not a StreamRequest (${req.type === 'Malformed' ? req.reason : req.type}): closed`);
        sock.destroy();
        return;
      }
      const id = `${req.key}/${req.sender}`;
      this.waiting.set(id, sock);
      sock.on('close', () => {
        if (this.waiting.get(id) === sock) this.waiting.delete(id);
      });
      this.request(header);
    };
    sock.on('data', onData);
    sock.setTimeout(HEADER_TIMEOUT_MS, () => {
      if (header.length < STREAM_REQUEST_BYTES) {
        this.log.dbg(`child ${peer}: no StreamRequest within ${HEADER_TIMEOUT_MS / 1000} s: closed`);
        sock.destroy();
      }
    });
  }
}
