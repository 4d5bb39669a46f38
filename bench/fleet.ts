// npm run bench:fleet — the side-by-side fleet benchmark (issue 5): for each fleet
// size N, one namespace subnet (a namespace per board, 100 Mbit/s ports, the origin
// behind a 10 Mbit/s, 150 ms WAN) and one generated firmware set, shared by every
// system in turn:
//   traditional  every board upgrades alone by lock-step TFTP (blksize 512, window 1)
//   cisco        Cisco-style PFS: the phone's election (--election phone), store-and-forward tree,
//                the root on lock-step TFTP
//   store        the same tree with this project's windowed TFTP at the root (measures
//                the store-and-forward tail that the Cisco-style estimate adds)
//   pfs          this project, defaults (cut-through, windowed TFTP at the root)
//   udpcast      one board fetches the set by windowed TFTP, then udp-sender to the rest
//   uftp         the same, then uftp to uftpd on the rest
//   bt           the same, then BitTorrent: opentracker, aria2c on every board (bench/fleet-bt.ts)
// Writes bench/fleet-results.json, bench/fleet.svg and the "Fleet (network namespaces)"
// section of bench/RESULTS.md (on top; the runs and notes before stay below), and prints the table. Needs root, iproute2, udpcast, uftp,
// opentracker, aria2, mktorrent, GNU time. A quick subset: --n 8 --systems pfs,uftp,bt.
// Options: USAGE below (`npm run bench:fleet -- --help`).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModels } from '../src/profiles';
import { parseRate, parseSize } from '../src/units/parse';
import { cleanupStale, NetnsSubnet } from '../src/lab/netns/subnet';
import { prepareSite, type Site } from '../src/lab/site';
import { boardEnv } from '../src/lab/board-env';
import { sleep } from '../src/io/sleep';
import { benchArgs, numberArg, numberListArg } from './args';
import { ARIA2_LAN, ARIA2_LEECHER, ARIA2_SEED, btMissing, runBitTorrent } from './fleet-bt';
import { BUNDLE, exitOf, killIn, linesTo, Origin, REPO, sha256, TIME_FORMAT, timeReport, wanFetch } from './fleet-run';
import { lineChartSvg, type ChartSeries } from './chart';
import { writeSection } from './results';
import { cachedByUse, programCommand } from './page-cache';
import { BoardMedia } from './board-media';

// ---------------------------------------------------------------- options

/** What the boards ran, for the section's text; its pages were cached by use before each run (page-cache.ts). */
function programNote(): string {
  const rel = relative(REPO, O.exe);
  return /\.[cm]?js$/.test(O.exe) ? `\`node ${rel}\`` : `the release executable \`${rel}\` as \`pfs image\` installs it`;
}

/** This CPU's release name (scripts/release.mjs): the boards run what a board of this CPU is given. */
function hostRelease(): string {
  return process.arch === 'arm' ? 'armv7l' : process.arch;
}

const SYSTEMS = ['traditional', 'cisco', 'store', 'pfs', 'udpcast', 'uftp', 'bt'] as const;
type System = (typeof SYSTEMS)[number];

const USAGE = `Usage: npm run bench:fleet -- [options]   (as root)

  --n 8,16,32          fleet sizes, one subnet each
  --systems LIST       which to run, of ${SYSTEMS.join(',')} (default all)
  --size 8M            the firmware set's size
  --files 4            components in the set
  --cap 60             seconds a lock-step system runs before it is extrapolated
  --wan-rate 10mbit    the origin's WAN rate
  --wan-rtt 150        the WAN's round trip in milliseconds
  --lan-rate 100mbit   every board's switch port
  --origin-pipeline 1  windows the origin keeps in flight per transfer (1: a plain RFC 1350/7440 server)
  --bt-piece 64K       the torrent's piece size (bt)
  --exe PATH           the program every board runs: a release executable (default this CPU's,
                       dist/release/pfs-linux-${hostRelease()}, as pfs image installs it), or a
                       bundle run by node (dist/pfs.cjs)
  --no-write           print the table only (no results, chart or RESULTS.md)
  --keep               leave the work folder (/tmp/pfs-fleet), with each boot system's origin-series.SYSTEM.json
  --shared-disk        every board's folder on the work folder's filesystem, as before 2026-12-03 (default: an ext4
                       of its own per board, in /dev/shm through a loop device, as each board has its own flash)
  --chart-only         redraw bench/fleet.svg from bench/fleet-results.json (no run)
  -h, --help           this text
`;

