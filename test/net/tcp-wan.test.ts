// The lab's TCP WAN: bytes arrive whole and in order, no faster than the rate, not
// before the round trip (the handshake and the request cross it first), and with the
// round trips TCP's slow start costs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { TcpWan } from '../../src/net/tcp-wan';
import { seededBytes } from '../../src/lab/firmware';

test('1 MiB at 20 Mbit/s, 100 ms RTT: intact, and no sooner than the link allows', async () => {
  const data = seededBytes('tcp-wan', 1 << 20);
  // The far server answers any request with the data, then closes.
  const server = net.createServer((s) => s.once('data', () => s.end(data)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const wan = new TcpWan({ listen: { address: '127.0.0.1', port: 0 }, origin: { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, rate: 20e6, rttMs: 100 });
  await wan.start();
  try {
    const t0 = performance.now();
    let first = 0;
    const parts: Buffer[] = [];
    await new Promise<void>((ok, fail) => {
      const c = net.connect(wan.address().port, '127.0.0.1', () => c.write('GET'));
      c.on('data', (d: Buffer) => {
        first ||= performance.now() - t0;
        parts.push(d);
      });
      c.on('end', () => ok());
      c.on('error', fail);
    });
    const ms = performance.now() - t0;
    assert.ok(Buffer.concat(parts).equals(data), 'the same bytes, in order');
    assert.ok(first >= 95, `first byte after the round trip (${first.toFixed(0)} ms)`);
    const wire = ((data.length * (1 + 52 / 1448)) * 8) / 20e6 * 1000;
    assert.ok(ms >= wire + 95, `${ms.toFixed(0)} ms: at least ${wire.toFixed(0)} ms on the wire plus the round trip`);
    assert.ok(ms < wire + 2000, `${ms.toFixed(0)} ms: not held back much past that`);
    assert.ok(wan.stats.down.bytes >= data.length);
  } finally {
    await wan.stop();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});

test('slow start: 1 MiB at 100 Mbit/s over 100 ms takes the round trips TCP needs to open its window, not the 90 ms on the wire', async () => {
  const data = seededBytes('tcp-wan-ss', 1 << 20);
  const server = net.createServer((s) => s.once('data', () => s.end(data)));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const wan = new TcpWan({ listen: { address: '127.0.0.1', port: 0 }, origin: { address: '127.0.0.1', port: (server.address() as net.AddressInfo).port }, rate: 100e6, rttMs: 100 });
  await wan.start();
  try {
    let first = 0;
    let got = 0;
    await new Promise<void>((ok, fail) => {
      const c = net.connect(wan.address().port, '127.0.0.1', () => c.write('GET'));
      c.on('data', (d: Buffer) => {
        first ||= performance.now();
        got += d.length;
      });
      c.on('end', () => ok());
      c.on('error', fail);
    });
    const body = performance.now() - first;
    assert.is(got, data.length);
    // From 10 segments doubling per round trip, 1 MiB needs 7 windows: 6 round trips after the first byte.
    assert.ok(body >= 550, `${body.toFixed(0)} ms from the first byte to the last`);
  } finally {
    await wan.stop();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
});

test.run();
