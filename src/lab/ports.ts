// Ports for a loopback lab, taken from the kernel so that two labs on one machine
// never share an advert port (they would hear each other's elections) or a board port
// (EADDRINUSE). Fixed numbers (4051, 24000+i) stay available through the options.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** Lowest port pickBoardPorts takes below the kernel's ephemeral range. */
export const BOARD_PORTS_FROM = 10_000;

/**
 * The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`), the
 * ports a bind to port 0 is given; undefined where it cannot be read.
 */
export function ephemeralRange(path = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] | undefined {
  try {
    const [lo, hi] = readFileSync(path, 'latin1').trim().split(/\s+/).map(Number);
    return lo! > 0 && hi! >= lo! ? [lo!, hi!] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `count` board ports on `addr`, each free for both UDP and TCP (a board binds both
 * on its port). They stay bound here until `release()`, which the lab calls just
 * before its boards start, so that the window in which another process could take
 * one is as short as possible.
 *
 * Below the kernel's ephemeral range when it leaves room (from BOARD_PORTS_FROM, at a
 * random place, so two labs rarely probe the same numbers): a port the kernel gives
 * to a bind to port 0 was free an instant before, so a board port released there
 * could go to the next socket of any board (a TFTP client's, an HTTP connection's)
 * before its own board binds it, and that board upgraded by plain TFTP, one more
 * WAN copy (1 or 2 boards of 64 in the loopback lab at 64 boards). Otherwise from the
 * kernel as before.
 */
export async function pickBoardPorts(count: number, addr = '127.0.0.1', range = ephemeralRange()): Promise<{ ports: number[]; release(): Promise<void> }> {
  const held: (net.Server | dgram.Socket)[] = [];
  const ports: number[] = [];
  const release = async () => {
    await Promise.all(held.map((s) => (s instanceof net.Server ? new Promise<void>((ok) => s.close(() => ok())) : closeUdp(s))));
    held.length = 0;
  };
  // The candidates below the ephemeral range, from a random place, every 7th (each
  // once while 7 does not divide the room), wrapping around.
  const room = range ? range[0] - BOARD_PORTS_FROM : 0;
  const start = room > 0 ? randomInt(room) : 0;
  const stride = room % 7 === 0 ? 1 : 7;
  let next = 0;
  const candidate = (): number => (room >= 2 * count && next < room ? BOARD_PORTS_FROM + ((start + stride * next++) % room) : 0);
  try {
    for (let misses = 0; ports.length < count; ) {
      const want = candidate();
      const t = await listenTcp(want, addr);
      // Taken (by another lab, a service): the next candidate.
      if (t instanceof Error && want !== 0 && (t as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
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