const O = benchArgs('bench:fleet', USAGE, (args) => {
  const { values: v } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      n: { type: 'string', default: '8,16,32' },
      systems: { type: 'string', default: SYSTEMS.join(',') },
      size: { type: 'string', default: '8M' },
      files: { type: 'string', default: '4' },
      cap: { type: 'string', default: '60' },
      'wan-rate': { type: 'string', default: '10mbit' },
      'wan-rtt': { type: 'string', default: '150' },
      'lan-rate': { type: 'string', default: '100mbit' },
      'origin-pipeline': { type: 'string', default: '1' },
      'bt-piece': { type: 'string', default: '64K' },
      exe: { type: 'string', default: join(REPO, 'dist/release', `pfs-linux-${hostRelease()}`) },
      'no-write': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'shared-disk': { type: 'boolean', default: false },
      'chart-only': { type: 'boolean', default: false },
    },
  });
  const systems = v.systems.split(',');
  for (const s of systems) if (!(SYSTEMS as readonly string[]).includes(s)) throw new Error(`--systems: unknown system "${s}" (one of ${SYSTEMS.join(', ')})`);
  return {
    ns: numberListArg(v.n, '--n', { min: 1 }),
    systems: systems as System[],
    size: parseSize(v.size, '--size'),
    files: numberArg(v.files, '--files', { min: 1 }),
    capS: numberArg(v.cap, '--cap', { min: 1, fractions: true }),
    wanRate: parseRate(v['wan-rate'], '--wan-rate') * 8,
    wanRttMs: numberArg(v['wan-rtt'], '--wan-rtt', { fractions: true }),
    lanRate: parseRate(v['lan-rate'], '--lan-rate') * 8,
    /** Windows the origin keeps in flight per transfer: 1 is a plain RFC 1350/7440 server. */
    originPipeline: numberArg(v['origin-pipeline'], '--origin-pipeline', { min: 1 }),
    btPieceBytes: pieceSize(v['bt-piece']),
    exe: resolve(v.exe),
    write: !v['no-write'],
    keep: v.keep,
    sharedDisk: v['shared-disk'],
    chartOnly: v['chart-only'],
  };
});

/** --bt-piece: a power of two of at least 16 KiB (BitTorrent's block). */
function pieceSize(text: string): number {
  const n = parseSize(text, '--bt-piece');
  if (n < 16384 || (n & (n - 1)) !== 0) throw new Error(`--bt-piece must be a power of two of at least 16K, got "${text}"`);
  return n;
}

const BOARDS_DIR = join(REPO, 'boards');
const MODEL = 'CP-7961G';
const WORK = '/tmp/pfs-fleet';
/** Each board's own filesystem (BoardMedia): its image, and its size (an 8 MiB set in two slots, and room). */
const MEDIA_DIR = '/dev/shm/pfs-fleet-media';
const MEDIA_MIB = 96;
/** What the multicast tools may use of a 100 Mbit/s port (headers and control traffic need the rest). */
const MCAST_RATE = Math.round(O.lanRate * 0.95);
/** How the origin serves every row. */
const ORIGIN = { rttMs: O.wanRttMs, pipeline: O.originPipeline };

const log = (s: string) => process.stderr.write(s);

// ---------------------------------------------------------------- results

interface Result {
  n: number;
  system: System;
  /** Fleet seconds: measured, or derived where `derived` says how. */
  fleetSeconds: number;
  derived?: string;
  /** Seconds the run lasted (the cap for an extrapolated one). */
  ranSeconds: number;
  limitSeconds: number;
  /** Firmware bytes the origin sent (components and manifests; not the cnf.xml files) — at the cap when capped. */
  wanBytes: number;
  /** Projected firmware bytes for the whole upgrade, where capped. */
  wanBytesProjected?: number;
  imageBytes: number;
  /** Largest peak RSS over the boards (MiB), for the systems run as pfs boot boards. */
  peakRssMiB?: number;
  medianRssMiB?: number;
  /** Boot systems: CPU seconds (user + system, all threads) per board process, the median, and all boards' together. */
  medianCpuSeconds?: number;
  totalCpuSeconds?: number;
  allVerified: boolean;
  /** The multicast systems: the WAN fetch's share of the fleet seconds. */
  wanFetchSeconds?: number;
  /** Boot systems: seconds from the reset until the last board's process was up (its first console line). */
  lastUpSeconds?: number;
  /** Boot systems: seconds N `node -e 0` took, started at once as the boards are (Node's own start-up on this machine). */
  nodeFloorSeconds?: number;
  notes: string[];
}

// ---------------------------------------------------------------- measuring

/** Bytes per second over the second half of a capped run (after the start-up). */
function lateRate(series: { t: number; fw: number }[], t0: number, tEnd: number): number {
  const mid = t0 + (tEnd - t0) / 2;
  const a = series.find((p) => p.t >= mid);
  const b = series[series.length - 1];
  if (!a || !b || b.t <= a.t) return 0;
  return ((b.fw - a.fw) * 1000) / (b.t - a.t);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : 0;
};
const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;

// ---------------------------------------------------------------- one N

interface Ctx {
  n: number;
  net: NetnsSubnet;
  dir: string;
  site: Site;
  /** Manifest and component names, as on the origin. */
  fwFiles: string[];
  fwBytes: number;
  limitSeconds: number;
  /** Store-and-forward tail (last WAN byte to last commit) measured by the `store` system. */
  storeTailS?: number;
  /** N `node -e 0` started at once, measured before the first boot system. */
  nodeFloorS?: number;
  /** Each board's folder on a filesystem of its own (undefined with --shared-disk). */
  media?: BoardMedia;
}

/**
 * Seconds until N `node -e 0`, spawned at once the way the boards are (in their
 * namespaces, under GNU time), have all exited: what N Node processes starting
 * together cost this machine's cores before a line of pfs runs. The boards' "last
 * board up" is read against it; real boards each have a CPU of their own.
 */
async function nodeStartFloor(c: Ctx): Promise<number> {
  const t0 = Date.now();
  await Promise.all(
    c.net.boards.slice(0, c.n).map(
      (b) =>
        new Promise<void>((done) => {
          const child = c.net.spawn(b, ['/usr/bin/time', '-f', '%M', '-o', '/dev/null', process.execPath, '-e', '0'], { stdio: 'ignore', env: boardEnv() });
          child.once('exit', () => done());
          child.once('error', () => done());
        }),
    ),
  );
  return (Date.now() - t0) / 1000;
}

