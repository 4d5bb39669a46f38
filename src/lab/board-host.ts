import { basename, join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createLogger, type Logger } from '../log/logger';
import { PeerNode, type FileStatus } from '../net/peer/peer-node';
import type { BlockPlan } from '../net/peer/block-assembler';
import { fileMedium } from '../net/peer/spool';
import { fetchDirect } from '../net/peer/fetch-direct';
import { checkFileOnDisk } from './verify-file';
import { bootBoard, EXIT } from '../boot/boot';
import type { BoardReport, BoardSpec, FleetConfig, LabFile } from './types';

/** Tries per file in tftp mode before the board gives up. */
const DIRECT_ATTEMPTS = 10;

const toPlan = (f: LabFile): BlockPlan => ({ size: f.size, blockSize: f.blockSize, hashes: f.hashes.map((h) => Buffer.from(h, 'hex')) });

interface Board {
  spec: BoardSpec;
  log: Logger;
  close: () => void;
  node?: PeerNode;
  direct: Map<string, FileStatus>;
  doneMs?: number;
  /** Boot boards: ms since the fleet started when it committed (it may stay up after, for its children). */
  committedMs?: number;
  error?: string;
  bootExit?: number;
}

/**
 * Runs some of a lab's boards in this process: one PeerNode each in `pfs` mode,
 * or a plain TFTP client each in `tftp` mode (the traditional upgrade).
 */
export class BoardHost {
  private readonly boards: Board[] = [];
  private readonly plans: Map<string, BlockPlan>;
  /** Resets still to come (late boards). */
  private readonly late: NodeJS.Timeout[] = [];

  constructor(
    private readonly fleet: FleetConfig,
    specs: BoardSpec[],
  ) {
    this.plans = new Map(fleet.files.map((f) => [f.name, toPlan(f)]));
    for (const spec of specs) {
      const out = createWriteStream(join(fleet.logDir, `board-${String(spec.index).padStart(3, '0')}.log`));
      const log = createLogger('PFS', { level: fleet.logLevel, sinks: [{ writeLine: (l) => void out.write(l + '\n') }] });
      this.boards.push({ spec, log, close: () => out.end(), direct: new Map() });
    }
  }

  /** Binds every board's sockets (the boards are powered but not yet reset). */
  async start(): Promise<void> {
    if (this.fleet.mode !== 'pfs' || this.fleet.boot) return;
    for (const b of this.boards) {
      b.node = new PeerNode({
        nodeId: b.spec.nodeId,
        model: b.spec.model,
        addr: '127.0.0.1',
        udpPort: b.spec.port,
        tcpPort: b.spec.port,
        broadcast: this.fleet.broadcast,
        origin: this.fleet.origin,
        dir: b.spec.dir,
        forward: this.fleet.forward,
        election: this.fleet.election,
        logger: b.log,
      });
      await b.node.start();
    }
  }

  /** The mass reset: every board starts its upgrade now (a late one, its resetAfterMs later). `t0` is the fleet's start (epoch ms). */
  go(t0: number): void {
    for (const b of this.boards) {
      const after = b.spec.resetAfterMs ?? 0;
      if (after > 0) this.late.push(setTimeout(() => this.reset(b, t0), Math.max(0, t0 + after - Date.now())));
      else this.reset(b, t0);
    }
  }

  private reset(b: Board, t0: number): void {
    const work = this.fleet.boot ? this.boot(b, this.fleet.boot.boardsDir, t0) : this.fleet.mode === 'pfs' ? this.viaPeers(b) : this.direct(b);
    work.then(
      // A boot board is done when it committed; it may stay a while after to serve others.
      (at) => (b.doneMs = (at ?? Date.now()) - t0),
      (e: Error) => {
        b.error = `board ${b.spec.index}: ${e.message}`;
        b.log.err(b.error);
      },
    );
  }

