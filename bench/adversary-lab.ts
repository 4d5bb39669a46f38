// The attacks behind `npm run adversary` and its short version in npm test
// (test/bench/adversary.test.ts): honest boards (PeerNode, each on an address of its
// own in 127.0.0.0/8, so a datagram's source address tells them apart) take a file
// from a TFTP origin while a hostile host on 127.0.0.200 attacks the hierarchy.
// Under every attack each honest board must end with the whole file verified, within
// the limit, and no board may keep a byte that is not the origin's.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, hierarchyKey } from '../src/dload/index';
import { Rng } from '../src/sim/rng';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import { PeerNode } from '../src/net/peer/peer-node';
import { generateFirmware } from '../src/lab/firmware';
import { checkFileOnDisk } from '../src/lab/verify-file';

export const ATTACKS = ['none', 'forged-badparent', 'fake-root', 'spoofed-parentassigned', 'corrupting-root', 'join-flood', 'hostile-children', 'slowloris'] as const;
export type Attack = (typeof ATTACKS)[number];

/** What each attack is, for the table. */
export const ATTACK_TEXT: Record<Attack, string> = {
  none: 'no attack (the baseline)',
  'forged-badparent': 'BadParent naming every board, claiming to be its child, 5 a second per board',
  'fake-root': 'ConfirmedRoot with the top strength and held = 2^53-1, 33 a second, its TCP port holding every connection',
  'spoofed-parentassigned': 'ParentAssigned to every board (sender = each real board id) naming a parent that accepts and never sends, 10 a second per board',
  'corrupting-root': 'the first board (root) flips a byte in every block it serves',
  'join-flood': 'JoinRequests from random ids, 2,000 a second',
  'hostile-children': 'valid StreamRequests (random ids) that never read, up to 16 open per board',
  slowloris: 'connections trickling their StreamRequest a byte a second, up to 32 per board',
};

const MODEL = 'CP-7961G';
const ATTACKER = '127.0.0.200';

export interface AdversaryResult {
  attack: Attack;
  boards: number;
  /** Honest boards that ended with every block verified (and the file on disk re-hashed right). */
  verified: number;
  /** Boards whose file on disk does not match its hashes (a wrong byte kept): must be 0. */
  badFiles: number;
  /** Seconds until the last honest board was done (or the limit). */
  fleetSeconds: number;
  /** Bytes the origin sent, in copies of the file. */
  originCopies: number;
  attacker: { datagrams: number; bytes: number; connections: number };
  errors: string[];
}

/**
 * Runs `boards` honest boards through one file of `size` bytes under `attack`;
 * gives up at `limitS` seconds.
 */