async function restoreBoards(c: Ctx): Promise<void> {
  if (c.media) return c.media.restore(join(c.dir, 'boards.clean'));
  await rm(join(c.dir, 'boards'), { recursive: true, force: true });
  await cp(join(c.dir, 'boards.clean'), join(c.dir, 'boards'), { recursive: true });
}

interface BootRun {
  commitsMs: (number | undefined)[];
  firstLineMs: (number | undefined)[];
  exits: (number | undefined)[];
  rssKiB: number[];
  cpuS: number[];
  capped: boolean;
  endMs: number;
  t0: number;
  origin: Origin;
  /**
   * Issue 12's first-byte figure: the earliest component byte any root took from the
   * origin, in ms after that board's configuration was in hand (its `timing:` lines).
   */
  firstByteAfterConfigMs?: number;
  /** Per board that reached it, the CPU its process had spent when its configuration was in hand (its `timing:` line's cpuMs). */
  cpuToConfigMs: number[];
}

/** The command line that starts pfs on a board: node with the bundle, or a release executable. */
function boardProgram(): [string, ...string[]] {
  return programCommand(O.exe);
}

/** Every board runs `pfs boot` (wrapped by GNU time for its peak RSS) until all committed or the cap. */
async function runBoot(c: Ctx, args: string[], capS: number): Promise<BootRun> {
  await restoreBoards(c);
  const origin = await Origin.start(c.net, c.site.originDir, ORIGIN);
  const commitsMs: (number | undefined)[] = Array(c.n).fill(undefined);
  const firstLineMs: (number | undefined)[] = Array(c.n).fill(undefined);
  const exits: (number | undefined)[] = Array(c.n).fill(undefined);
  // Per board, its `timing:` marks (ms on its own clock): the configuration in hand, and its first component byte from the origin.
  const configMs: (number | undefined)[] = Array(c.n).fill(undefined);
  const cpuToConfigMs: number[] = [];
  const firstByteMs: (number | undefined)[] = Array(c.n).fill(undefined);
  cachedByUse(O.exe); // the program's pages cached by use only (page-cache.ts)
  const t0 = Date.now();
  const logsClosed: Promise<void>[] = [];
  const children = c.site.boards.map((b, i) => {
    const child = c.net.spawn(
      c.net.boards[i]!,
      // DBG for the few `timing:` lines (about 20 a board): the first byte after the configuration.
      ['/usr/bin/time', '-f', TIME_FORMAT, '-o', join(b.root, 'rss.txt'), ...boardProgram(), 'boot', '--board', 'sim', '--root', b.root, '--boards-dir', BOARDS_DIR, '--log-format', 'json', '--log-level', 'dbg', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: boardEnv() },
    );
    // The console log goes to stderr, the LEDs and screen to stdout: read both.
    const closed = linesTo(child, join(b.root, 'console.log'), (l) => {
      if (!l.startsWith('{')) return;
      try {
        const m = JSON.parse(l) as { time: string; msg: string; ms?: number; cpuMs?: number; file?: string };
        firstLineMs[i] ??= Date.parse(m.time) - t0;
        if (m.msg.startsWith('committed load')) commitsMs[i] = Date.parse(m.time) - t0;
        else if (m.msg === 'timing: configuration done' && configMs[i] === undefined) {
          configMs[i] = m.ms;
          if (m.cpuMs !== undefined) cpuToConfigMs.push(m.cpuMs);
        }
        else if (m.msg === 'timing: first byte from the origin' && !m.file?.endsWith('.loads')) firstByteMs[i] ??= m.ms;
      } catch {
        // not a log record
      }
    });
    logsClosed.push(closed);
    child.once('exit', (code) => (exits[i] = code ?? 128));
    return child;
  });
  let capped = false;
  for (;;) {
    await sleep(100);
    const allDone = exits.every((e, i) => e !== undefined || commitsMs[i] !== undefined);
    if (allDone) break;
    if (Date.now() - t0 > capS * 1000) {
      capped = true;
      break;
    }
  }
  const endMs = Date.now() - t0;
  await sleep(300); // one more origin report
  if (!capped) {
    // Committed boards may stay a moment as parents; give them a little time to exit on their own.
    const deadline = Date.now() + 3000;
    while (exits.some((e) => e === undefined) && Date.now() < deadline) await sleep(100);
  }
  // SIGTERM first, so that GNU time around each board still writes its report.
  await killIn(c.net.boards, [boardProgram()[0], 'node']);
  await Promise.all(children.map(exitOf));
  // A board's last lines (its commit among them) may be read after its exit.
  await Promise.race([Promise.all(logsClosed), sleep(5000, { unref: true })]);
  await origin.stop();
  const reports = c.site.boards.map((b) => timeReport(join(b.root, 'rss.txt')));
  const rss = reports.map((t) => t?.rssKiB).filter((x): x is number => x !== undefined);
  const cpu = reports.map((t) => t?.cpuSeconds).filter((x): x is number => x !== undefined);
  const afterConfig = firstByteMs.flatMap((fb, i) => (fb !== undefined && configMs[i] !== undefined ? [fb - configMs[i]!] : []));
  return { commitsMs, firstLineMs, exits, rssKiB: rss, cpuS: cpu, capped, endMs, t0, origin, firstByteAfterConfigMs: afterConfig.length ? Math.min(...afterConfig) : undefined, cpuToConfigMs };
}

