// The fuzzers behind `npm run fuzz` and its short version in npm test
// (test/bench/fuzz.test.ts): hostile datagrams and stream headers, seeded, bounded in
// count and time, against the sans-IO core and against live boards on loopback.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DLoadNode, decode, encode, hierarchyKey, type DLoadAction, type Message } from '../src/dload/index';
import { Rng } from '../src/sim/rng';
import { TftpServer } from '../src/net/tftp/server';
import { PeerNode } from '../src/net/peer/peer-node';
import { generateFirmware } from '../src/lab/firmware';
import { checkFileOnDisk } from '../src/lab/verify-file';

const MODEL = 'CP-7961G';
const FILE = 'apps41.9-4-2SR2-2S.sbn';
const SIZE = 1 << 20;
const BLOCK = 64 * 1024;

/** How a fuzzer's inputs were made, and what became of them. */
export interface FuzzTally {
  /** Inputs fed, by how they were made (random, header, mutated, wellformed). */
  made: Record<string, number>;
  /** What the decoder made of them (Malformed:<reason> or the message type). */
  decoded: Record<string, number>;
  /** Exceptions out of the code under test: must be 0. */
  crashes: number;
  /** The first crashes, to replay: the seed and the input's number. */
  firstCrashes: string[];
}

const tally = (): FuzzTally => ({ made: {}, decoded: {}, crashes: 0, firstCrashes: [] });
const bump = (r: Record<string, number>, k: string) => void (r[k] = (r[k] ?? 0) + 1);

const TYPES: Message['type'][] = ['ClaimRoot', 'ConfirmedRoot', 'JoinRequest', 'Orphaned', 'BadParent', 'ParentAssigned', 'StreamRequest', 'StreamResponse', 'StatusQuery'];

/** A generator of hostile inputs around one hierarchy (key) and a few known board ids. */
export class Hostile {
  readonly rng: Rng;
  constructor(
    seed: number,
    readonly key: string,
    readonly ids: number[],
  ) {
    this.rng = new Rng(seed);
  }

  int(n: number): number {
    return this.rng.u32() % n;
  }

