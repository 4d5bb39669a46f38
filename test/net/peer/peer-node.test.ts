import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TftpServer } from '../../../src/net/tftp/server';
import { WanEmulator } from '../../../src/net/wan';
import { PeerNode } from '../../../src/net/peer/peer-node';
import { generateFirmware } from '../../../src/lab/firmware';
import { checkFileOnDisk } from '../../../src/lab/verify-file';

/** A site on loopback: origin behind a slow WAN, `n` boards with ports of their own. */
async function site(n: number, size: number) {
  const root = await mkdtemp(join(tmpdir(), 'pfs-peer-'));
  await mkdir(join(root, 'origin'));
  const [file] = await generateFirmware(join(root, 'origin'), { files: 1, totalBytes: size, blockSize: 64 * 1024, load: 'T', seed: 'peer-node' });
  const server = new TftpServer({ root: join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128 });
  await server.start();
  // Slow enough that a board can be stopped mid-file.
  const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: 8e6, rttMs: 20 });
  await wan.start();
  const base = 10000 + Math.floor(Math.random() * 20000);
  const boards: PeerNode[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < n; i++) {
    const dir = join(root, `b${i}`);
    await mkdir(dir);
    dirs.push(dir);
    const b = new PeerNode({
      nodeId: 0x1000 + i,
      model: 'CP-7961G',
      addr: '127.0.0.1',
      udpPort: base + i,
      tcpPort: base + i,
      broadcast: { addr: '127.255.255.255', port: base - 1 },
      origin: { host: '127.0.0.1', port: wan.address().port, blksize: 1468, windowsize: 32 },
      dir,
    });
    await b.start();
    boards.push(b);
  }
  const close = async () => {
    await Promise.all(boards.map((b) => b.stop()));
    await wan.stop();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  };
  return { file: file!, boards, dirs, server, close };
}

const until = async (cond: () => boolean, ms: number, what: string) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test('a parent stopped mid-file: its children resume from their offset under another parent', async () => {
  const s = await site(7, 3 << 20);
  try {
    const done = s.boards.map((b) => b.fetch({ name: s.file.name, plan: s.file.plan }));
    // Wait until a member with children is part-way through, then pull its plug.
    let victim = -1;
    await until(() => {
      victim = s.boards.findIndex((b) => b.status().some((f) => f.role === 'member' && f.children > 0 && f.verifiedBytes > 512 * 1024));
      return victim >= 0;
    }, 20_000, 'a parent mid-file');
    await s.boards[victim]!.stop();
    const rest = done.filter((_, i) => i !== victim);
    done[victim]!.catch(() => {});
    await Promise.all(rest);
    for (let i = 0; i < s.boards.length; i++) {
      if (i === victim) continue;
      assert.is(await checkFileOnDisk(join(s.dirs[i]!, s.file.name), s.file.plan), undefined, `board ${i} file intact`);
    }
    assert.is(s.server.stats.bytesSent, s.file.size, 'the origin still sent one copy');
  } finally {
    await s.close();
  }
});

test('the root stopped mid-file: a new root is elected and every survivor completes', async () => {
  const s = await site(5, 3 << 20);
  try {
    const done = s.boards.map((b) => b.fetch({ name: s.file.name, plan: s.file.plan }));
    let root = -1;
    await until(() => {
      root = s.boards.findIndex((b) => b.status().some((f) => f.role === 'root' && f.verifiedBytes > 512 * 1024));
      return root >= 0;
    }, 20_000, 'the root mid-file');
    await s.boards[root]!.stop();
    done[root]!.catch(() => {});
    await Promise.all(done.filter((_, i) => i !== root));
    const roots = s.boards.filter((b, i) => i !== root && b.status().some((f) => f.role === 'root'));
    assert.is(roots.length, 1, 'exactly one new root');
    for (let i = 0; i < s.boards.length; i++) {
      if (i !== root) assert.is(await checkFileOnDisk(join(s.dirs[i]!, s.file.name), s.file.plan), undefined);
    }
    // TFTP cannot seek: the new root reads its held prefix again and skips it.
    assert.ok(s.server.stats.bytesSent < 2 * s.file.size, `origin sent ${s.server.stats.bytesSent}`);
  } finally {
    await s.close();
  }
});

test.run();
