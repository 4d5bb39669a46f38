// Forward while flash writes: a verified block goes to the children at once and
// flash writes it alongside. A child that joins late reads from flash and then from
// the blocks still waiting for it, and gets the exact file; a child may hold a block
// its parent has not yet on flash; flash refusing a block that children already have
// stops the parent, and what the children got is the file's own bytes (they verify
// each block themselves and keep it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { FilePipeline, type FlashWriteError } from '../../../src/net/peer/pipeline';
import { Fanout } from '../../../src/net/peer/fanout';
import type { ByteSink, Source } from '../../../src/net/peer/source';
import { until } from '../../helpers/net';
import { testMedium, type TestMedium } from './media';

const BLOCK = 64 * 1024;

/** Flash whose writes starting at or past `below` wait until the test raises it. */
function gatedMedium(m: TestMedium, below = 0) {
  let raised = () => {};
  let moved = new Promise<void>((ok) => (raised = ok));
  let reads = 0;
  const medium: TestMedium = Object.create(m, {
    writev: {
      value: async (b: readonly Buffer[], pos: number) => {
        while (pos >= below) await moved;
        return m.writev(b, pos);
      },
    },
    read: { value: (buf: Buffer, off: number, len: number, pos: number) => (reads++, m.read(buf, off, len, pos)) },
  });
  return {
    medium,
    /** Reads from flash so far (a child's catch-up). */
    get reads() {
      return reads;
    },
    /** Lets every write through. */
    open: () => {
      below = Infinity;
      raised();
    },
  };
}

/** The file from memory, in network-sized pieces, pausing when the pipeline says so. */
class MemorySource implements Source {
  readonly kind = 'parent';
  readonly label = 'memory';
  readonly startsAt = 0;
  private sink?: ByteSink;
  private off = 0;
  private stopped = false;
  constructor(private readonly data: Buffer) {}
  start(sink: ByteSink): void {
    this.sink = sink;
    this.resume();
  }
  resume(): void {
    setImmediate(() => {
      while (!this.stopped && this.off < this.data.length) {
        const piece = this.data.subarray(this.off, Math.min(this.off + 24_000, this.data.length));
        this.off += piece.length;
        if (!this.sink!(piece)) return;
      }
    });
  }
  stop(): void {
    this.stopped = true;
  }
}

/** A parent as peer-node.ts wires one (forward 'cut'): pipeline → fanout, children on a TCP port. */
async function parent(data: Buffer, medium: TestMedium) {
  const plan = { size: data.length, blockSize: BLOCK, hashes: [] as Buffer[] };
  for (let o = 0; o < data.length; o += BLOCK) plan.hashes.push(createHash('sha256').update(data.subarray(o, o + BLOCK)).digest());
  const stored: number[] = [];
  let failure: FlashWriteError | undefined;
  let fan!: Fanout;
  const limit = (i: number) => Math.min((i + 1) * BLOCK, data.length);
  const pipeline = new FilePipeline('cut.bin', plan, async () => medium, {
    verified: (i, slices) => fan.release(limit(i), slices),
    stored: (i, slices) => {
      stored.push(i);
      fan.release(limit(i), slices);
    },
    corrupt: (i) => assert.unreachable(`block ${i} corrupt`),
    // What the core does on a LocalFailure (FileFailed): the parent closes its children.
    failed: (e) => {
      failure = e;
      fan.close();
    },
  });
  await pipeline.open();
  fan = new Fanout(pipeline.spool, data.length, { served: () => {}, lost: () => {} });
  let n = 0;
  const server = net.createServer((sock) => fan.add(sock, `child${n++}`, 0));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as net.AddressInfo).port;
  return {
    pipeline,
    fan,
    stored,
    get failure() {
      return failure;
    },
    start: () => pipeline.attach(new MemorySource(data)),
    child: () => child(port),
    close: async () => {
      fan.close();
      server.close();
      await pipeline.close().catch(() => {});
    },
  };
}

function child(port: number) {
  const sock = net.connect(port, '127.0.0.1');
  const parts: Buffer[] = [];
  let bytes = 0;
  sock.on('data', (b: Buffer) => (parts.push(b), (bytes += b.length)));
  const ended = new Promise<Buffer>((ok) => sock.on('close', () => ok(Buffer.concat(parts))));
  return {
    ended,
    get bytes() {
      return bytes;
    },
  };
}