export async function adversary(o: { attack: Attack; boards: number; size: number; seed: number; limitS: number; wanRate?: number }): Promise<AdversaryResult> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-adversary-'));
  const server = new TftpServer({ root: join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128, maxPerClient: 4096, maxTransfers: 4096 });
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const shooter = dgram.createSocket('udp4');
  const nodes: PeerNode[] = [];
  const sockets = new Set<net.Socket>();
  const timers: NodeJS.Timeout[] = [];
  let stall: net.Server | undefined;
  let wan: WanEmulator | undefined;
  const rng = new Rng(o.seed);
  const attacker = { datagrams: 0, bytes: 0, connections: 0 };
  const errors: string[] = [];
  let verified = 0;
  let badFiles = 0;
  let fleetSeconds = o.limitS;
  let originCopies = 0;
  try {
    await mkdir(join(root, 'origin'));
    const [file] = await generateFirmware(join(root, 'origin'), { files: 1, totalBytes: o.size, blockSize: 64 * 1024, load: 'A', seed: `adversary-${o.seed}` });
    await server.start();
    await new Promise<void>((ok) => holder.bind(0, '0.0.0.0', ok));
    await new Promise<void>((ok) => shooter.bind(0, ATTACKER, ok));
    const bport = holder.address().port;
    // A WAN in front of the origin makes the download last, so the attack lasts with it.
    if (o.wanRate !== undefined && Number.isFinite(o.wanRate)) {
      wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: o.wanRate, rttMs: 20 });
      await wan.start();
    }
    const origin = { host: '127.0.0.1', port: (wan ?? server).address().port, blksize: 1468, windowsize: 32 };
    const key = hierarchyKey(MODEL, file!.name);
    for (let i = 0; i < o.boards; i++) {
      const dir = join(root, `b${i}`);
      await mkdir(dir);
      const node = new PeerNode({
        nodeId: 0x2000 + i, model: MODEL, addr: `127.0.0.${10 + i}`, udpPort: 0, tcpPort: 0,
        broadcast: { addr: '127.255.255.255', port: bport }, origin, dir,
        faults: o.attack === 'corrupting-root' && i === 0 ? { corruptServed: true } : undefined,
      });
      await node.start();
      nodes.push(node);
    }
    // A "parent" that accepts and never sends: where the fake root and forged placements point.
    stall = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
      s.pause();
    });
    await new Promise<void>((ok) => stall!.listen(0, ATTACKER, ok));
    const stallPort = (stall.address() as net.AddressInfo).port;

    const send = (bytes: Buffer, port: number, addr = '127.255.255.255') => {
      attacker.datagrams++;
      attacker.bytes += bytes.length;
      shooter.send(bytes, port, addr);
    };
    const everyBoard = (fn: (n: PeerNode, i: number) => void) => nodes.forEach(fn);
    const every = (ms: number, fn: () => void) => timers.push(setInterval(fn, ms));
    const ids = nodes.map((_, i) => 0x2000 + i);
    const connect = (n: PeerNode, i: number, first: Buffer, trickle: boolean) => {
      attacker.connections++;
      const s = net.connect({ port: n.tcpPort, host: `127.0.0.${10 + i}`, localAddress: ATTACKER });
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
      if (!trickle) {
        s.on('connect', () => {
          s.write(first);
          s.pause(); // never read: the board's writes back up
        });
        return;
      }
      let at = 0;
      const tk = setInterval(() => {
        if (at >= first.length - 1 || s.destroyed) return clearInterval(tk);
        s.write(first.subarray(at, ++at));
      }, 1000);
      timers.push(tk);
    };
    const open = new Map<number, number>();
    const perBoard = (n: PeerNode) => [...sockets].filter((s) => s.remotePort === n.tcpPort && !s.destroyed).length;

    switch (o.attack) {
      case 'forged-badparent':
        every(200, () => everyBoard((_n, i) => {
          const child = ids[(i + 1 + (rng.u32() % (ids.length - 1))) % ids.length]!;
          const m = encode({ type: 'BadParent', key, sender: child, tcpPort: 4051, children: 0, held: 0, parentId: ids[i]!, refused: false });
          send(m, bport);
          for (const m2 of nodes) send(m, m2.udpPort, `127.0.0.${10 + nodes.indexOf(m2)}`);
        }));
        break;
      case 'fake-root':
        every(30, () => send(encode({ type: 'ConfirmedRoot', key, sender: 0xfffffff0, strength: 0xffffffff, held: 2 ** 53 - 1, tcpPort: stallPort, ad: 0, map: 0xffffffff }), bport));
        break;
      case 'spoofed-parentassigned':
        every(100, () => everyBoard((n, i) => {
          const sender = ids[rng.u32() % ids.length]!;
          send(encode({ type: 'ParentAssigned', key, sender, target: ids[i]!, parentId: 0xfffffff1, parentAddr: ATTACKER, parentPort: stallPort, depth: 1 }), n.udpPort, `127.0.0.${10 + i}`);
        }));
        break;
      case 'join-flood':
        every(10, () => {
          for (let k = 0; k < 20; k++) {
            const m = encode({ type: 'JoinRequest', key, sender: rng.u32(), tcpPort: 1 + (rng.u32() % 65535), children: 0, held: 0, parentId: 0, refused: false });
            send(m, bport);
          }
        });
        break;
      case 'hostile-children':
        every(200, () => everyBoard((n, i) => {
          if (perBoard(n) >= 16) return;
          connect(n, i, encode({ type: 'StreamRequest', key, sender: rng.u32(), offset: 0 }), false);
        }));
        break;
      case 'slowloris':
        every(100, () => everyBoard((n, i) => {
          if ((open.get(i) ?? 0) >= 32) return;
          open.set(i, (open.get(i) ?? 0) + 1);
          connect(n, i, encode({ type: 'StreamRequest', key, sender: rng.u32(), offset: 0 }), true);
        }));
        break;
      default:
        break;
    }

    const t0 = performance.now();
    let last = 0;
    const done: Promise<void>[] = [];
    // The corrupting board starts first, so it is the root the others find.
    if (o.attack === 'corrupting-root') {
      done.push(watch(nodes[0]!, 0));
      await new Promise((r) => setTimeout(r, 1500));
    }
    function watch(n: PeerNode, i: number): Promise<void> {
      return n.fetch({ name: file!.name, plan: file!.plan }).then(
        async () => {
          last = Math.max(last, performance.now() - t0);
          const bad = await checkFileOnDisk(join(root, `b${i}`, file!.name), file!.plan);
          if (bad) {
            badFiles++;
            errors.push(`board ${i}: ${bad}`);
          } else verified++;
        },
        (e: Error) => void errors.push(`board ${i}: ${e.message}`),
      );
    }
    for (let i = o.attack === 'corrupting-root' ? 1 : 0; i < nodes.length; i++) done.push(watch(nodes[i]!, i));
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(done), new Promise((r) => (limit = setTimeout(r, o.limitS * 1000)))]);
    clearTimeout(limit);
    fleetSeconds = verified + badFiles === nodes.length ? last / 1000 : o.limitS;
    if (verified + badFiles < nodes.length) errors.push(`${nodes.length - verified - badFiles} boards not done within ${o.limitS} s`);
    originCopies = (server.stats.bytesByFile.get(file!.name) ?? 0) / file!.size;
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    stall?.close();
    await Promise.all(nodes.map((n) => n.stop()));
    shooter.close();
    holder.close();
    await wan?.stop();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  return { attack: o.attack, boards: o.boards, verified, badFiles, fleetSeconds, originCopies, attacker, errors };
}
