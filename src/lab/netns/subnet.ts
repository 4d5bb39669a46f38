import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { childProcess } from '../../io/builtins';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PfsError } from '../../errors';
import { sleep } from '../../io/sleep';

/**
 * A site's subnet built from Linux network namespaces, for `pfs lab --netns` and
 * the benchmarks: one namespace per board and one for the origin, each with one
 * veth (`eth0`) into a "switch" namespace that holds a Linux bridge. Nothing is
 * created in this machine's own namespace: every link lives and dies with the
 * namespaces, so deleting them removes everything. Addresses come from
 * 198.18.0.0/15 (the benchmarking range; never a real network).
 *
 * Needs root and iproute2 (`ip`, `tc`). Link rates are set with tbf; netem is not
 * assumed, so delay belongs to the caller (the user-space WAN emulator).
 */

export interface NetnsSubnetOptions {
  boards: number;
  /** Rate of each board's switch port, each direction, bits per second. */
  lanRateBit: number;
  /** Rate of the origin's switch port, each direction, bits per second. */
  wanRateBit: number;
  /** Unique per run, short ([a-z0-9], at most 8): names every namespace of the run. Default: random. */
  tag?: string;
  /**
   * Tear down on SIGINT/SIGTERM and exit (130/143). Default true; a caller with its
   * own handlers (that ends with destroy()) passes false.
   */
  handleSignals?: boolean;
}

export interface NetnsHost {
  /** Namespace name (`ip netns exec <ns>`). */
  ns: string;
  /** IPv4 address inside the namespace. */
  addr: string;
  /** Interface inside the namespace (`eth0`). */
  iface: string;
  /** The veth end on the bridge, inside the switch namespace. */
  hostIface: string;
}

export interface PortBytes {
  /** The host on that port: `origin` or `b<i>` (board index). */
  host: string;
  /** Bytes the switch received on that port (sent by the host). */
  rxBytes: number;
  /** Bytes the switch sent out of that port (to the host). */
  txBytes: number;
}

export class NetnsError extends PfsError {
  constructor(message: string) {
    super('PFS_ERR_NETNS', message);
  }
}

/** Where runs record their namespaces, so a crashed run's leftovers are found. */
export const STATE_DIR = '/run/pfs-lab';
const PREFIX = 'pfs-';
const SUBNET = { base: [198, 18], prefixLen: 16, broadcast: '198.18.255.255' };

interface State {
  tag: string;
  pid: number;
  namespaces: string[];
  created: string;
}

/** Why this machine cannot build a namespace lab, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'the namespace lab needs root (it creates network namespaces, veth pairs and a bridge): run it with sudo';
  for (const tool of ['ip', 'tc']) if (!onPath(tool)) return `the namespace lab needs iproute2 ("${tool}" is not on PATH): apt-get install iproute2`;
  return undefined;
}

function onPath(cmd: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((ok, fail) => {
    const c = childProcess().execFile(cmd, args, { maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      if (e) fail(new NetnsError(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || e.message}`));
      else ok(String(stdout));
    });
    if (input !== undefined) c.stdin?.end(input);
  });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Host number `h` of the subnet as a dotted address. */
function hostAddr(h: number): string {
  return `${SUBNET.base[0]}.${SUBNET.base[1]}.${h >> 8}.${h & 255}`;
}

function nsNames(tag: string, boards: number): { sw: string; origin: string; boards: string[] } {
  return { sw: `${PREFIX}${tag}-sw`, origin: `${PREFIX}${tag}-o`, boards: Array.from({ length: boards }, (_, i) => `${PREFIX}${tag}-b${i}`) };
}

