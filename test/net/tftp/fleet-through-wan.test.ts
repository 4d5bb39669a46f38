// A site's boards fetching lock-step (blksize 512, windowsize 1) from our server behind
// the WAN emulator, as bench:fleet's "traditional" row does: each board is its own client
// to the origin, so each gets its 512 B per round trip however many fetch at once. The
// emulator used to send every board's datagrams from its one address, and the server's
// per-client cap (8) then served 8 boards of a site at a time (55086ad).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tftpGet } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { WanEmulator } from '../../../src/net/wan';
import { makeFile, tmpDir, until } from '../../helpers/index';

const RTT_MS = 150;
const BLOCKS = 12;

async function withSite(maxPerClient: number | undefined, fn: (port: number, server: TftpServer) => Promise<void>): Promise<void> {
  const dir = await tmpDir('pfs-fleet-wan-');
  await makeFile(dir.path, 'f.bin', BLOCKS * 512, 'fleet-wan');
  const server = new TftpServer({ root: dir.path, port: 0, maxPerClient });
  await server.start();
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: Infinity, rttMs: RTT_MS });
  await wan.start();
  try {
    await fn(wan.address().port, server);
  } finally {
    await wan.stop();
    await server.stop();
    await dir.cleanup();
  }
}

/** One board at `localAddress`: bytes per second over its whole fetch, request included. */
async function board(port: number, localAddress: string): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  await tftpGet({ host: '127.0.0.1', port, localAddress, file: 'f.bin', blksize: 512, windowsize: 1 }).deliver((b) => void (bytes += b.length));
  return bytes / ((performance.now() - t0) / 1000);
}

test('12 boards (more than the per-client cap of 8) fetching lock-step through a 150 ms WAN each get near 512 B per round trip', async () => {
  await withSite(undefined, async (port) => {
    const rates = await Promise.all(Array.from({ length: 12 }, (_, i) => board(port, `127.0.0.${11 + i}`)));
    // BLOCKS + 1 round trips (the OACK first): 0.92 x 512 B per RTT on an idle machine.
    const floor = 0.6 * (512 / (RTT_MS / 1000));
    for (const [i, r] of rates.entries()) assert.ok(r >= floor, `board ${i} got ${r.toFixed(0)} B/s, under ${floor.toFixed(0)} (lock-step: 512 B per ${RTT_MS} ms)`);
  });
});

test('the per-client cap still holds through the WAN: one address past it is refused', async () => {
  await withSite(2, async (port, server) => {
    const runs = Array.from({ length: 3 }, () => board(port, '127.0.0.31').then(() => undefined, (e: Error) => e));
    const errors = (await Promise.all(runs)).filter((e) => e !== undefined);
    assert.is(errors.length, 1, 'one of three transfers from one address refused at a cap of 2');
    assert.match(errors[0]!.message, /server busy/);
    await until(() => server.stats.active === 0, { timeoutMs: 5000, what: "the server's transfers to end" });
  });
});

test.run();
