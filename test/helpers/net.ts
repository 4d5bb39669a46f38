// Loopback ports (from the kernel, or below its ephemeral range), and the test tree's one `sleep` and one `until`.
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { sleep } from '../../src/io/sleep';

export const LOOPBACK = '127.0.0.1';

/**
 * A UDP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
 * Another process may take it in between: callers that spawn a daemon on it retry.
 */
export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((ok, fail) => {
    s.once('error', fail);
    s.bind(0, LOOPBACK, () => ok());
  });
  const { port } = s.address();
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

/**
 * `count` consecutive port numbers, from `first` on, free for both UDP and TCP on
 * every address (each was bound on 0.0.0.0 and released): for code that takes a port
 * base (`pfs lab --port-base`, a board's `peer_port`) instead of port 0. The range
 * lies below the kernel's ephemeral ports (net.ipv4.ip_local_port_range), where a
 * socket bound to port 0 never lands: the file's own TFTP clients and WAN emulator
 * bind such sockets after the range was chosen, and one of them took a board's peer
 * port (the board went to plain TFTP: a WAN copy too many in boot-e2e under load).
 * Another process may still take one in between; under test/run.ts each worker has
 * a network namespace of its own (when root), so only the file's own sockets compete.
 */
export async function freePortRange(count: number): Promise<number> {
  const below = ephemeralLow();
  const lowest = 10_000;
  if (below - lowest < count) throw new Error(`no room for ${count} ports between ${lowest} and the ephemeral range at ${below}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = lowest + Math.floor(Math.random() * (below - lowest - count + 1));
    const held: Array<{ close(cb: () => void): unknown }> = [];
    let ok = true;
    for (let p = first; p < first + count && ok; p++) {
      const u = await bindUdp(p);
      const t = u && (await bindTcp(p));
      if (u) held.push(u);
      if (t) held.push(t);
      ok = !!u && !!t;
    }
    await Promise.all(held.map((s) => new Promise<void>((done) => s.close(() => done()))));
    if (ok) return first;
  }
  throw new Error(`no ${count} consecutive free ports found on this machine`);
}

/** The first port the kernel hands out for port 0 (Linux's default is 32768). */
export function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}

function bindUdp(port: number): Promise<dgram.Socket | undefined> {
  const s = dgram.createSocket('udp4');
  return new Promise((done) => {
    s.once('error', () => done(undefined));
    s.bind(port, '0.0.0.0', () => done(s));
  });
}

function bindTcp(port: number): Promise<net.Server | undefined> {
  const s = net.createServer();
  return new Promise((done) => {
    s.once('error', () => done(undefined));
    s.listen(port, '0.0.0.0', () => done(s));
  });
}

/** Rejects with a clear message if `p` takes longer than `ms`, so a hung transfer fails the test instead of the run. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The project's one sleep (src/io/sleep.ts). In tests only where the wait IS the
 * scenario (a slow consumer, power lost at a random moment); to wait for something
 * to happen use `until` or await the event itself.
 */
export { sleep };

export interface UntilOptions {
  /** Fails after this long, in milliseconds. */
  timeoutMs: number;
  /** What is awaited, for the failure message ("the server to go idle"). */
  what: string;
  /** How often `cond` is asked, in milliseconds; default 10. */
  everyMs?: number;
}

/**
 * Resolves with the milliseconds it took once `cond()` is true; rejects with
 * "timed out after N ms waiting for <what>" if it is still false after `timeoutMs`.
 * For state that has no event to await (a counter in a server, a file a child
 * process writes); where there is an event, await it (`once(emitter, 'x')`).
 */
export async function until(cond: () => boolean | Promise<boolean>, o: UntilOptions): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await cond()) return performance.now() - started;
    if (performance.now() - started >= o.timeoutMs) throw new Error(`timed out after ${o.timeoutMs} ms waiting for ${o.what}`);
    await sleep(o.everyMs ?? 10);
  }
}