  /** A number a field might hold: edges more often than chance would give them. */
  wild(max: number): number {
    switch (this.int(6)) {
      case 0: return 0;
      case 1: return max;
      case 2: return this.int(16);
      case 3: return Math.max(0, max - this.int(16));
      default: return this.int(max + 1);
    }
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  id(): number {
    return this.int(3) === 0 ? this.rng.u32() : this.ids[this.int(this.ids.length)]!;
  }

  /** A message every field of which is drawn, encoded as a board would. */
  wellFormed(type = TYPES[this.int(TYPES.length)]!): Buffer {
    const key = this.int(5) === 0 ? this.bytes(8).toString('hex') : this.key;
    const sender = this.id();
    const held = this.int(4) === 0 ? this.wild(2 ** 53 - 1) : this.wild(SIZE);
    const port = this.wild(65535);
    const m: Message = (() => {
      switch (type) {
        case 'ClaimRoot':
        case 'ConfirmedRoot':
          return { type, key, sender, strength: this.rng.u32(), held, tcpPort: port, ad: this.wild(255), map: this.rng.u32() };
        case 'JoinRequest':
        case 'Orphaned':
        case 'BadParent':
          return { type, key, sender, tcpPort: port, children: this.wild(255), held, parentId: this.id(), refused: this.int(2) === 0 };
        case 'ParentAssigned':
          return { type, key, sender, target: this.id(), parentId: this.id(), parentAddr: this.int(2) ? '127.0.0.1' : `${this.int(256)}.${this.int(256)}.${this.int(256)}.${this.int(256)}`, parentPort: port, depth: this.wild(255) };
        case 'StreamRequest':
          return { type, key, sender, offset: this.int(3) === 0 ? this.wild(2 ** 53 - 1) : this.int(SIZE / BLOCK + 2) * BLOCK };
        case 'StreamResponse':
          return { type, key, sender, status: this.int(4) as 0, size: held, offset: this.wild(SIZE) };
        default:
          return { type: 'StatusQuery', key, sender, nonce: this.rng.u32(), first: this.wild(65535) };
      }
    })();
    return encode(m);
  }

  /** A well-formed message with a few bytes flipped, cut short or lengthened. */
  mutated(): Buffer {
    const b = Buffer.from(this.wellFormed());
    switch (this.int(3)) {
      case 0: {
        for (let n = 1 + this.int(3); n > 0; n--) b[this.int(b.length)] = this.int(256);
        return b;
      }
      case 1: return b.subarray(0, this.int(b.length));
      default: return Buffer.concat([b, this.bytes(1 + this.int(40))]);
    }
  }

  /** The magic, version and a type, then anything. */
  header(): Buffer {
    const b = this.bytes(this.int(60));
    return Buffer.concat([Buffer.from([0x50, 0x46, 0x53, 1, [1, 2, 3, 4, 5, 6, 0x10, 0x11, 0x20, 0x21, this.int(256)][this.int(11)]!]), b]);
  }

  /** One hostile datagram of any kind; `kind` says which. */
  datagram(): { kind: string; bytes: Buffer } {
    const r = this.int(10);
    if (r < 2) return { kind: 'random', bytes: this.bytes(this.int(80)) };
    if (r < 4) return { kind: 'header', bytes: this.header() };
    if (r < 7) return { kind: 'mutated', bytes: this.mutated() };
    return { kind: 'wellformed', bytes: this.wellFormed() };
  }

  /** A stream header as a hostile child might open with (26 bytes or not). */
  streamHeader(): { kind: string; bytes: Buffer } {
    const r = this.int(8);
    if (r < 2) return { kind: 'random', bytes: this.bytes(this.int(40)) };
    if (r < 5) {
      const b = Buffer.from(this.wellFormed('StreamRequest'));
      for (let n = this.int(3); n > 0; n--) b[this.int(b.length)] = this.int(256);
      return { kind: 'mutated', bytes: b };
    }
    return { kind: 'wellformed', bytes: this.wellFormed('StreamRequest') };
  }
}

/**
 * The sans-IO core under hostile datagrams and stream headers: one DLoadNode that
 * wants a file, fed `datagrams` datagrams and `headers` stream headers between ticks,
 * with blocks arriving whenever it asks for a source (so it moves through claiming,
 * root, member, complete). Counts what was fed and every exception.
 */
export function fuzzCore(o: { seed: number; datagrams: number; headers: number }): FuzzTally & { actions: number; completed: boolean } {
  const t = tally();
  const key = hierarchyKey(MODEL, FILE);
  const h = new Hostile(o.seed, key, [0x1001, 0x1002, 0x1003, 0x1004]);
  const node = new DLoadNode({ nodeId: 0x1000, model: MODEL, tcpPort: 4051, addr: '127.0.0.1', random: () => h.rng.u32() / 2 ** 32 });
  let now = 0;
  let actions = 0;
  let feeding = false;
  let next = 0;
  let completed = false;
  const blocks = SIZE / BLOCK;
  const run = (a: DLoadAction[]) => {
    actions += a.length;
    for (const x of a) {
      if (x.type === 'FetchOrigin' || x.type === 'ConnectParent') feeding = true;
      if (x.type === 'DisconnectParent' || x.type === 'StopOrigin') feeding = false;
      if (x.type === 'FileComplete') completed = true;
    }
  };
  const guard = (what: string, i: number, fn: () => DLoadAction[]) => {
    try {
      run(fn());
    } catch (e) {
      t.crashes++;
      if (t.firstCrashes.length < 5) t.firstCrashes.push(`seed ${o.seed} ${what} #${i}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
    }
  };
  guard('addFile', 0, () => node.addFile(now, { name: FILE, size: SIZE, blockBytes: BLOCK, verifiedBlocks: 0 }).actions);
  const total = o.datagrams + o.headers;
  for (let i = 0; i < total; i++) {
    if (i < o.datagrams) {
      const d = h.datagram();
      bump(t.made, d.kind);
      const m = decode(d.bytes);
      bump(t.decoded, m.type === 'Malformed' ? `Malformed:${m.reason}` : m.type);
      const from = { addr: h.int(4) === 0 ? `10.${h.int(256)}.${h.int(256)}.${h.int(256)}` : '127.0.0.1', port: h.int(4) === 0 ? h.int(65536) : 4051 };
      guard('datagram', i, () => node.onDatagram(now, from, d.bytes));
    } else {
      const s = h.streamHeader();
      bump(t.made, `stream-${s.kind}`);
      guard('header', i, () => node.onStreamRequest(now, s.bytes));
    }
    if (i % 20 === 0) {
      now += h.int(60);
      if (feeding && next < blocks) guard('block', i, () => node.onEvent(now, { type: 'BlockVerified', key, index: next++ }));
      guard('tick', i, () => node.tick(now));
    }
  }
  return { ...t, actions, completed };
}

/**
 * Two live boards (PeerNode) on loopback take a file from a TFTP origin while a
 * hostile host sends `datagrams` datagrams to their UDP ports and opens `headers`
 * connections to their TCP ports, each with a hostile stream header. Both boards
 * must still end with every block verified. Bounded by `seconds`.
 */
export async function fuzzLive(o: { seed: number; datagrams: number; headers: number; seconds: number }): Promise<FuzzTally & { sent: number; connections: number; answered: Record<string, number>; boardsComplete: number; boardErrors: string[] }> {
  const t = tally();
  const root = await mkdtemp(join(tmpdir(), 'pfs-fuzz-'));
  const answered: Record<string, number> = {};
  const boardErrors: string[] = [];
  let sent = 0;
  let connections = 0;
  let boardsComplete = 0;
  const server = new TftpServer({ root: join(root, 'origin'), port: 0, pipeline: 2, maxWindowsize: 128 });
  const holder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  const shooter = dgram.createSocket('udp4');
  const nodes: PeerNode[] = [];
  try {
    await mkdir(join(root, 'origin'));
    const [file] = await generateFirmware(join(root, 'origin'), { files: 1, totalBytes: SIZE, blockSize: BLOCK, load: 'F', seed: `fuzz-${o.seed}` });
    await server.start();
    await new Promise<void>((ok) => holder.bind(0, '0.0.0.0', ok));
    await new Promise<void>((ok) => shooter.bind(0, '127.0.0.1', ok));
    const bport = holder.address().port;
    const origin = { host: '127.0.0.1', port: server.address().port, blksize: 1468, windowsize: 32 };
    for (const id of [1, 2]) {
      const dir = join(root, `b${id}`);
      await mkdir(dir);
      const node = new PeerNode({ nodeId: 0x1000 + id, model: MODEL, addr: '127.0.0.1', udpPort: 0, tcpPort: 0, broadcast: { addr: '127.255.255.255', port: bport }, origin, dir });
      await node.start();
      nodes.push(node);
    }
    const key = hierarchyKey(MODEL, file!.name);
    const h = new Hostile(o.seed, key, [0x1001, 0x1002, 0x1003]);
    const deadline = performance.now() + o.seconds * 1000;
    const wanted = nodes.map((n, i) =>
      n.fetch({ name: file!.name, plan: file!.plan }).then(
        async () => {
          const bad = await checkFileOnDisk(join(root, `b${i + 1}`, file!.name), file!.plan);
          if (bad) boardErrors.push(`board ${i + 1}: ${bad}`);
          else boardsComplete++;
        },
        (e: Error) => void boardErrors.push(`board ${i + 1}: ${e.message}`),
      ),
    );
    const ports = [bport, ...nodes.map((n) => n.udpPort)];
    const datagrams = (async () => {
      while (sent < o.datagrams && performance.now() < deadline) {
        // A burst, then the event loop: the boards must still get their turn.
        for (let k = 0; k < 50 && sent < o.datagrams; k++, sent++) {
          const d = h.datagram();
          bump(t.made, d.kind);
          shooter.send(d.bytes, ports[h.int(ports.length)]!, '127.0.0.1');
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const oneHeader = () =>
      new Promise<void>((done) => {
        const s = h.streamHeader();
        bump(t.made, `stream-${s.kind}`);
        const sock = net.connect(nodes[h.int(nodes.length)]!.tcpPort, '127.0.0.1');
        let first = true;
        const end = (what: string) => {
          if (first) bump(answered, what);
          first = false;
          sock.destroy();
          done();
        };
        sock.setTimeout(500, () => end('no answer in 0.5 s (closed by us)'));
        sock.on('connect', () => sock.write(s.bytes));
        sock.on('data', (b) => {
          const m = decode(b.subarray(0, 35));
          end(m.type === 'StreamResponse' ? `StreamResponse status ${m.status}` : 'bytes');
        });
        sock.on('close', () => end('closed by the board'));
        sock.on('error', () => end('closed by the board'));
      });
    const headers = (async () => {
      const lanes = Array.from({ length: 16 }, async () => {
        while (connections < o.headers && performance.now() < deadline) {
          connections++;
          await oneHeader();
        }
      });
      await Promise.all(lanes);
    })();
    await Promise.all([datagrams, headers]);
    // The boards have until the deadline (plus a margin for the last blocks) to finish.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(wanted), new Promise((r) => (timer = setTimeout(r, Math.max(5000, deadline - performance.now()))))]);
    clearTimeout(timer);
    if (boardsComplete < nodes.length && boardErrors.length === 0) boardErrors.push(`${nodes.length - boardsComplete} boards not complete in time`);
  } catch (e) {
    t.crashes++;
    t.firstCrashes.push(`seed ${o.seed}: ${(e as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    shooter.close();
    holder.close();
    await server.stop();
    await rm(root, { recursive: true, force: true });
  }
  return { ...t, sent, connections, answered, boardsComplete, boardErrors };
}
