// The scenario driver on real sockets: PeerNodes in this process on loopback, each
// with its own folder as flash and ports from the kernel, adverts on a broadcast
// port held open by the site, the TFTP origin behind an emulated WAN.
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { hierarchyKey } from '../../../src/dload/key';
import { decode, encode } from '../../../src/dload/wire';
import { generateFirmware, type GeneratedFile } from '../../../src/lab/firmware';
import { PeerNode } from '../../../src/net/peer/peer-node';
import { fileMedium } from '../../../src/net/peer/spool';
import { verifiedPrefix } from '../../../src/net/peer/verified-prefix';
import { TftpServer } from '../../../src/net/tftp/server';
import { WanEmulator } from '../../../src/net/wan';
import { PfsError } from '../../../src/errors';
import { until, within } from '../../helpers/net';
import type { Election } from '../../../src/dload/types';
import { createLogger } from '../../../src/log/logger';
import { BLOCK_BYTES, FILE_BYTES, scenarioTimers, WAN_BYTES_PER_S, WAN_RTT_MS, type FileView, type Outcome, type Shell, type Site, type SiteSpec } from '../shell';

const MODELS = ['CP-7961G', 'CP-7941G', 'CP-7971G'];
const STREAM_RESPONSE_BYTES = 35;

export function socketsShell(election: Election = 'fast'): Shell {
  return { name: 'sockets', open: (spec) => SocketSite.open(spec, election) };
}

interface BoardSlot {
  readonly i: number;
  readonly dir: string;
  readonly model: number;
  node?: PeerNode;
  /** Settles with the fetch: verified, or the PfsError code it failed with. */
  result?: { state: 'verified' } | { state: 'failed'; code: string };
  killed: boolean;
  /** Bytes written to flash since the board last started. */
  written: number;
}

class SocketSite implements Site {
  private probes = 0;
  /** What close() must also stop (rogue servers a scenario started). */
  private readonly closers: Array<() => Promise<void>> = [];

  private constructor(
    private readonly spec: SiteSpec,
    private readonly root: string,
    private readonly files: GeneratedFile[],
    private readonly server: TftpServer,
    private readonly wan: WanEmulator,
    /** Holds the shared broadcast port's number while the site lives. */
    private readonly portHolder: dgram.Socket,
    private readonly boards: BoardSlot[],
    private readonly election: Election,
  ) {}

  static async open(spec: SiteSpec, election: Election): Promise<SocketSite> {
    const root = await mkdtemp(join(tmpdir(), 'pfs-scenario-'));
    const originDir = join(root, 'origin');
    await mkdir(originDir);
    const models = spec.models ?? 1;
    const files: GeneratedFile[] = [];
    for (let m = 0; m < models; m++) {
      const [f] = await generateFirmware(originDir, { files: 1, totalBytes: FILE_BYTES, blockSize: BLOCK_BYTES, load: `M${m}`, seed: `scenario-${m}` });
      files.push(f!);
      if (spec.originCorrupt) {
        // The origin holds other bytes than the load was signed with: every block fails its hash.
        const path = join(originDir, f!.name);
        const data = await readFile(path);
        for (let off = 0; off < data.length; off += 997) data[off] = data[off]! ^ 0xff;
        await writeFile(path, data);
      }
    }
    const server = new TftpServer({ root: originDir, port: 0, pipeline: 2, maxWindowsize: 128 });
    await server.start();
    const wan = new WanEmulator({ listen: { address: '127.0.0.1', port: 0 }, origin: server.address(), rate: WAN_BYTES_PER_S * 8, rttMs: WAN_RTT_MS });
    await wan.start();
    const portHolder = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((ok, fail) => {
      portHolder.once('error', fail);
      portHolder.bind(0, '0.0.0.0', () => ok());
    });
    const boards: BoardSlot[] = [];
    for (let i = 0; i < spec.boards; i++) {
      const dir = join(root, `b${i}`);
      await mkdir(dir);
      boards.push({ i, dir, model: i % models, killed: false, written: 0 });
    }
    return new SocketSite(spec, root, files, server, wan, portHolder, boards, election);
  }

  id(i: number): number {
    return 0x1000 + i;
  }

  status(i: number): FileView | undefined {
    return this.slot(i).node?.status()[0];
  }

