// What one request (and at most one ACK) to `pfs tftp serve` brings back to the address
// it came from, with the server's defaults: the reflection a forged source address buys.
//   node --import tsx bench/tftp-reflection.ts
// Figures: bench/RELIABILITY.md, section "TFTP server".
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../src/net/tftp/server';
import { encodeAck, encodeRequest, Op } from '../src/net/tftp/packet';

const dir = await mkdtemp(join(tmpdir(), 'pfs-reflect-'));
await writeFile(join(dir, 'SCCP41.loads'), Buffer.alloc(32 << 20, 7));
const server = new TftpServer({ root: dir, port: 0 });
await server.start();
const port = server.address().port;

async function probe(label: string, options: Record<string, string>, ackZero: boolean): Promise<void> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
  let packets = 0;
  let bytes = 0;
  let acked = false;
  const req = encodeRequest(Op.RRQ, 'SCCP41.loads', 'octet', options);
  sock.on('message', (m, r) => {
    packets++;
    bytes += m.length;
    if (ackZero && !acked) {
      acked = true;
      sock.send(encodeAck(0), r.port, r.address);
    }
  });
  const t0 = performance.now();
  sock.send(req, port, '127.0.0.1');
  // The transfer gives up on its own (timeout doubling, retries): wait until it has.
  while (server.stats.active > 0 || performance.now() - t0 < 500) await new Promise((r) => setTimeout(r, 100));
  sock.close();
  const sent = req.length + (ackZero ? 4 : 0);
  console.log(`| ${label} | ${sent} B | ${packets} | ${bytes} B | x${Math.round(bytes / sent)} | ${((performance.now() - t0) / 1000).toFixed(0)} s |`);
}

console.log('| what the client sends | bytes sent | packets back | bytes back | factor | server busy for |');
console.log('|---|---:|---:|---:|---:|---:|');
await probe('RRQ, no options, no ACK', {}, false);
await probe('RRQ blksize 65464 windowsize 64 timeout 255, no ACK', { blksize: '65464', windowsize: '64', timeout: '255' }, false);
await probe('RRQ blksize 65464 windowsize 64, then ACK 0 only', { blksize: '65464', windowsize: '64' }, true);
await server.stop();
await rm(dir, { recursive: true, force: true });