  /**
   * A board that runs `pfs boot` on its folder; done when it asks to reboot into the
   * new load. Committed means read back: before the commit, the upgrade re-hashed
   * every block of every component from the slot (src/boot/upgrade.ts), so the lab's
   * allVerified counts only what flash gave back, as checkAll does for the other modes.
   */
  private async boot(b: Board, boardsDir: string, t0: number): Promise<number> {
    const r = await bootBoard({
      board: 'sim',
      boardsDir,
      root: b.spec.dir,
      forward: this.fleet.forward,
      election: this.fleet.election,
      tftp: { blksize: this.fleet.origin.blksize, windowsize: this.fleet.origin.windowsize },
      log: b.log,
      configTries: 5,
      lingerMs: 60_000,
      onPeers: (p) => (b.node = p),
      // The summary's time for this board is its commit: the live view counts it from the same moment.
      onCommitted: (at) => (b.committedMs = at - t0),
    });
    b.bootExit = r.exit;
    if (r.exit !== EXIT.REBOOT || r.outcome?.kind !== 'committed') throw new Error(`pfs boot ended with exit ${r.exit} (${r.outcome?.kind === 'failed' ? r.outcome.reason : r.outcome?.kind ?? 'no outcome'})`);
    return r.outcome.at;
  }

  private async viaPeers(b: Board): Promise<void> {
    const node = b.node!;
    await Promise.all(this.fleet.files.map((f) => node.fetch({ name: f.name, plan: this.plans.get(f.name)! })));
    await this.checkAll(b);
  }

  /**
   * The traditional upgrade: every file, one after the other, straight from the
   * origin. Like a phone, a board whose transfer fails starts that file again.
   */
  private async direct(b: Board): Promise<void> {
    for (const f of this.fleet.files) {
      const status: FileStatus = { name: f.name, role: 'tftp', size: f.size, verifiedBytes: 0, complete: false, parentId: null, rootId: null, depth: 0, children: 0, maxChildren: 0, corruptBlocks: 0, resumedBytes: 0, maxQueuedBytes: 0 };
      b.direct.set(f.name, status);
      for (let attempt = 1; ; attempt++) {
        try {
          await this.directOnce(b, f, status);
          break;
        } catch (e) {
          if (attempt >= DIRECT_ATTEMPTS) throw e;
          const wait = Math.min(1000 * 2 ** (attempt - 1), 15_000);
          b.log.wrn(`${f.name}: ${(e as Error).message}; trying again in ${wait / 1000} s (attempt ${attempt + 1} of ${DIRECT_ATTEMPTS})`);
          await new Promise((r) => setTimeout(r, wait));
        }
      }
      status.complete = true;
    }
    await this.checkAll(b);
  }

  private async directOnce(b: Board, f: LabFile, status: FileStatus): Promise<void> {
    const o = this.fleet.origin;
    const path = join(b.spec.dir, basename(f.name));
    status.verifiedBytes = 0;
    // A failed attempt starts the file again from its first byte, as a phone would.
    await rm(path, { force: true });
    await fetchDirect({
      name: f.name,
      plan: this.plans.get(f.name)!,
      medium: () => fileMedium(path),
      origin: { host: o.host, port: o.port, blksize: o.blksize, windowsize: o.windowsize, timeoutMs: o.timeoutMs },
      log: b.log.child('TFTP'),
      progress: (bytes) => (status.verifiedBytes = bytes),
    });
  }

  private async checkAll(b: Board): Promise<void> {
    for (const f of this.fleet.files) {
      const bad = await checkFileOnDisk(join(b.spec.dir, basename(f.name)), this.plans.get(f.name)!);
      if (bad) throw new Error(bad);
    }
    b.log.not('all files verified on flash');
  }

  reports(): BoardReport[] {
    return this.boards.map((b) => ({
      index: b.spec.index,
      files: b.node ? b.node.status() : [...b.direct.values()],
      doneMs: b.doneMs,
      committedMs: b.committedMs ?? b.doneMs,
      error: b.error,
    }));
  }

  async stop(): Promise<void> {
    for (const t of this.late) clearTimeout(t);
    await Promise.all(this.boards.map((b) => b.node?.stop()));
    for (const b of this.boards) b.close();
  }
}
