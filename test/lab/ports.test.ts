// Board ports of a loopback lab: free for both UDP and TCP, and outside the kernel's
// ephemeral range, so that a socket bound to port 0 (a board's TFTP client) is never
// given a board's port in the instant between the lab's release and the board's bind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { BOARD_PORTS_FROM, ephemeralRange, pickBoardPorts } from '../../src/lab/ports';

test('regression: board ports come from below the ephemeral range (a board whose port a TFTP client took upgraded by plain TFTP: 2.00 WAN copies per model at 64 boards)', async () => {
  const range = ephemeralRange();
  assert.ok(range, 'the kernel tells its ephemeral range');
  const picked = await pickBoardPorts(64);
  try {
    assert.is(new Set(picked.ports).size, 64);
    for (const p of picked.ports) assert.ok(p >= BOARD_PORTS_FROM && p < range![0], `port ${p} outside ${BOARD_PORTS_FROM}..${range![0] - 1}`);
  } finally {
    await picked.release();
  }
  // The ports are free again for the boards: a UDP bind on each succeeds.
  for (const p of picked.ports.slice(0, 4)) {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((ok, fail) => {
      s.once('error', fail);
      s.bind(p, '127.0.0.1', () => ok());
    });
    s.close();
  }
});

test('a port taken below the range is skipped, and without a known range the kernel chooses', async () => {
  const first = await pickBoardPorts(8, '127.0.0.1', [BOARD_PORTS_FROM + 20, 60999]);
  try {
    // Only 20 candidates: all 8 from them, each once.
    for (const p of first.ports) assert.ok(p >= BOARD_PORTS_FROM && p < BOARD_PORTS_FROM + 20, `port ${p}`);
    const second = await pickBoardPorts(8, '127.0.0.1', [BOARD_PORTS_FROM + 20, 60999]);
    try {
      for (const p of second.ports) assert.not.ok(first.ports.includes(p), `port ${p} given twice`);
    } finally {
      await second.release();
    }
  } finally {
    await first.release();
  }
  const kernel = await pickBoardPorts(4, '127.0.0.1', undefined);
  try {
    assert.is(kernel.ports.length, 4);
  } finally {
    await kernel.release();
  }
});

test.run();