async function bootSystem(c: Ctx, system: 'pfs' | 'store' | 'cisco' | 'traditional'): Promise<Result> {
  const lockStep = ['--tftp-blksize', '512', '--tftp-window', '1'];
  const args = { pfs: [], store: ['--forward', 'store'], cisco: ['--election', 'phone', '--forward', 'store', ...lockStep], traditional: lockStep }[system];
  const seps: string[] = [];
  if (system === 'traditional') {
    // Peer Firmware Sharing off at the device level: each board fetches every file itself, in turn, as the phone does.
    for (const b of c.site.boards) {
      const p = join(c.site.originDir, `SEP${b.mac}.cnf.xml`);
      await writeFile(p, `<?xml version="1.0" encoding="UTF-8"?>\n<device>\n  <loadInformation>${c.site.loads.get(MODEL)}</loadInformation>\n  <vendorConfig><peerFirmwareSharing>0</peerFirmwareSharing></vendorConfig>\n</device>\n`);
      seps.push(p);
    }
  }
  const lockStepSystem = system === 'cisco' || system === 'traditional';
  c.nodeFloorS ??= await nodeStartFloor(c);
  const r = await runBoot(c, args, lockStepSystem ? O.capS : 240);
  for (const p of seps) await unlink(p);
  const committed = r.commitsMs.filter((x) => x !== undefined).length;
  const res: Result = {
    n: c.n,
    system,
    fleetSeconds: 0,
    ranSeconds: r.endMs / 1000,
    limitSeconds: c.limitSeconds,
    wanBytes: r.origin.firmwareBytes,
    imageBytes: c.site.setBytes,
    peakRssMiB: r.rssKiB.length ? mib(Math.max(...r.rssKiB)) : undefined,
    medianRssMiB: r.rssKiB.length ? mib(median(r.rssKiB)) : undefined,
    medianCpuSeconds: r.cpuS.length ? median(r.cpuS) : undefined,
    totalCpuSeconds: r.cpuS.length ? r.cpuS.reduce((a, x) => a + x, 0) : undefined,
    // Done means committed: every component verified on flash (exit 10 may come later, after a linger).
    allVerified: committed === c.n,
    lastUpSeconds: r.firstLineMs.every((x) => x !== undefined) ? Math.max(...(r.firstLineMs as number[])) / 1000 : undefined,
    nodeFloorSeconds: c.nodeFloorS,
    notes: [],
  };
  // With --keep, what the origin sent over the run (seconds after the reset, firmware bytes so far), per system:
  // where the WAN idled or ran below its rate.
  if (O.keep) await writeFile(join(c.dir, `origin-series.${system}.json`), JSON.stringify(r.origin.series.map((p) => ({ s: (p.t - r.t0) / 1000, fw: p.fw }))));
  if (!r.capped && committed === c.n) {
    res.fleetSeconds = Math.max(...(r.commitsMs as number[])) / 1000;
    if (r.firstByteAfterConfigMs !== undefined) res.notes.push(`root's first component byte at its configuration + ${(r.firstByteAfterConfigMs / 1000).toFixed(2)} s`);
    // What N start-ups ask of the cores before any board can claim: each board's CPU up to its configuration.
    if (r.cpuToConfigMs.length) res.notes.push(`CPU per board to its configuration ${(median(r.cpuToConfigMs) / 1000).toFixed(2)} s (median)`);
    if (system === 'store') {
      // The tail: from the origin's last firmware byte to the last board's commit.
      const lastByte = r.origin.series.find((p) => p.fw >= r.origin.firmwareBytes)?.t ?? r.t0;
      c.storeTailS = Math.max(0, res.fleetSeconds - (lastByte - r.t0) / 1000);
      res.notes.push(`tree tail after the last WAN byte ${c.storeTailS.toFixed(2)} s`);
    }
  } else if (r.capped && lockStepSystem) {
    const rate = lateRate(r.origin.series, r.t0, r.t0 + r.endMs);
    const copies = system === 'traditional' ? c.n : 1;
    const need = copies * c.fwBytes;
    const have = r.origin.firmwareBytes;
    const tail = system === 'cisco' ? (c.storeTailS ?? 0) : 0;
    const wanFloor = (need * 8) / O.wanRate;
    res.fleetSeconds = Math.max(r.endMs / 1000 + (need - have) / rate + tail, wanFloor);
    res.wanBytesProjected = need;
    res.allVerified = false;
    res.derived =
      system === 'traditional'
        ? `extrapolated: ran ${O.capS} s, origin sent ${(have / 1e6).toFixed(2)} MB at ${(rate / 1e3).toFixed(1)} kB/s (${(rate / c.n / 1e3).toFixed(2)} kB/s per board) over the second half; the rest at that rate`
        : `extrapolated: ran ${O.capS} s, roots took ${(have / 1e6).toFixed(2)} MB at ${(rate / 1e3).toFixed(1)} kB/s over the second half; the rest at that rate, plus the store-and-forward tail measured with a windowed root (${tail.toFixed(2)} s)`;
  } else {
    res.fleetSeconds = r.endMs / 1000;
    res.notes.push(`FAILED: ${committed}/${c.n} committed, exits ${[...new Set(r.exits)].join(',')}`);
  }
  return res;
}

