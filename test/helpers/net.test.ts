// The test tree's port ranges: a board's peer port chosen by freePortRange must not be
// one the kernel can hand to a socket bound to port 0 later in the same file (it was:
// a TFTP client's socket took a board's peer port, the board went to plain TFTP and
// boot-e2e counted a WAN copy too many).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { ephemeralLow, freePortRange } from './net';

test('freePortRange: a range below the ephemeral ports, free for UDP and TCP, never where port-0 sockets land', async () => {
  const low = ephemeralLow();
  const sockets: dgram.Socket[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const first = await freePortRange(17);
      assert.ok(first >= 1024 && first + 16 < low, `range ${first}..${first + 16} against the ephemeral ports from ${low}`);
    }
    // What the kernel gives port 0 is at or above `low`, so it cannot be in such a range.
    for (let i = 0; i < 20; i++) {
      const s = dgram.createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((ok) => s.bind(0, '127.0.0.1', () => ok()));
      assert.ok(s.address().port >= low, `port 0 gave ${s.address().port}`);
    }
  } finally {
    for (const s of sockets) s.close();
  }
});

test.run();
