// Ports for a loopback lab, taken from the kernel so that two labs on one machine
// never share an advert port (they would hear each other's elections) or a board port
// (EADDRINUSE). Fixed numbers (4051, 24000+i) stay available through the options.
import dgram from 'node:dgram';
import net from 'node:net';
import { LabError } from './errors';

/**
 * The advert port, held for the lab's whole life. A free number comes from the
 * kernel (a plain bind to port 0); the lab then keeps a socket on it with
 * SO_REUSEADDR, as the boards bind theirs: the boards can join it, while another
 * lab's bind to port 0 sees the port in use and is given another. What the held
 * socket receives (every advert) is dropped.
 */
export async function claimAdvertPort(): Promise<{ port: number; release(): Promise<void> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = await bindUdp(0, '0.0.0.0', false);
    const port = probe!.address().port;
    await closeUdp(probe!);
    const held = await bindUdp(port, '0.0.0.0', true);
    if (!held) continue; // taken in the instant between: ask again
    held.on('message', () => {});
    return { port, release: () => closeUdp(held) };
  }
  throw new LabError('no free UDP port for the adverts on this machine');
}

/**
 * `count` board ports on `addr`, each free for both UDP and TCP (a board binds both
 * on its port), from the kernel. They stay bound here until `release()`, which the
 * lab calls just before its boards start, so that the window in which another
 * process could take one is as short as possible.
 */
export async function pickBoardPorts(count: number, addr = '127.0.0.1'): Promise<{ ports: number[]; release(): Promise<void> }> {
  const held: (net.Server | dgram.Socket)[] = [];
  const ports: number[] = [];
  const release = async () => {
    await Promise.all(held.map((s) => (s instanceof net.Server ? new Promise<void>((ok) => s.close(() => ok())) : closeUdp(s))));
    held.length = 0;
  };
  try {
    for (let misses = 0; ports.length < count; ) {
      const t = await listenTcp(0, addr);
      if (t instanceof Error) throw new LabError(`cannot bind a TCP port on ${addr} for board ${ports.length} (${(t as NodeJS.ErrnoException).code ?? t.message})${(t as NodeJS.ErrnoException).code === 'EMFILE' ? ': raise the open-file limit (ulimit -n) or use --port-base' : ''}`);
      held.push(t);
      const port = (t.address() as net.AddressInfo).port;
      const u = await bindUdp(port, addr, false);
      if (u) {
        held.push(u);
        ports.push(port);
      } else if (++misses > 10 * count + 20) throw new LabError(`no ${count} ports free for both UDP and TCP on ${addr}`);
    }
  } catch (e) {
    await release();
    throw e;
  }
  return { ports, release };
}

function bindUdp(port: number, addr: string, reuseAddr: boolean): Promise<dgram.Socket | undefined> {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr });
  return new Promise((done) => {
    s.once('error', () => {
      void closeUdp(s);
      done(undefined);
    });
    s.bind(port, addr, () => done(s));
  });
}

function closeUdp(s: dgram.Socket): Promise<void> {
  return new Promise((ok) => {
    try {
      s.close(() => ok());
    } catch {
      ok(); // already closed
    }
  });
}

function listenTcp(port: number, addr: string): Promise<net.Server | Error> {
  const s = net.createServer();
  return new Promise((done) => {
    s.once('error', (e) => done(e));
    s.listen(port, addr, () => done(s));
  });
}
