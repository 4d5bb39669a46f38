// The parent's stream as a member reads it: straight into one buffer per block, so
// a block reaches flash and the children in one piece, whatever sizes the socket
// delivered; the header read apart from the data; a parent that refuses or sends
// past the file's end.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { ParentLink } from '../../../src/net/peer/parent-link';
import { BlockAssembler, planFor } from '../../../src/net/peer/block-assembler';
import { hierarchyKey } from '../../../src/dload/key';
import { encode, STREAM_STATUS } from '../../../src/dload/wire';
import { createLogger } from '../../../src/log/logger';
import { sleep } from '../../../src/io/sleep';

const KEY = hierarchyKey('CP-7961G', 'apps.sbn');
const BLOCK = 64 * 1024;
const log = createLogger('TEST', { level: 'ERR', sinks: [] });

/** A parent that answers with `header` and then writes `body` in pieces of `piece` bytes, pausing between some. */
async function parent(header: Buffer, body: Buffer, piece: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => {
    s.once('data', async () => {
      // The header in two writes with a pause: the member reads it in two pieces.
      s.write(header.subarray(0, 10));
      await sleep(20);
      s.write(header.subarray(10));
      for (let o = 0, n = 0; o < body.length; o += piece, n++) {
        s.write(body.subarray(o, o + piece));
        if (n % 16 === 0) await sleep(1);
      }
      s.end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((ok) => server.close(() => ok())) };
}

function link(port: number, size: number, fromOffset: number, ended: (refused: boolean) => void): ParentLink {
  return new ParentLink({ key: KEY, file: 'apps.sbn', nodeId: 2, parentId: 1, addr: '127.0.0.1', port, fromOffset, size, blockSize: BLOCK, log }, ended);
}

test('every block arrives in one buffer of its own and comes out of the assembler as one piece, the bytes intact, from a resumed offset too', async () => {
  const data = randomBytes(5 * BLOCK + 777);
  for (const from of [0, 2 * BLOCK]) {
    const header = encode({ type: 'StreamResponse', key: KEY, sender: 1, status: STREAM_STATUS.OK, size: data.length, offset: from });
    const p = await parent(header, data.subarray(from), 1000);
    const chunks: Buffer[] = [];
    const blocks: { index: number; slices: Buffer[] }[] = [];
    const asm = new BlockAssembler(planFor(data, BLOCK), from / BLOCK, 'parent', { verified: (index, slices) => blocks.push({ index, slices }) });
    const done = new Promise<boolean>((ok) => {
      const l = link(p.port, data.length, from, ok);
      l.start((b) => {
        chunks.push(b);
        asm.push(b);
        return true;
      });
    });
    assert.is(await done, false, 'not refused');
    await p.close();
    assert.ok(Buffer.concat(chunks).equals(data.subarray(from)), 'the bytes as sent');
    assert.ok(chunks.length > blocks.length, `read in more pieces (${chunks.length}) than blocks (${blocks.length})`);
    // No read crosses a block's end, and each block's reads share one buffer.
    for (let i = 0, at = from; i < chunks.length; at += chunks[i]!.length, i++) {
      assert.is(Math.floor(at / BLOCK), Math.floor((at + chunks[i]!.length - 1) / BLOCK), `read ${i} at ${at} stays in its block`);
    }
    assert.equal(blocks.map((b) => b.index), [...Array(6 - from / BLOCK).keys()].map((k) => k + from / BLOCK));
    assert.ok(blocks.every((b) => b.slices.length === 1), `one piece per block: ${blocks.map((b) => b.slices.length).join(',')}`);
    assert.ok(Buffer.concat(blocks.map((b) => b.slices[0]!)).equals(data.subarray(from)));
  }
});

test('a parent that answers with another status is refused, and no byte reaches the pipeline', async () => {
  const header = encode({ type: 'StreamResponse', key: KEY, sender: 1, status: STREAM_STATUS.BUSY, size: 0, offset: 0 });
  const p = await parent(header, Buffer.alloc(0), 1);
  let bytes = 0;
  const refused = await new Promise<boolean>((ok) => link(p.port, BLOCK, 0, ok).start((b) => ((bytes += b.length), true)));
  await p.close();
  assert.is(refused, true);
  assert.is(bytes, 0);
});

test('bytes past the end of the file are passed on as they come (the pipeline refuses them), in pieces, without failing the link', async () => {
  const size = BLOCK + 100;
  const body = randomBytes(size + 20_000);
  const header = encode({ type: 'StreamResponse', key: KEY, sender: 1, status: STREAM_STATUS.OK, size, offset: 0 });
  const p = await parent(header, body, 3000);
  const chunks: Buffer[] = [];
  const refused = await new Promise<boolean>((ok) => link(p.port, size, 0, ok).start((b) => (chunks.push(b), true)));
  await p.close();
  assert.is(refused, false);
  assert.ok(Buffer.concat(chunks).equals(body), 'what the parent sent, past the end included');
});

test.run();
