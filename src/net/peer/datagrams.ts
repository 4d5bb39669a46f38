import dgram from 'node:dgram';
import type { Logger } from '../../log/logger';
import { PfsError } from '../../errors';

export interface DatagramOptions {
  /** This board's address: unicast datagrams come to it. */
  addr: string;
  /** Port for datagrams addressed to this board (0: one from the kernel); the broadcast port on a real subnet. */
  udpPort: number;
  /** Where hierarchy adverts go: the subnet broadcast address and the shared peer port. */
  broadcast: { addr: string; port: number };
}

/** Longest a closing board waits for its last datagrams to leave (ms). */
const CLOSE_WAIT_MS = 250;

/**
 * The hierarchy's datagrams: adverts to the subnet broadcast address on the shared
 * port, reports and placements unicast. One socket when the board's own port is the
 * broadcast port (a real subnet); two when boards share one machine (the lab).
 */
export class Datagrams {
  private bcast?: dgram.Socket;
  private ucast?: dgram.Socket;
  /** The port datagrams to this board arrive on. */
  port = 0;
  /** Datagrams handed to a socket whose send has not completed, and who waits for none to be left. */
  private sending = 0;
  private sent?: () => void;

  constructor(
    private readonly o: DatagramOptions,
    private readonly log: Logger,
    private readonly received: (bytes: Buffer, from: { addr: string; port: number }) => void,
  ) {}

  async open(): Promise<void> {
    const on = (m: Buffer, r: dgram.RemoteInfo) => this.received(m, { addr: r.address, port: r.port });
    this.bcast = await bind(this.o.broadcast.port, '0.0.0.0', true);
    this.bcast.on('message', on);
    this.bcast.on('error', (e) => this.log.dbg(`UDP port ${this.o.broadcast.port}: ${e.message}`));
    this.port = this.o.broadcast.port;
    if (this.o.udpPort !== this.o.broadcast.port) {
      this.ucast = await bind(this.o.udpPort, this.o.addr, false);
      this.ucast.on('message', on);
      this.ucast.on('error', (e) => this.log.dbg(`UDP ${this.o.addr}:${this.port}: ${e.message}`));
      this.port = this.ucast.address().port;
    }
  }

  broadcast(bytes: Buffer): void {
    this.send(bytes, this.o.broadcast.addr, this.o.broadcast.port);
  }

  send(bytes: Buffer, addr: string, port: number): void {
    const s = this.ucast ?? this.bcast;
    if (!s) return;
    this.sending++;
    // A datagram that cannot be sent is lost like one dropped on the wire; the protocol resends.
    s.send(bytes, port, addr, (e) => {
      if (e) this.log.dbg(`UDP to ${addr}:${port}: ${e.message}`);
      if (--this.sending === 0) this.sent?.();
    });
  }

  /**
   * Closes the sockets once the datagrams handed to send() are out (at most
   * `waitMs`): a board's last words (Leaving) go after its last send, and a socket
   * closed first would drop them.
   */
  async close(waitMs = CLOSE_WAIT_MS): Promise<void> {
    if (this.sending > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((done) => {
        this.sent = done;
        timer = setTimeout(done, waitMs);
      });
      clearTimeout(timer);
      this.sent = undefined;
    }
    this.bcast?.close();
    this.ucast?.close();
    this.bcast = this.ucast = undefined;
  }
}

function bind(port: number, addr: string, broadcast: boolean): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: broadcast });
  return new Promise((ok, fail) => {
    s.once('error', (e) => fail(peerPortError('UDP', addr, port, e)));
    s.bind(port, addr, () => {
      s.off('error', fail);
      s.setBroadcast(true);
      ok(s);
    });
  });
}

/**
 * A peer port that cannot be bound, as an error a technician can act on (it used to
 * end pfs boot as an internal error, exit 70): PFS_ERR_PEER_PORT naming the protocol,
 * address and port. Shared with child-server.ts, which binds the TCP side.
 */
export function peerPortError(proto: 'UDP' | 'TCP', addr: string, port: number, e: NodeJS.ErrnoException): PfsError {
  const why =
    e.code === 'EADDRINUSE' ? 'taken by another program (another pfs?)'
    : e.code === 'EADDRNOTAVAIL' ? 'the address is not one of this machine\'s'
    : e.code === 'EACCES' ? 'not allowed (a port below 1024 needs root)'
    : (e.code ?? e.message);
  return new PfsError('PFS_ERR_PEER_PORT', `peer port ${proto} ${addr}:${port}: ${why}`, { cause: e });
}