/** One board fetches the set over the WAN (windowed TFTP, components in parallel), then multicasts it to the others. */
async function multicastSystem(c: Ctx, system: 'udpcast' | 'uftp'): Promise<Result> {
  const origin = await Origin.start(c.net, c.site.originDir, ORIGIN);
  const [sender, ...receivers] = c.net.boards;
  const mdir = join(c.dir, 'mcast');
  await rm(mdir, { recursive: true, force: true });
  const dirs = c.net.boards.map((_, i) => join(mdir, `b${i}`));
  for (const d of dirs) await mkdir(d, { recursive: true });
  // Multicast leaves by the board's interface: a route for 224/4 there (the subnet has only its own).
  for (const h of c.net.boards) spawnSync('ip', ['-n', h.ns, 'route', 'replace', '224.0.0.0/4', 'dev', h.iface]);
  const logs = join(mdir, 'logs');
  await mkdir(logs);

  const t0 = Date.now();
  // The receivers are up and waiting before the sender starts (boards powered on).
  const fds: number[] = [];
  const rx: ChildProcess[] = receivers.map((h, k) => {
    const d = dirs[k + 1]!;
    const argv =
      system === 'udpcast'
        ? ['sh', '-c', `udp-receiver --interface ${h.iface} --nokbd 2>${logs}/rx${k + 1}.log | tar -x -C ${d}`]
        : ['uftpd', '-d', '-q', '-D', d, '-I', h.iface];
    const err = system === 'uftp' ? openSync(join(logs, `rx${k + 1}.log`), 'w') : undefined;
    if (err !== undefined) fds.push(err);
    return c.net.spawn(h, argv, { stdio: ['ignore', 'ignore', err ?? 'ignore'] });
  });
  // The WAN fetch: manifest and components in parallel, this project's TFTP settings (as our root).
  const fetchExits = await wanFetch(c.net, sender!, c.fwFiles, dirs[0]!);
  const tWan = Date.now() - t0;
  let ok = fetchExits.every((e) => e === 0);
  let tEnd = tWan;
  if (ok) {
    const ids = receivers.map((h) => `0x${h.addr.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('').toUpperCase()}`);
    const argv =
      system === 'udpcast'
        ? ['sh', '-c', `tar -c -C ${dirs[0]} . | udp-sender --interface ${sender!.iface} --nokbd --full-duplex --min-receivers ${receivers.length} --max-bitrate ${Math.round(MCAST_RATE / 1e6)}m 2>${logs}/tx.log`]
        : ['uftp', '-I', sender!.iface, '-R', String(Math.round(MCAST_RATE / 1000)), '-Y', 'none', '-H', ids.join(','), '-L', join(logs, 'tx.log'), ...c.fwFiles];
    const tx = c.net.spawn(sender!, argv, { cwd: dirs[0], stdio: 'ignore' });
    const capMs = 300_000;
    const done = Promise.all([exitOf(tx), ...(system === 'udpcast' ? rx.map(exitOf) : [])]);
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([done, new Promise<undefined>((ok) => (timer = setTimeout(() => ok(undefined), capMs)))]);
    clearTimeout(timer);
    tEnd = Date.now() - t0;
    ok = res !== undefined && res.every((e) => e === 0);
  }
  await sleep(300);
  await killIn(c.net.boards);
  await Promise.all(rx.map(exitOf));
  for (const fd of fds) closeSync(fd);
  await origin.stop();
  // Every receiver holds every file, byte for byte (checked after the clock stopped).
  const want = await Promise.all(c.fwFiles.map((f) => sha256(join(c.site.originDir, f))));
  let verified = ok;
  for (const d of dirs) {
    for (let k = 0; k < c.fwFiles.length && verified; k++) {
      const p = join(d, c.fwFiles[k]!);
      verified = existsSync(p) && (await sha256(p)) === want[k];
    }
  }
  return {
    n: c.n,
    system,
    fleetSeconds: tEnd / 1000,
    ranSeconds: tEnd / 1000,
    limitSeconds: c.limitSeconds,
    wanBytes: origin.firmwareBytes,
    imageBytes: c.site.setBytes,
    allVerified: verified,
    wanFetchSeconds: tWan / 1000,
    notes: ok ? [] : ['FAILED: a fetch or the multicast did not finish'],
  };
}

/** One board fetches the set over the WAN, then seeds it to the others by BitTorrent (bench/fleet-bt.ts). */
async function btSystem(c: Ctx): Promise<Result> {
  const r = await runBitTorrent({ net: c.net, originDir: c.site.originDir, files: c.fwFiles, work: join(c.dir, 'bt'), origin: ORIGIN, pieceBytes: O.btPieceBytes });
  return {
    n: c.n,
    system: 'bt',
    fleetSeconds: r.fleetSeconds,
    ranSeconds: r.fleetSeconds,
    limitSeconds: c.limitSeconds,
    wanBytes: r.wanBytes,
    imageBytes: c.site.setBytes,
    allVerified: r.verified,
    wanFetchSeconds: r.wanFetchSeconds,
    notes: r.notes,
  };
}

