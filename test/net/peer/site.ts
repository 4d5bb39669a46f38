// A site on loopback for the data-path tests: the TFTP origin (no WAN in between, so
// the network is as fast as this machine) and PeerNodes on ports from the kernel.
import dgram from 'node:dgram';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../../src/net/tftp/server';
import { PeerNode, type PeerNodeOptions } from '../../../src/net/peer/peer-node';
import { generateFirmware, type GeneratedFile } from '../../../src/lab/firmware';
import { createLogger, type Logger } from '../../../src/log/logger';

export interface Site {
  root: string;
  file: GeneratedFile;
  server: TftpServer;
  origin: { host: string; port: number; blksize: number; windowsize: number };
  /** The UDP port every board hears broadcasts on (at 127.255.255.255). */
  broadcastPort: number;
  /** A board on this site; `lines` collects its console. */
  board(id: number, over?: Partial<PeerNodeOptions>): Promise<{ node: PeerNode; dir: string; lines: string[] }>;
  close(): Promise<void>;
}

/**
 * `size`: a new firmware file of that many bytes; or `made`: serve a file made
 * earlier (so a process measuring its memory does not first make 16 MiB of it).
 */
export async function site(size: number, made?: { dir: string; file: GeneratedFile }): Promise<Site> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-datapath-'));
  let file = made?.file;
  if (!made) {
    await mkdir(join(root, 'origin'));
    [file] = await generateFirmware(join(root, 'origin'), { files: 1, totalBytes: size, blockSize: 64 * 1024, load: 'T', seed: 'datapath' });
  }
  const server = new TftpServer({ root: made?.dir ?? join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128 });
  await server.start();
  // The shared advert port: taken from the kernel and held open by this socket.
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((ok) => holder.bind(0, '0.0.0.0', ok));
  const bport = holder.address().port;
  const origin = { host: '127.0.0.1', port: server.address().port, blksize: 1468, windowsize: 32 };
  const nodes: PeerNode[] = [];
  return {
    root,
    file: file!,
    server,
    origin,
    broadcastPort: bport,
    async board(id, over = {}) {
      const dir = join(root, `b${id}`);
      await mkdir(dir, { recursive: true });
      const lines: string[] = [];
      const logger: Logger = createLogger('BOARD', { level: 'DBG', sinks: [{ writeLine: (l) => void lines.push(l) }] });
      const node = new PeerNode({
        nodeId: 0x1000 + id, model: 'CP-7961G', addr: '127.0.0.1', udpPort: 0, tcpPort: 0,
        broadcast: { addr: '127.255.255.255', port: bport }, origin, dir, logger, ...over,
      });
      await node.start();
      nodes.push(node);
      return { node, dir, lines };
    },
    async close() {
      await Promise.all(nodes.map((n) => n.stop()));
      holder.close();
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
