// One honest board as a process of its own, for the attacks that need one (a parent
// frozen with SIGSTOP): a PeerNode that takes one file and says "done" or "failed: …"
// on standard output. Started by bench/adversary-frozen.ts with a JSON argument.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PeerNode } from '../src/net/peer/peer-node';
import { planFor } from '../src/net/peer/block-assembler';
import { checkFileOnDisk } from '../src/lab/verify-file';

const a = JSON.parse(process.argv[2]!) as { nodeId: number; addr: string; bport: number; origin: { host: string; port: number }; dir: string; originFile: string };
const name = a.originFile.split('/').pop()!;
const plan = planFor(await readFile(a.originFile), 64 * 1024);
const node = new PeerNode({ nodeId: a.nodeId, model: 'CP-7961G', addr: a.addr, udpPort: 0, tcpPort: 0, broadcast: { addr: '127.255.255.255', port: a.bport }, origin: { ...a.origin, blksize: 1468, windowsize: 32 }, dir: a.dir });
await node.start();
process.stdout.write('started\n');
try {
  await node.fetch({ name, plan });
  const bad = await checkFileOnDisk(join(a.dir, name), plan);
  process.stdout.write(bad ? `failed: ${bad}\n` : 'done\n');
  // Stay a parent a while for those still taking the file from this board.
  await Promise.race([node.served(), new Promise((r) => setTimeout(r, 30_000))]);
} catch (e) {
  process.stdout.write(`failed: ${(e as Error).message}\n`);
}
await node.stop();
