// A transfer given up before the server's first reply (a claimant's manifest fetched
// ahead, then the claim lost) must still tell the server to stop: otherwise the server
// resends its first window over the WAN until its own retries run out (seen at 64
// boards: the manifest sent 4-5 times to claimants that had left).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { tftpGet } from '../../../src/net/tftp/client';
import { Op } from '../../../src/net/tftp/packet';

function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((ok) => s.bind(0, '127.0.0.1', () => ok(s)));
}

function data(block: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUInt16BE(Op.DATA, 0);
  b.writeUInt16BE(block, 2);
  payload.copy(b, 4);
  return b;
}

/** The first datagram `sock` receives within `ms`, or undefined. */
async function nextDatagram(sock: dgram.Socket, ms: number): Promise<Buffer | undefined> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  try {
    const [msg] = (await once(sock, 'message', { signal: ac.signal })) as [Buffer];
    return msg;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

test('a transfer aborted before the server answers refuses the server\'s late first packet with ERROR', async () => {
  const listen = await bound();
  const transfer = await bound(); // the server's new TID for this transfer
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: listen.address().port, file: 'load.xml', timeoutMs: 500 });
    const [, client] = (await once(listen, 'message')) as [Buffer, dgram.RemoteInfo];
    dl.abort();
    await dl.deliver(() => true).catch(() => {});
    transfer.send(data(1, Buffer.alloc(512, 7)), client.port, '127.0.0.1');
    const answer = await nextDatagram(transfer, 1500);
    assert.ok(answer, 'the client answered the late DATA');
    assert.is(answer!.readUInt16BE(0), Op.ERROR, 'with an ERROR, so the server stops sending');
  } finally {
    listen.close();
    transfer.close();
  }
});

test('a transfer that finished with an answer from the server does not linger for another', async () => {
  const listen = await bound();
  const transfer = await bound();
  try {
    const dl = tftpGet({ host: '127.0.0.1', port: listen.address().port, file: 'small.xml', timeoutMs: 500 });
    const got: Buffer[] = [];
    const done = dl.deliver((b) => (got.push(Buffer.from(b)), true));
    const [, client] = (await once(listen, 'message')) as [Buffer, dgram.RemoteInfo];
    transfer.send(data(1, Buffer.from('<x/>')), client.port, '127.0.0.1');
    await done;
    assert.is(Buffer.concat(got).toString(), '<x/>');
    const ack = await nextDatagram(transfer, 1000);
    assert.ok(ack && ack.readUInt16BE(0) === Op.ACK, 'the last block is acknowledged');
  } finally {
    listen.close();
    transfer.close();
  }
});

test.run();