  async until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    await until(cond, { timeoutMs, what: `sockets: ${what}`, everyMs: 5 });
  }

  async start(i: number): Promise<void> {
    const b = this.slot(i);
    if (b.node) return;
    await this.boot(b);
  }

  async kill(i: number): Promise<void> {
    const b = this.slot(i);
    b.killed = true;
    await b.node?.stop();
  }

  async restart(i: number): Promise<void> {
    const b = this.slot(i);
    if (!b.killed) throw new Error(`sockets: board ${i} was not killed`);
    b.killed = false;
    b.result = undefined;
    b.written = 0;
    await this.boot(b);
  }

  async probe(i: number, offset: number): Promise<number> {
    const b = this.slot(i);
    const node = b.node!;
    const file = this.files[b.model]!;
    const key = hierarchyKey(MODELS[b.model]!, file.name);
    const sender = 0xfeed0000 + this.probes++;
    const sock = net.connect({ host: '127.0.0.1', port: node.tcpPort });
    try {
      const answer = new Promise<Buffer>((ok, fail) => {
        let got = Buffer.alloc(0);
        sock.on('data', (c: Buffer) => {
          got = Buffer.concat([got, c]);
          if (got.length >= STREAM_RESPONSE_BYTES) ok(got.subarray(0, STREAM_RESPONSE_BYTES));
        });
        sock.on('error', fail);
        sock.on('close', () => fail(new Error(`sockets: board ${i} closed the rogue connection after ${got.length} bytes`)));
      });
      sock.write(encode({ type: 'StreamRequest', key, sender, offset }));
      const r = decode(await within(5000, `board ${i}'s StreamResponse`, answer));
      if (r.type !== 'StreamResponse') throw new Error(`sockets: board ${i} answered a StreamRequest with ${r.type}`);
      return r.status;
    } finally {
      sock.destroy();
    }
  }

  async spoofStallingParent(i: number): Promise<void> {
    const b = this.slot(i);
    const node = b.node!;
    const s = node.status()[0];
    if (!s?.rootId) throw new Error(`sockets: board ${i} follows no root`);
    // A parent that takes the connection and the StreamRequest, and never answers.
    const held: net.Socket[] = [];
    const stall = net.createServer((c) => {
      held.push(c);
      c.on('error', () => {});
    });
    await new Promise<void>((ok) => stall.listen(0, '127.0.0.1', ok));
    this.closers.push(async () => {
      for (const c of held) c.destroy();
      await new Promise<void>((ok) => stall.close(() => ok()));
    });
    const file = this.files[b.model]!;
    const bytes = encode({
      type: 'ParentAssigned', key: hierarchyKey(MODELS[b.model]!, file.name), sender: s.rootId, target: this.id(i),
      parentId: 0xdead0001, parentAddr: '127.0.0.1', parentPort: (stall.address() as net.AddressInfo).port, depth: 1,
    });
    // From 127.0.0.1, the root's address on loopback: the board cannot tell it from its root.
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((ok, fail) => sock.send(bytes, node.udpPort, '127.0.0.1', (e) => (e ? fail(e) : ok())));
    sock.close();
  }

  async fakeRoot(held: number): Promise<void> {
    const file = this.files[0]!;
    const bytes = encode({ type: 'ConfirmedRoot', key: hierarchyKey(MODELS[0]!, file.name), sender: 0xfa4e0001, strength: 0xffffffff, held, tcpPort: 4051, ad: 0, map: 0 });
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
    sock.setBroadcast(true);
    const port = this.portHolder.address().port;
    const timer = setInterval(() => sock.send(bytes, port, '127.255.255.255', () => {}), 30);
    this.closers.push(async () => {
      clearInterval(timer);
      sock.close();
    });
  }

  async forgeBadParents(root: number, suspects: readonly number[]): Promise<void> {
    const r = this.slot(root);
    const file = this.files[r.model]!;
    const key = hierarchyKey(MODELS[r.model]!, file.name);
    const sock = dgram.createSocket('udp4');
    try {
      for (const [n, k] of suspects.entries()) {
        const bytes = encode({ type: 'BadParent', key, sender: 0xbad00000 + n, tcpPort: 4051, children: 0, held: 0, parentId: this.id(k), refused: false });
        await new Promise<void>((ok, fail) => sock.send(bytes, r.node!.udpPort, '127.0.0.1', (e) => (e ? fail(e) : ok())));
      }
    } finally {
      sock.close();
    }
  }

  async settle(timeoutMs = 30_000): Promise<Outcome[]> {
    const open = this.boards.filter((b) => b.node && !b.killed && !b.result);
    await this.until(() => open.every((b) => b.result), 'every live board to settle', timeoutMs);
    const out: Outcome[] = [];
    for (const b of this.boards) {
      const flash = await this.flash(b);
      if (!b.node) out.push({ board: b.i, state: 'not started', ...flash });
      else if (b.killed) out.push({ board: b.i, state: 'killed', ...flash });
      else if (b.result!.state === 'failed') out.push({ board: b.i, state: 'failed', code: b.result!.code, ...flash });
      else out.push({ board: b.i, state: 'verified', ...flash });
    }
    return out;
  }

  wanBytes(model: number): number {
    return this.server.stats.bytesByFile.get(this.files[model]!.name) ?? 0;
  }

  fetchedBytes(i: number): number {
    // Bytes the board wrote to flash: the pipeline writes what it verified and
    // skips the prefix it already holds, so this is what it took in anew.
    return this.slot(i).written;
  }

  async close(): Promise<void> {
    await Promise.all(this.boards.map((b) => b.node?.stop()));
    for (const c of this.closers) await c();
    await this.wan.stop();
    await this.server.stop();
    this.portHolder.close();
    await rm(this.root, { recursive: true, force: true });
  }

  private slot(i: number): BoardSlot {
    const b = this.boards[i];
    if (!b) throw new Error(`sockets: no board ${i} (${this.boards.length} boards)`);
    return b;
  }

  private async boot(b: BoardSlot): Promise<void> {
    const file = this.files[b.model]!;
    const node = new PeerNode({
      nodeId: this.id(b.i),
      model: MODELS[b.model]!,
      addr: '127.0.0.1',
      udpPort: 0,
      tcpPort: 0,
      broadcast: { addr: '127.255.255.255', port: this.portHolder.address().port },
      origin: { host: '127.0.0.1', port: this.wan.address().port, blksize: 1468, windowsize: 32 },
      dir: b.dir,
      election: this.election,
      timers: scenarioTimers(this.election),
      // PFS_SCENARIO_LOG=1: every board's console on stderr (to see why a scenario failed).
      logger: process.env.PFS_SCENARIO_LOG ? createLogger(`b${b.i}`, { level: 'DBG' }) : undefined,
      faults: { corruptServed: this.spec.corruptServed?.includes(b.i) ?? false },
    });
    b.node = node;
    await node.start();
    const path = join(b.dir, file.name);
    const medium = async () => {
      const m = await fileMedium(path);
      return {
        ...m,
        writev: async (buffers: readonly Buffer[], position: number) => {
          const n = await m.writev(buffers, position);
          b.written += n;
          return n;
        },
      };
    };
    const fetched = node.fetch({ name: file.name, plan: file.plan, medium });
    fetched.then(
      () => {
        if (b.node === node) b.result = { state: 'verified' };
      },
      (e: unknown) => {
        if (b.node === node) b.result = { state: 'failed', code: e instanceof PfsError ? e.code : String(e) };
      },
    );
    // The node reads back what its flash already holds before it joins: wait for
    // that, so status() shows the file (and a resume's prefix) once start() returns.
    await this.until(() => node.status().length > 0 || b.result !== undefined, `board ${b.i} to open its file`, 5000);
  }

  /** What is on board b's flash, and how much of it is whole blocks matching the plan. */
  private async flash(b: BoardSlot): Promise<{ flashBytes: number; flashVerifiedBytes: number }> {
    const file = this.files[b.model]!;
    const fh = await open(join(b.dir, file.name), 'r').catch(() => undefined);
    if (!fh) return { flashBytes: 0, flashVerifiedBytes: 0 };
    try {
      const { size } = await fh.stat();
      const blocks = await verifiedPrefix({ read: async (buf, off, len, pos) => (await fh.read(buf, off, len, pos)).bytesRead }, size, file.plan);
      return { flashBytes: size, flashVerifiedBytes: Math.min(size, blocks * file.plan.blockSize) };
    } finally {
      await fh.close();
    }
  }
}
