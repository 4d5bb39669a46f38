// What every row of the fleet benchmark (bench/fleet.ts, bench/fleet-bt.ts) does with
// the namespace subnet: start the origin (bench/fleet-origin.ts) and read what it sent,
// wait for and end the processes run inside the namespaces, and hash the copies.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { NetnsHost, NetnsSubnet } from '../src/lab/netns/subnet';
import { sleep } from '../src/io/sleep';
import { boardEnv } from '../src/lab/board-env';

/** The repository (bench/..): where bench/fleet-origin.ts and dist/pfs.cjs are found. */
export const REPO = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
/** The built CLI every board runs (`npm run build`). */
export const BUNDLE = join(REPO, 'dist/pfs.cjs');

/** GNU time's format for a board: its peak RSS (KiB) on one line, user and system seconds on the next. */
export const TIME_FORMAT = '%M\n%U %S';

/**
 * What GNU time wrote with TIME_FORMAT: undefined when the file is missing (the
 * process never ran); a field it could not write (killed before it exited) is
 * left out. A line GNU time adds before its report ("Command terminated by
 * signal 9") is skipped.
 */
export function timeReport(file: string): { rssKiB?: number; cpuSeconds?: number } | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const rss = text.match(/^\d+$/gm);
  const cpu = /^(\d+\.\d+) (\d+\.\d+)$/m.exec(text);
  return { rssKiB: rss ? Number(rss[rss.length - 1]) : undefined, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : undefined };
}

/** One report of the origin: when (epoch ms), and the bytes it had sent in all and per file. */
export interface OriginStats {
  t: number;
  bytesSent: number;
  byFile: Record<string, number>;
}

/** How the origin serves: the WAN's round trip (the emulator adds it) and the windows in flight per transfer. */
export interface OriginOptions {
  /** The WAN's round trip, milliseconds. */
  rttMs: number;
  /** Windows the server keeps in flight per transfer: 1 is a plain RFC 1350/7440 server. */
  pipeline: number;
}

/**
 * The origin: this project's TFTP server inside the subnet's origin namespace, behind
 * the user-space WAN emulator, on port 69 of the origin's address. It reports what it
 * sent every 250 ms (`series`), and a last time when stopped.
 */
export class Origin {
  private last: OriginStats = { t: Date.now(), bytesSent: 0, byFile: {} };
  /** Firmware bytes sent so far (see firmwareBytes), over time. */
  readonly series: { t: number; fw: number }[] = [];
  private constructor(private readonly child: ChildProcess) {}

  /** Starts it serving `dir`; resolves once it listens. Rejects when it exits first or is not up within 30 s. */
  static async start(net: NetnsSubnet, dir: string, o: OriginOptions): Promise<Origin> {
    // The emulator adds the delay; the origin's tbf-shaped port sets the rate. Pipeline 1: a
    // plain RFC 1350/7440 server (one window in flight), as the far CUCM or tftpd would be.
    const child = net.spawn(net.origin, [process.execPath, '--import', 'tsx', join(REPO, 'bench/fleet-origin.ts'), '--dir', dir, '--listen', net.origin.addr, '--port', '69', '--rate', 'inf', '--rtt', String(o.rttMs), '--pipeline', String(o.pipeline)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const origin = new Origin(child);
    await new Promise<void>((ok, fail) => {
      const rl = createInterface({ input: child.stdout! });
      const t = setTimeout(() => fail(new Error('origin did not start within 30 s')), 30_000);
      child.once('exit', (c) => fail(new Error(`origin exited (${c})`)));
      rl.on('line', (l) => {
        if (!l.startsWith('{')) return;
        const m = JSON.parse(l);
        if (m.ready) {
          clearTimeout(t);
          ok();
        } else {
          origin.last = m;
          origin.series.push({ t: m.t, fw: firmwareBytes(m) });
        }
      });
    });
    return origin;
  }

  /** Firmware bytes sent so far: components and manifests, retransmissions included; not the cnf.xml files. */
  get firmwareBytes(): number {
    return firmwareBytes(this.last);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((ok) => this.child.once('exit', ok));
    this.child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000, { unref: true })]);
  }
}

function firmwareBytes(s: OriginStats): number {
  let n = 0;
  for (const [name, b] of Object.entries(s.byFile)) if (!name.endsWith('.cnf.xml')) n += b;
  return n;
}

/** The pids of every process inside the namespaces of `hosts`. */
export function pidsIn(hosts: NetnsHost[]): number[] {
  return hosts.flatMap((h) =>
    (spawnSync('ip', ['netns', 'pids', h.ns], { encoding: 'utf8' }).stdout ?? '')
      .split('\n')
      .map(Number)
      .filter((p) => p > 0),
  );
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

/**
 * Ends every process left in the namespaces of `hosts` (they are this run's own):
 * first the `programs` (node, or a board's release executable) by SIGTERM, so that GNU
 * time around each still writes its RSS line, then whatever remains by SIGKILL.
 */
export async function killIn(hosts: NetnsHost[], programs: readonly string[] = ['node']): Promise<void> {
  const comm = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  };
  // The kernel keeps a program's first 15 characters as its comm: a release executable's name is cut there.
  const names = new Set(programs.map((p) => basename(p).slice(0, 15)));
  const ours = (p: number) => names.has(comm(p));
  signal(pidsIn(hosts).filter(ours), 'SIGTERM');
  for (let k = 0; k < 30 && pidsIn(hosts).some(ours); k++) await sleep(100);
  signal(pidsIn(hosts), 'SIGKILL');
}

/**
 * Copies the lines `c` prints on stdout and stderr into the file `path` and hands each
 * to `onLine`. The file is closed once both pipes are: a process's last lines may come
 * after its 'exit' (a child of it still holding the pipe, or lines not yet read), and a
 * write after the file's end would throw from an unhandled 'error' event. Resolves
 * once the last line was handed on and the file is closed.
 */
export function linesTo(c: ChildProcess, path: string, onLine: (line: string) => void = () => {}): Promise<void> {
  const out = createWriteStream(path);
  for (const stream of [c.stdout, c.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (l) => {
      out.write(l + '\n');
      onLine(l);
    });
  }
  return new Promise((ok) => c.once('close', () => out.end(ok)));
}

/** The exit status of `c` once it ended (128 when a signal ended it). */
export function exitOf(c: ChildProcess): Promise<number> {
  if (c.exitCode !== null) return Promise.resolve(c.exitCode);
  if (c.signalCode !== null) return Promise.resolve(128);
  return new Promise((ok) => c.once('exit', (code, sig) => ok(code ?? (sig ? 128 : 1))));
}

/** The SHA-256 of the file at `path`, hex. */
export async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * One board's fetch of the set over the WAN, as our root does it and as the multicast
 * and BitTorrent rows get it: `pfs tftp get` of every file at once from the origin
 * (blksize 1468, windowsize 64) into `dir`. Resolves to each fetch's exit status.
 */
export async function wanFetch(net: NetnsSubnet, host: NetnsHost, files: string[], dir: string): Promise<number[]> {
  await mkdir(dir, { recursive: true });
  const fetches = files.map((f) =>
    net.spawn(host, [process.execPath, BUNDLE, 'tftp', 'get', `${net.origin.addr}:69`, f, '-o', join(dir, f), '--blksize', '1468', '--windowsize', '64'], { stdio: 'ignore', env: boardEnv() }),
  );
  return Promise.all(fetches.map(exitOf));
}