async function runN(n: number): Promise<Result[]> {
  const dir = join(WORK, `n${n}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  log(`N=${n}: subnet ... `);
  const net = await NetnsSubnet.create({ boards: n, lanRateBit: O.lanRate, wanRateBit: O.wanRate, tag: `fleet${n}`, handleSignals: false });
  current = net;
  try {
    const profile = (await loadModels(BOARDS_DIR)).get(MODEL)!;
    const site = await prepareSite(dir, {
      models: [{ profile, count: n }],
      size: O.size,
      files: O.files,
      enterprisePfs: true,
      pfsOff: 0,
      server: () => ({ host: net.origin.addr, port: 69 }),
      boardConfig: (i) => ({ addr: net.boards[i]!.addr, broadcast: `${net.broadcast}:4051`, peer_port: '4051' }),
    });
    await cp(join(dir, 'boards'), join(dir, 'boards.clean'), { recursive: true });
    const manifest = `${site.loads.get(MODEL)}.loads`;
    const fwFiles = [manifest, ...site.componentNames];
    const fwBytes = (await Promise.all(fwFiles.map((f) => stat(join(site.originDir, f))))).reduce((a, s) => a + s.size, 0);
    const c: Ctx = { n, net, dir, site, fwFiles, fwBytes, limitSeconds: (site.setBytes * 8) / O.wanRate + O.wanRttMs / 1000 };
    if (!O.sharedDisk) currentMedia = c.media = await BoardMedia.create(site.boards.map((b) => b.root), MEDIA_MIB, join(MEDIA_DIR, `n${n}`));
    log('ready\n');
    const out: Result[] = [];
    // `store` before `cisco`: the Cisco-style estimate uses the tail it measures.
    const order: System[] = ['pfs', 'store', 'cisco', 'udpcast', 'uftp', 'bt', 'traditional'].filter((s) => O.systems.includes(s as System)) as System[];
    for (const s of order) {
      log(`  N=${n} ${s} ... `);
      const t = Date.now();
      const r = s === 'udpcast' || s === 'uftp' ? await multicastSystem(c, s) : s === 'bt' ? await btSystem(c) : await bootSystem(c, s);
      log(`${r.fleetSeconds.toFixed(2)} s${r.derived ? ' (extrapolated)' : ''}, WAN ${(r.wanBytes / r.imageBytes).toFixed(2)} images, ${r.allVerified ? 'verified' : 'NOT verified'}${r.peakRssMiB ? `, RSS ≤ ${r.peakRssMiB} MiB` : ''} [${((Date.now() - t) / 1000).toFixed(0)} s wall] ${r.notes.join('; ')}\n`);
      // The row as it goes into the table, at once: a later failure does not lose it.
      log(`${tableRow(r)}\n`);
      out.push(r);
    }
    return out;
  } finally {
    await currentMedia?.destroy({ keep: O.keep });
    currentMedia = undefined;
    await net.destroy();
    current = undefined;
    if (!O.keep) await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- report

const LABEL: Record<System, string> = {
  traditional: 'traditional: every board by lock-step TFTP (512 B, window 1)',
  cisco: 'Cisco-style PFS: store-and-forward, root on lock-step TFTP',
  store: 'PFS store-and-forward, windowed root (reference)',
  pfs: 'pfs, this project (defaults: cut-through, windowed TFTP)',
  udpcast: 'udpcast: one WAN fetch + udp-sender → udp-receiver',
  uftp: 'UFTP: one WAN fetch + uftp → uftpd',
  bt: 'BitTorrent: one WAN fetch + aria2c swarm (opentracker)',
};
const SHORT: Record<System, string> = {
  traditional: 'traditional (lock-step TFTP)',
  cisco: 'Cisco-style PFS (store, lock-step root)',
  store: 'store-and-forward, windowed root',
  pfs: 'pfs, this project',
  udpcast: 'udpcast + one WAN fetch',
  uftp: 'UFTP + one WAN fetch',
  bt: 'BitTorrent + one WAN fetch',
};
const COLOR: Record<System, string> = { traditional: '#d62728', cisco: '#ff7f0e', store: '#8c564b', pfs: '#1f77b4', udpcast: '#2ca02c', uftp: '#9467bd', bt: '#e377c2' };

const TABLE_HEAD = `| N | system | fleet s | fleet / limit | WAN bytes / image | peak RSS per board, MiB (median) | CPU per board, s (all boards' ÷ ${cpus().length} cores) | last board up, s (N × \`node -e 0\`) | all verified | how |\n|---:|---|---:|---:|---:|---:|---:|---:|---|---|`;

/** One result as a row of the markdown table. */
function tableRow(r: Result): string {
  const wan = r.wanBytesProjected !== undefined ? `${(r.wanBytesProjected / r.imageBytes).toFixed(2)} (projected; ${(r.wanBytes / r.imageBytes).toFixed(3)} sent in ${r.ranSeconds.toFixed(0)} s)` : (r.wanBytes / r.imageBytes).toFixed(2);
  const notes = r.notes.length ? `; ${r.notes.join('; ')}` : '';
  const lan = r.system === 'bt' ? 'LAN swarm' : 'LAN multicast';
  const how = r.derived ? `**extrapolated**: ${r.derived.replace(/^extrapolated: /, '')}` : r.wanFetchSeconds !== undefined ? `measured: WAN fetch ${r.wanFetchSeconds.toFixed(2)} s + ${lan} ${(r.fleetSeconds - r.wanFetchSeconds).toFixed(2)} s${notes}` : `measured${notes}`;
  const rss = r.peakRssMiB !== undefined ? `${r.peakRssMiB} (${r.medianRssMiB})` : '—';
  const fs = r.derived ? `≈ ${r.fleetSeconds.toFixed(0)}` : r.fleetSeconds.toFixed(2);
  const cpu = r.medianCpuSeconds !== undefined && r.totalCpuSeconds !== undefined ? `${r.medianCpuSeconds.toFixed(2)} (${(r.totalCpuSeconds / cpus().length).toFixed(1)})` : '—';
  const up = r.lastUpSeconds !== undefined ? `${r.lastUpSeconds.toFixed(2)}${r.nodeFloorSeconds !== undefined ? ` (${r.nodeFloorSeconds.toFixed(2)})` : ''}` : '—';
  return `| ${r.n} | ${LABEL[r.system]} | ${fs} | ${r.derived ? '≈ ' : ''}${(r.fleetSeconds / r.limitSeconds).toFixed(2)} | ${wan} | ${rss} | ${cpu} | ${up} | ${r.derived ? 'not run to the end' : r.allVerified ? 'yes' : '**NO**'} | ${how} |`;
}

function table(rows: Result[]): string {
  return [TABLE_HEAD, ...rows.map(tableRow)].join('\n');
}

function chart(rows: Result[], limit: number, when: string): string {
  const systems = SYSTEMS.filter((s) => rows.some((r) => r.system === s));
  const series: ChartSeries[] = systems.map((s) => ({
    name: SHORT[s],
    color: COLOR[s],
    points: rows.filter((r) => r.system === s).map((r) => ({ x: r.n, y: r.fleetSeconds, derived: r.derived !== undefined })),
  }));
  return lineChartSvg({
    title: `Fleet upgrade: ${(O.size / 2 ** 20).toFixed(0)} MiB firmware over a ${O.wanRate / 1e6} Mbit/s, ${O.wanRttMs} ms WAN`,
    xLabel: 'boards on the subnet (N)',
    yLabel: 'fleet seconds',
    series,
    refs: [{ y: limit, label: `physical limit ${limit.toFixed(2)} s` }],
    note: `npm run bench:fleet, ${when}; network namespaces, ${O.lanRate / 1e6} Mbit/s per port; multicast and BitTorrent rows include one WAN fetch`,
  });
}

// ---------------------------------------------------------------- main

let current: NetnsSubnet | undefined;
let currentMedia: BoardMedia | undefined;
const onSignal = () => {
  void (currentMedia?.destroy() ?? Promise.resolve())
    .then(() => current?.destroy())
    .finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

async function main(): Promise<void> {
  if (O.chartOnly) {
    // Redraw bench/fleet.svg from the recorded results (no run).
    const saved = JSON.parse(readFileSync('bench/fleet-results.json', 'utf8')) as { started: string; rows: Result[] };
    const when = saved.started.slice(0, 16).replace('T', ' ') + ' UTC';
    writeFileSync('bench/fleet.svg', chart(saved.rows, saved.rows[0]!.limitSeconds, when));
    return;
  }
  if (!existsSync(BUNDLE)) throw new Error('dist/pfs.cjs is missing: npm run build');
  if (!existsSync(O.exe)) throw new Error(`--exe ${O.exe}: no such file (npm run release -- --targets host, or --exe dist/pfs.cjs)`);
  // Only what the chosen systems run.
  const tools: [string, string, System[]][] = [
    ['udp-sender', 'udpcast', ['udpcast']],
    ['udp-receiver', 'udpcast', ['udpcast']],
    ['uftp', 'uftp', ['uftp']],
    ['uftpd', 'uftp', ['uftp']],
    ['/usr/bin/time', 'time', ['pfs', 'store', 'cisco', 'traditional']],
  ];
  for (const [tool, pkg, users] of tools) {
    if (users.some((s) => O.systems.includes(s)) && spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) throw new Error(`${tool} is missing: apt-get install ${pkg}`);
  }
  const bt = O.systems.includes('bt') ? btMissing() : undefined;
  if (bt) throw new Error(bt);
  await cleanupStale();
  const started = new Date();
  const load0 = loadavg()[0]!;
  const t0 = Date.now();
  const rows: Result[] = [];
  for (const n of O.ns) rows.push(...(await runN(n)));
  const wallMin = (Date.now() - t0) / 60_000;
  const load1 = loadavg()[0]!;
  const limit = rows[0]?.limitSeconds ?? 0;
  const when = started.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, Node ${process.version}`;
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const tbl = table(rows);
  console.log(tbl);
  const result = { started: started.toISOString(), commit, machine, loadBefore: load0, loadAfter: load1, wallMinutes: wallMin, options: O, rows };
  if (!O.write) return;
  writeFileSync('bench/fleet-results.json', JSON.stringify(result, null, 2) + '\n');
  writeFileSync('bench/fleet.svg', chart(rows, limit, when));
  writeSection('Fleet (network namespaces)', fleetSection(tbl, { when, machine, commit, load0, load1, wallMin, limit, rows }));
}

function fleetSection(tbl: string, m: { when: string; machine: string; commit: string; load0: number; load1: number; wallMin: number; limit: number; rows: Result[] }): string {
  const args = process.argv.slice(2).join(' ');
  const runs = (...xs: System[]) => xs.some((x) => m.rows.some((r) => r.system === x));
  // Only the systems this run measured are described.
  const bullets: [System[], string][] = [
    [['traditional'], `- **traditional**: PFS turned off in each board's own SEP file; every board fetches the manifest and then each
  component in turn from the origin with blksize 512 and windowsize 1, as the phone does.`],
    [['cisco'], `- **Cisco-style PFS**: \`pfs boot --election phone --forward store --tftp-blksize 512 --tftp-window 1\`: the phone's
  election (four adverts 250 ms apart, then confirm), the same binary tree, a file forwarded only once complete, and
  the root on the phone's lock-step TFTP.`],
    [['store'], `- **store-and-forward, windowed root**: \`pfs boot --forward store\` (fast election); a reference row that isolates the tree's
  store-and-forward cost, and whose tail (last WAN byte to last commit) the Cisco-style estimate adds.`],
    [['pfs'], `- **pfs**: \`pfs boot\` with its defaults (fast election, cut-through, blksize 1468, windowsize 64 towards the origin).`],
    [['udpcast', 'uftp'], `- **udpcast, UFTP**: neither crosses a WAN by itself, so board 0 first fetches the manifest and components from the
  origin with \`pfs tftp get --blksize 1468 --windowsize 64\` (all five in parallel, as our root does), and then
  sends them to the other N−1 boards: \`tar | udp-sender --full-duplex --min-receivers N−1 --max-bitrate ${Math.round(MCAST_RATE / 1e6)}m\` to
  \`udp-receiver | tar -x\`, or \`uftp -R ${Math.round(MCAST_RATE / 1000)} -Y none -H <every receiver>\` to \`uftpd\`
  (multicast on the bridge). **Their fleet seconds are the sum: the WAN fetch plus the LAN multicast**, measured back
  to back in one run; the receivers were started (idle) at the same moment as the fetch. They skip what the boot systems
  do besides: no cnf.xml, no election, no per-block verification, no flash commit (the copies were checked by SHA-256
  afterwards, off the clock). udpcast waits 2 s after the last receiver connects before it sends (built in).`],
    [['bt'], `- **BitTorrent**: the same single WAN fetch by board 0, which then seeds with \`aria2c ${ARIA2_SEED.join(' ')}\` to the
  other N−1 boards, each running \`aria2c ${ARIA2_LEECHER.join(' ')}\` from the start (idle until a seed appears); Debian's
  \`opentracker\` runs on board 0 (on the subnet, not behind the WAN: announces cost the WAN nothing), and the torrent
  (\`mktorrent\`, ${O.btPieceBytes / 1024} KiB pieces) is made from the origin's files before the run, as a site would. Every aria2c is set for a
  LAN: \`${ARIA2_LAN.join(' ')}\` (the tracker is the only way peers meet; no caps; an announce
  every second, since aria2c otherwise waits out the tracker's interval). **Fleet seconds: the WAN fetch plus the swarm**
  (until the last leecher holds every piece, checked against the torrent's SHA-1s: its \`Seeding is over\` line; it exits
  a second or two later, after its last announce), measured back to back; the copies are checked by SHA-256 off the
  clock. aria2c works in one-second ticks (announces, connections, choking): the seed is found 2-3 s after it starts.`],
  ];
  const described = bullets.filter(([xs]) => runs(...xs)).map(([, text]) => text).join('\n');
  const derived = m.rows.some((r) => r.derived !== undefined)
    ? `**Measured and derived.** Lock-step TFTP moves one 512-byte block per round trip (≈3.4 kB/s per transfer at ${O.wanRttMs} ms),
so 8 MiB takes about 40 minutes per board: the traditional and Cisco-style rows were run for ${O.capS} s each and then
**extrapolated** from the rate the origin sent at over the second half of that run (hollow points and dashed lines in the
chart). Everything else was run to the end.`
    : '';
  return `Command: \`npm run bench:fleet${args ? ` -- ${args}` : ''}\` (one run, ${m.when}, at commit ${m.commit}; ${m.wallMin.toFixed(1)} minutes; ${m.machine};
load average ${m.load0.toFixed(2)} before, ${m.load1.toFixed(2)} after). Raw figures: [fleet-results.json](fleet-results.json) (each run replaces them and the chart; git keeps the earlier ones).

![fleet seconds against N, one line per system](fleet.svg)

For each N, one subnet of network namespaces is built (a namespace per board, one for the origin, a bridge in a
switch namespace, every port shaped by tbf to ${O.lanRate / 1e6} Mbit/s each way, the origin's port to the WAN's ${O.wanRate / 1e6} Mbit/s, addresses
in 198.18.0.0/16) and one firmware set is generated (${(O.size / 2 ** 20).toFixed(0)} MiB in ${O.files} components, one signed load for ${MODEL}, so
one model); every system runs in turn on that same subnet and set, from fresh boards. The origin is this project's TFTP
server in its namespace behind the user-space WAN emulator (${O.wanRttMs} ms round trip; the rate is the port's tbf), with one
window in flight per transfer, as a plain RFC 1350/7440 server. The physical limit is the set at the WAN rate plus one
round trip: ${m.limit.toFixed(2)} s. "WAN bytes / image" counts the firmware the origin sent (components and manifests,
retransmissions included; not the per-board cnf.xml files). The boot systems run \`pfs boot --board sim\` as one process
per board, ${programNote()} (each wrapped in GNU time for its peak RSS and its CPU time: user + system, all threads; "all boards' ÷ cores" is what the run's boards took of the machine, a floor for the fleet seconds when N processes share its cores); a board counts as done at its \`committed load\` line, after
every component was verified on its flash. ${O.sharedDisk ? 'Every board\'s folder (its flash) is on the work folder\'s one filesystem (`--shared-disk`).' : 'Each board\'s folder (its flash) is an ext4 of its own, an image in /dev/shm on a loop device (bench/board-media.ts), as each board has its own card: its syncs wait for its own journal, not for the other boards\' (`--shared-disk` puts them all on one, as before 2026-12-03).'} Boards log at \`--log-level dbg\` for their \`timing:\` lines (about 20 each):
a measured boot row's note gives the root's first component byte from the origin after its own configuration was in
hand (issue 12's target: at most 0.5 s), and the CPU a board had spent (user + system, from its \`timing:\` line) when its
configuration was in hand: N of those share the cores before any board can claim a root.

${described}

${derived ? `${derived}\n\n` : ''}${tbl}
`;
}

main().then(
  // Nothing of the run is left to wait for (children are gone, namespaces deleted).
  () => process.exit(0),
  async (e) => {
    log(`\nfleet: ${(e as Error).stack ?? e}\n`);
    await currentMedia?.destroy();
    await current?.destroy();
    process.exit(1);
  },
);