const waitFor = (cond: () => boolean, what: string) => until(cond, { timeoutMs: 10_000, what });

test('a child gets blocks before they reach flash, and the exact file', async () => {
  const data = randomBytes(20 * BLOCK + 999);
  const g = gatedMedium(testMedium({ device: 'mmcblk0p3', size: data.length }));
  const p = await parent(data, g.medium);
  try {
    const c = p.child();
    await waitFor(() => p.fan.childCount === 1, 'the child');
    p.start();
    // Flash has taken nothing yet: every byte the child has came from memory.
    await waitFor(() => c.bytes >= 4 * BLOCK, 'four blocks at the child');
    assert.is(g.medium.end, 0, 'nothing is on flash yet');
    assert.is(p.stored.length, 0, 'no block counts as stored');
    g.open();
    assert.ok((await c.ended).equals(data), 'the child has the exact file');
    await waitFor(() => p.stored.length === 21, 'every block stored');
    assert.ok(g.medium.data.equals(data), 'and flash has it too');
  } finally {
    await p.close();
  }
});

test('a late child reads flash, then the blocks still waiting for it, then the live stream: the exact file', async () => {
  const data = randomBytes(60 * BLOCK + 123);
  const g = gatedMedium(testMedium({ device: 'mmcblk0p3', size: data.length }), 24 * BLOCK);
  const p = await parent(data, g.medium);
  try {
    const early = p.child();
    await waitFor(() => p.fan.childCount === 1, 'the early child');
    // Some blocks onto flash, then flash stalls while more are verified.
    p.start();
    await waitFor(() => p.pipeline.spool.flushed >= 24 * BLOCK, '24 blocks on flash');
    await waitFor(() => p.pipeline.spool.held >= p.pipeline.spool.flushed + 4 * BLOCK, 'blocks waiting for flash');
    const spool = p.pipeline.spool;
    assert.ok(spool.flushed < spool.held, `the late child needs bytes from memory (flash ${spool.flushed}, held ${spool.held})`);
    const late = p.child();
    await waitFor(() => late.bytes >= spool.flushed + BLOCK, 'the late child past what flash holds');
    assert.ok(g.reads > 0, 'it read the start of the file from flash');
    assert.ok(late.bytes > g.medium.end, 'and got bytes that are not on flash');
    g.open();
    assert.ok((await late.ended).equals(data), 'the late child has the exact file');
    assert.ok((await early.ended).equals(data), 'the early one too');
  } finally {
    await p.close();
  }
});

test('flash refusing a block the children already have: the parent stops, the children hold verified bytes', async () => {
  const data = randomBytes(24 * BLOCK);
  const g = gatedMedium(testMedium({ device: 'mtd3', size: data.length, failAt: 3 * BLOCK + 10 }));
  const p = await parent(data, g.medium);
  try {
    const c = p.child();
    await waitFor(() => p.fan.childCount === 1, 'the child');
    p.start();
    await waitFor(() => c.bytes >= 8 * BLOCK, 'eight blocks at the child');
    g.open();
    const got = await c.ended;
    const e = p.failure;
    assert.ok(e, 'the parent failed the file');
    assert.is(e!.code, 'PFS_ERR_FLASH_WRITE');
    assert.match(e!.message, 'mtd3');
    assert.match(e!.message, `offset ${3 * BLOCK}`, 'naming the block flash refused');
    assert.ok(g.medium.end <= 3 * BLOCK, `nothing from the refused block on reached flash (end ${g.medium.end})`);
    assert.equal(p.stored, [0, 1, 2], 'only what is on flash counts as stored');
    assert.ok(got.length >= 8 * BLOCK && got.length < data.length, `the child got ${got.length} bytes, then the parent stopped`);
    // What the child got is the file's own bytes: each whole block passes its hash, so a child keeps it.
    assert.ok(got.equals(data.subarray(0, got.length)), 'every byte the child got is the file\'s');
  } finally {
    await p.close();
  }
});

test.run();