/** tbf on `dev`: `rate` bits/s, a burst of a few ms at that rate, a queue of `latencyMs`. */
function tbf(ns: string, dev: string, rate: number, latencyMs: number): string[] {
  const burst = Math.max(32 * 1024, Math.ceil(rate / 8 / 200));
  return ['-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${Math.round(rate)}bit`, 'burst', String(burst), 'latency', `${latencyMs}ms`];
}

/** The queue of a LAN port: a switch's small buffer. The WAN's: a second, as the WAN emulator's. */
const LAN_QUEUE_MS = 50;
const WAN_QUEUE_MS = 1000;

export class NetnsSubnet {
  readonly boards: NetnsHost[];
  readonly origin: NetnsHost;
  /** The subnet's directed broadcast address. */
  readonly broadcast = SUBNET.broadcast;
  readonly prefixLen = SUBNET.prefixLen;
  /** The namespace holding the bridge (`br0`) and every port's veth end. */
  readonly switchNs: string;
  private readonly procs = new Set<ChildProcess>();
  private destroying?: Promise<void>;
  private readonly onSignal = (sig: NodeJS.Signals) => {
    void this.destroy().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  private readonly onExit = () => this.destroySync();

  private constructor(
    readonly tag: string,
    private readonly names: ReturnType<typeof nsNames>,
    private readonly o: NetnsSubnetOptions,
  ) {
    this.switchNs = names.sw;
    this.origin = { ns: names.origin, addr: hostAddr(1), iface: 'eth0', hostIface: 'po' };
    this.boards = names.boards.map((ns, i) => ({ ns, addr: hostAddr(10 + i), iface: 'eth0', hostIface: `p${i}` }));
  }

  /** Every namespace of this run: switch, origin, boards. */
  get namespaces(): string[] {
    return [this.names.sw, this.names.origin, ...this.names.boards];
  }

  /**
   * Builds the subnet. Throws NetnsError (with the reason) where this machine
   * cannot; whatever was built before a failure is removed again.
   */
  static async create(o: NetnsSubnetOptions): Promise<NetnsSubnet> {
    const why = netnsUnavailable();
    if (why) throw new NetnsError(why);
    if (!(o.boards >= 1 && o.boards <= 60000)) throw new NetnsError(`boards must be 1..60000, got ${o.boards}`);
    const tag = o.tag ?? randomBytes(3).toString('hex');
    if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new NetnsError(`tag must be 1..8 of [a-z0-9], got "${tag}"`);
    const names = nsNames(tag, o.boards);
    const existing = new Set(await listNamespaces());
    if (existing.has(names.sw)) throw new NetnsError(`namespaces of run "${tag}" already exist: pick another tag or run cleanupStale("${tag}")`);
    const net = new NetnsSubnet(tag, names, o);
    // The state file first: a crash from here on leaves something the next run can find.
    mkdirSync(STATE_DIR, { recursive: true });
    const state: State = { tag, pid: process.pid, namespaces: net.namespaces, created: new Date().toISOString() };
    writeFileSync(join(STATE_DIR, `${tag}.json`), JSON.stringify(state) + '\n');
    process.on('exit', net.onExit);
    if (o.handleSignals !== false) {
      process.once('SIGINT', net.onSignal);
      process.once('SIGTERM', net.onSignal);
    }
    try {
      await net.build();
    } catch (e) {
      await net.destroy();
      throw e;
    }
    return net;
  }

  private async build(): Promise<void> {
    const { sw } = this.names;
    const hosts = [this.origin, ...this.boards];
    await run('ip', ['-batch', '-'], this.namespaces.map((ns) => `netns add ${ns}\n`).join(''));
    // The switch: a bridge and one veth pair per port, the far end moved into the host's namespace.
    // No IPv6 link-local addresses: the ports' byte counts are the site's IPv4 traffic, not neighbour discovery.
    const swCmds = ['link set lo up', 'link add br0 type bridge', 'link set br0 addrgenmode none', 'link set br0 up'];
    for (const h of hosts) swCmds.push(`link add ${h.hostIface} type veth peer name ${h.iface} netns ${h.ns}`, `link set ${h.hostIface} addrgenmode none`, `link set ${h.hostIface} master br0`, `link set ${h.hostIface} up`);
    await run('ip', ['-n', sw, '-batch', '-'], swCmds.map((c) => c + '\n').join(''));
    await inBatches(hosts, 16, async (h) => {
      const isOrigin = h === this.origin;
      const rate = isOrigin ? this.o.wanRateBit : this.o.lanRateBit;
      const queue = isOrigin ? WAN_QUEUE_MS : LAN_QUEUE_MS;
      await run('ip', ['-n', h.ns, '-batch', '-'], `link set lo up\nlink set ${h.iface} addrgenmode none\naddr add ${h.addr}/${this.prefixLen} broadcast ${this.broadcast} dev ${h.iface}\nlink set ${h.iface} up\n`);
      // Both directions of the port: out of the host, and out of the switch towards it.
      await run('tc', tbf(h.ns, h.iface, rate, queue));
      await run('tc', tbf(sw, h.hostIface, rate, queue));
    });
  }

  /**
   * Starts `argv` inside `host`'s namespace (`ip netns exec`). The process is
   * tracked and killed by destroy(); its environment carries PFS_LAB_TAG.
   */
  spawn(host: NetnsHost, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    if (this.destroying) throw new NetnsError('the subnet is being torn down');
    if (argv.length === 0) throw new NetnsError('spawn: no command');
    const child = childProcess().spawn('ip', ['netns', 'exec', host.ns, ...argv], { ...opts, env: { ...(opts.env ?? process.env), PFS_LAB_TAG: this.tag } });
    this.procs.add(child);
    child.once('exit', () => this.procs.delete(child));
    return child;
  }

  /** Byte counters of every switch port (the bridge's side of each veth). */
  async portBytes(): Promise<PortBytes[]> {
    const out = JSON.parse(await run('ip', ['-n', this.names.sw, '-j', '-s', 'link', 'show'])) as { ifname: string; stats64?: { rx: { bytes: number }; tx: { bytes: number } } }[];
    const byIf = new Map(out.map((l) => [l.ifname, l.stats64]));
    return [this.origin, ...this.boards].map((h, i) => {
      const s = byIf.get(h.hostIface);
      return { host: i === 0 ? 'origin' : `b${i - 1}`, rxBytes: s?.rx.bytes ?? 0, txBytes: s?.tx.bytes ?? 0 };
    });
  }

  /** Kills every process started here or still inside the namespaces, deletes the namespaces (and with them every link) and the state file. Safe to call twice. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      const procs = [...this.procs];
      for (const p of procs) p.kill('SIGTERM');
      await Promise.race([Promise.all(procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? undefined : new Promise((ok) => p.once('exit', ok))))), sleep(2000, { unref: true })]);
      await removeRun(this.tag, this.namespaces);
      process.off('exit', this.onExit);
    })();
    return this.destroying;
  }

  /** The last resort on process exit: no awaiting possible, so synchronous. */
  private destroySync(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    removeRunSync(this.tag, this.namespaces);
  }
}

async function inBatches<T>(items: T[], width: number, f: (x: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(f));
}

/** Names of this machine's named network namespaces. */
export async function listNamespaces(): Promise<string[]> {
  const text = await run('ip', ['netns', 'list']).catch(() => '');
  return text
    .split('\n')
    .map((l) => l.split(' ')[0]!.trim())
    .filter(Boolean);
}

function pidsIn(ns: string): number[] {
  try {
    return childProcess().execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function removeRun(tag: string, namespaces: string[]): Promise<number> {
  const present = new Set(await listNamespaces());
  const mine = namespaces.filter((n) => present.has(n));
  // A process left inside a namespace would keep it (and its links) alive after `ip netns del`.
  killAll(mine.flatMap(pidsIn));
  if (mine.length > 0) await run('ip', ['-force', '-batch', '-'], mine.map((n) => `netns del ${n}\n`).join('')).catch(() => undefined);
  rmSync(join(STATE_DIR, `${tag}.json`), { force: true });
  return mine.length;
}

function removeRunSync(tag: string, namespaces: string[]): void {
  const present = new Set(existsSync('/run/netns') ? readdirSync('/run/netns') : []);
  const mine = namespaces.filter((n) => present.has(n));
  killAll(mine.flatMap(pidsIn));
  if (mine.length > 0) {
    try {
      childProcess().execFileSync('ip', ['-force', '-batch', '-'], { input: mine.map((n) => `netns del ${n}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      // best effort: the next run's cleanupStale() finishes the job
    }
  }
  rmSync(join(STATE_DIR, `${tag}.json`), { force: true });
}

/**
 * Removes what crashed runs left behind: with `tag`, that run's namespaces (and
 * the processes in them) whatever its state; without, every run whose owning
 * process is gone, including `pfs-<tag>-*` namespaces with no state file at all.
 * Runs of live processes are left alone. Returns the number of namespaces removed.
 */
export async function cleanupStale(tag?: string): Promise<number> {
  if (netnsUnavailable()) return 0;
  const states: State[] = [];
  if (existsSync(STATE_DIR)) {
    for (const f of readdirSync(STATE_DIR)) {
      if (!f.endsWith('.json')) continue;
      try {
        states.push(JSON.parse(readFileSync(join(STATE_DIR, f), 'utf8')) as State);
      } catch {
        rmSync(join(STATE_DIR, f), { force: true });
      }
    }
  }
  const all = await listNamespaces();
  const tagOf = (ns: string) => /^pfs-([a-z0-9]{1,8})-(?:sw|o|b\d+)$/.exec(ns)?.[1];
  const liveTags = new Set(states.filter((s) => typeof s.pid === 'number' && alive(s.pid)).map((s) => s.tag));
  const doomed = new Set<string>();
  if (tag !== undefined) doomed.add(tag);
  else {
    for (const s of states) if (!liveTags.has(s.tag)) doomed.add(s.tag);
    for (const ns of all) {
      const t = tagOf(ns);
      if (t && !liveTags.has(t)) doomed.add(t);
    }
  }
  let removed = 0;
  for (const t of doomed) {
    const listed = states.find((s) => s.tag === t)?.namespaces ?? [];
    removed += await removeRun(t, [...new Set([...listed, ...all.filter((ns) => tagOf(ns) === t)])]);
  }
  return removed;
}

/** Leftovers of run `tag` on this machine: namespaces, and processes started for it (by PFS_LAB_TAG). */
export function leftovers(tag: string): { namespaces: string[]; pids: number[]; stateFile: boolean } {
  const namespaces = (existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((n) => n.startsWith(`${PREFIX}${tag}-`));
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/environ`, 'latin1').split('\0').includes(`PFS_LAB_TAG=${tag}`)) pids.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return { namespaces, pids, stateFile: existsSync(join(STATE_DIR, `${tag}.json`)) };
}
