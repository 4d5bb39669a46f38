// The attacks behind `npm run adversary` and its short version in npm test
// (test/bench/adversary.test.ts): honest boards, each running `pfs boot` (bootBoard,
// the `sim` board file) on a root folder of its own and on an address of its own in
// 127.0.0.0/8 (so a datagram's source address tells them apart), upgrade from a TFTP
// origin laid out as a CUCM server would have it (bench/adversary-site.ts) while a
// hostile host on 127.0.0.200 attacks the hierarchy. Under every attack each honest
// board must commit the right load, within the limit, with every component on its
// active slot hashing right (pfs boot reads back before it commits; checkBoard hashes
// the slot again, apart from it), and no board may keep a byte that is not the origin's.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../src/dload/index';
import { Rng } from '../src/sim/rng';
import { TftpServer } from '../src/net/tftp/server';
import { WanEmulator } from '../src/net/wan';
import type { PeerNode } from '../src/net/peer/peer-node';
import { bootBoard, EXIT } from '../src/boot/boot';
import { createLogger } from '../src/log/logger';
import { BOARDS_DIR, boardAddr, checkBoard, prepareAdversarySite } from './adversary-site';

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

const ATTACKER = '127.0.0.200';

export interface AdversaryResult {
  attack: Attack;
  boards: number;
  /** Honest boards whose pfs boot committed the right load, its active slot hashing right (read back). */
  verified: number;
  /** Boards that committed a load whose active slot does not hash right, or a wrong load: must be 0. */
  badFiles: number;
  /** Seconds until the last honest board committed (or the limit). */
  fleetSeconds: number;
  /** Bytes the origin sent, in copies of the file. */
  originCopies: number;
  attacker: { datagrams: number; bytes: number; connections: number };
  errors: string[];
}

/**
 * Runs `boards` honest boards through `pfs boot` (a load of one `size`-byte
 * component) under `attack`; gives up at `limitS` seconds.
 */
