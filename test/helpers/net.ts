// Loopback ports and a bounded wait for tests (uvu has no per-test timeout).
import dgram from 'node:dgram';

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

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
