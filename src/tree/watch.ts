import dgram from 'node:dgram';
import { ANY_KEY, decode, encode, type HierKey } from '../dload/index';
import { PfsError } from '../errors';
import { TreeModel, type TreeSnapshot } from './model';

export interface TreeWatchOptions {
  /** The subnet's broadcast address (adverts come to it; the status query goes to it). */
  broadcast: string;
  /** The peer port: 4051 on a real subnet. */
  port: number;
  /** How often to ask every board again (ms); default 1000. */
  intervalMs?: number;
  /** Called after anything heard changed the model (often: throttle what it draws). */
  onChange?: () => void;
}

/**
 * The socket side of `pfs tree`: hears the root adverts on the peer port and asks
 * every board, by one broadcast status query (docs/PROTOCOL.md, StatusQuery), for
 * its part in each hierarchy; a root's answer lists its tracker. Sends nothing else:
 * a board acts on no status query, so watching never changes the tree it shows.
 */
export class TreeWatcher {
  readonly model = new TreeModel();
  private adverts?: dgram.Socket;
  private queries?: dgram.Socket;
  private timer?: NodeJS.Timeout;
  private nonce = 1;
  private readonly asked = new Set<HierKey>();
  /** Epoch ms of the first status query: a picture covers what was heard from then on. */
  askedAt = 0;

  constructor(private readonly o: TreeWatchOptions) {}

  /**
   * Binds the sockets and sends the first query at once. Throws PFS_ERR_NETWORK
   * naming the address when a socket cannot be bound.
   */
  async start(): Promise<void> {
    // Bound to the broadcast address, not 0.0.0.0: it then gets only broadcasts, never a
    // unicast meant for a board running on this machine (the kernel gives those to one socket).
    this.adverts = await bindAdverts(this.o.broadcast, this.o.port);
    this.adverts.on('message', (m, r) => this.heard(m, r));
    this.queries = await bind(0, '0.0.0.0', false).catch((e: Error) => {
      throw new PfsError('PFS_ERR_NETWORK', `pfs tree: cannot open a UDP socket for the status query: ${e.message}`);
    });
    this.queries.on('message', (m, r) => this.heard(m, r));
    this.queries.on('error', () => {});
    this.adverts.on('error', () => {});
    this.askedAt = Date.now();
    this.ask();
    this.timer = setInterval(() => this.ask(), this.o.intervalMs ?? 1000);
  }

  /** What is known now. */
  snapshot(): TreeSnapshot {
    return this.model.snapshot(Date.now());
  }

  /** Asks every board again now (besides the interval). */
  ask(): void {
    this.send(ANY_KEY, 0, this.o.broadcast, this.o.port);
  }

  stop(): void {
    clearInterval(this.timer);
    this.adverts?.close();
    this.queries?.close();
    this.adverts = this.queries = undefined;
  }

  private send(key: HierKey, first: number, addr: string, port: number): void {
    const bytes = encode({ type: 'StatusQuery', key, sender: 0, nonce: this.nonce++ >>> 0, first });
    // A query lost is asked again at the next interval.
    this.queries?.send(bytes, port, addr, () => {});
  }

  private heard(bytes: Buffer, r: dgram.RemoteInfo): void {
    const m = decode(bytes);
    const from = { addr: r.address, port: r.port };
    const now = Date.now();
    if (m.type === 'ClaimRoot' || m.type === 'ConfirmedRoot') {
      this.model.advert(now, from, m);
      // A root heard before its answer (it came up after the last query): ask it now.
      if (m.type === 'ConfirmedRoot' && !this.asked.has(m.key)) {
        this.asked.add(m.key);
        this.send(m.key, 0, from.addr, from.port);
      }
    } else if (m.type === 'StatusReply') {
      this.asked.add(m.key);
      this.model.reply(now, from, m);
      if (m.role === 'root' && m.first === 0) for (const p of this.model.pages()) if (p.key === m.key) this.send(p.key, p.first, p.addr, p.port);
    } else return;
    this.o.onChange?.();
  }
}

async function bindAdverts(broadcast: string, port: number): Promise<dgram.Socket> {
  try {
    return await bind(port, broadcast, true);
  } catch (first) {
    // Not every system lets a socket bind a broadcast address: take them all then.
    try {
      return await bind(port, '0.0.0.0', true);
    } catch {
      throw new PfsError('PFS_ERR_NETWORK', `pfs tree: cannot listen on ${broadcast}:${port} for the hierarchies' adverts: ${(first as Error).message}`);
    }
  }
}

function bind(port: number, addr: string, reuse: boolean): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: reuse });
  return new Promise((ok, fail) => {
    s.once('error', (e) => {
      s.close();
      fail(e);
    });
    s.bind(port, addr, () => {
      s.removeAllListeners('error');
      s.setBroadcast(true);
      ok(s);
    });
  });
}