export async function adversary(o: { attack: Attack; boards: number; size: number; seed: number; limitS: number; wanRate?: number }): Promise<AdversaryResult> {
  const root = await mkdtemp(join(tmpdir(), 'pfs-adversary-'));
  const server = new TftpServer({ root: join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128, maxPerClient: 4096, maxTransfers: 4096 });
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const shooter = dgram.createSocket('udp4');
  // Each board's peer engine, once its pfs boot has read the configuration and started it.
  const live = new Map<number, PeerNode>();
  const boots: Promise<void>[] = [];
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
  let release = () => {};
  try {
    await mkdir(join(root, 'origin'));
    await server.start();
    await new Promise<void>((ok) => holder.bind(0, '0.0.0.0', ok));
    await new Promise<void>((ok) => shooter.bind(0, ATTACKER, ok));
    const bport = holder.address().port;
    // A WAN in front of the origin makes the download last, so the attack lasts with it.
    if (o.wanRate !== undefined && Number.isFinite(o.wanRate)) {
      wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: o.wanRate, rttMs: 20 });
      await wan.start();
    }
    const originPort = (wan ?? server).address().port;
    const site = await prepareAdversarySite(root, { boards: o.boards, size: o.size, server: () => ({ host: '127.0.0.1', port: originPort }), bport });
    const key = site.key;
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
    // The attacks aim at every board whose peer engine runs (its ports are known from then on).
    const everyBoard = (fn: (n: PeerNode, i: number) => void) => live.forEach(fn);
    const every = (ms: number, fn: () => void) => timers.push(setInterval(fn, ms));
    const ids = Array.from({ length: o.boards }, (_, i) => site.nodeId(i));
    const connect = (n: PeerNode, i: number, first: Buffer, trickle: boolean) => {
      attacker.connections++;
      const s = net.connect({ port: n.tcpPort, host: boardAddr(i), localAddress: ATTACKER });
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
          for (const [k, m2] of live) send(m, m2.udpPort, boardAddr(k));
        }));
        break;
      case 'fake-root':
        every(30, () => send(encode({ type: 'ConfirmedRoot', key, sender: 0xfffffff0, strength: 0xffffffff, held: 2 ** 53 - 1, tcpPort: stallPort, ad: 0, map: 0xffffffff }), bport));
        break;
      case 'spoofed-parentassigned':
        every(100, () => everyBoard((n, i) => {
          const sender = ids[rng.u32() % ids.length]!;
          send(encode({ type: 'ParentAssigned', key, sender, target: ids[i]!, parentId: 0xfffffff1, parentAddr: ATTACKER, parentPort: stallPort, depth: 1 }), n.udpPort, boardAddr(i));
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

    const t0 = Date.now();
    const committedAt = new Map<number, number>();
    const outcomes = new Map<number, string>();
    // A board is settled once it committed (it may stay up after, a parent to the others) or its pfs boot ended.
    const settled: Promise<void>[] = [];
    const lingerUntil = new Promise<void>((r) => (release = r));
    const boot = (i: number, peersUp?: () => void) => {
      let settle!: () => void;
      settled.push(new Promise<void>((r) => (settle = r)));
      const lines: string[] = [];
      boots.push(
        bootBoard({
          board: 'sim',
          boardsDir: BOARDS_DIR,
          root: site.rootOf(i),
          tftp: { blksize: 1468, windowsize: 32 },
          log: createLogger('PFS', { level: 'ERR', sinks: [{ writeLine: (l) => void lines.push(l) }] }),
          configTries: 5,
          upgradeTimeoutMs: o.limitS * 1000,
          // Stay a parent for the others until they are served, or every board is done.
          lingerMs: o.limitS * 1000,
          lingerUntil,
          display: false,
          leds: false,
          peerFaults: o.attack === 'corrupting-root' && i === 0 ? { corruptServed: true } : undefined,
          onPeers: (p) => {
            live.set(i, p);
            peersUp?.();
          },
          onCommitted: (at) => {
            committedAt.set(i, at);
            settle();
          },
        }).then(
          (r) => {
            if (r.exit === EXIT.REBOOT && r.outcome?.kind === 'committed' && r.outcome.load === site.load) outcomes.set(i, 'committed');
            else outcomes.set(i, `pfs boot ended with exit ${r.exit} (${r.outcome?.kind === 'failed' ? r.outcome.reason : r.outcome?.kind === 'committed' ? `committed ${r.outcome.load}, not ${site.load}` : (r.outcome?.kind ?? lines.at(-1) ?? 'no outcome')})`);
            settle();
          },
          (e: Error) => {
            outcomes.set(i, `pfs boot threw: ${e.message}`);
            settle();
          },
        ),
      );
    };
    // The corrupting board starts first, so it is the root the others find.
    if (o.attack === 'corrupting-root') {
      await new Promise<void>((up) => {
        boot(0, up);
        void boots[0]!.then(up);
      });
      await new Promise((r) => setTimeout(r, 1500));
    }
    for (let i = o.attack === 'corrupting-root' ? 1 : 0; i < o.boards; i++) boot(i);
    let limit: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(settled), new Promise((r) => (limit = setTimeout(r, o.limitS * 1000)))]);
    clearTimeout(limit);
    // The attack ends; a board that committed leaves once its children are served.
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    // Every board is done (or the limit passed): none need stay a parent any longer.
    release();
    await Promise.all(boots);
    let last = 0;
    for (let i = 0; i < o.boards; i++) {
      const at = committedAt.get(i);
      const out = outcomes.get(i) ?? 'pfs boot did not end';
      if (at === undefined) {
        errors.push(`board ${i}: ${out}`);
        continue;
      }
      // What flash holds, hashed apart from pfs boot's own read-back (late or not).
      const c = await checkBoard(root, site, i);
      if (c.load !== site.load || c.bad) {
        badFiles++;
        errors.push(`board ${i}: ${c.bad ?? `active load ${c.load}, not ${site.load}`}`);
      } else if (at - t0 > o.limitS * 1000) errors.push(`board ${i}: committed after ${((at - t0) / 1000).toFixed(1)} s`);
      else if (out !== 'committed') errors.push(`board ${i}: ${out}`);
      else {
        verified++;
        last = Math.max(last, at - t0);
      }
    }
    fleetSeconds = verified === o.boards ? last / 1000 : o.limitS;
    if (verified + badFiles < o.boards) errors.push(`${o.boards - verified - badFiles} boards did not commit ${site.load} within ${o.limitS} s`);
    originCopies = (server.stats.bytesByFile.get(site.component) ?? 0) / site.site.setBytes;
  } finally {
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    release();
    stall?.close();
    await Promise.all([...live.values()].map((n) => n.stop()));
    await Promise.allSettled(boots);
    shooter.close();
    holder.close();
    await wan?.stop();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  return { attack: o.attack, boards: o.boards, verified, badFiles, fleetSeconds, originCopies, attacker, errors };
}
