// npm run bench:writeback — what a board's write-behind costs the card and the CPU
// (src/hal/flash/write-behind.ts, docs/FLASH.md Install). Each of N writer processes
// writes one component the way a board does at 10 Mbit/s (64 KiB blocks, one every
// 52 ms) through the dir back-end's file (nodeFs.open + writeBehind every 256 KiB),
// then syncs it as the commit does. Policies, interleaved run by run:
//   none       no write-behind: the page cache holds the image until the commit
//   fsync      a background fsync every 256 KiB (the push without the native addon)
//   writeback  sync_file_range(SYNC_FILE_RANGE_WRITE) every 256 KiB (startWriteback)
// The files live on an ext4 file system on a loop device, so the device's own
// counters (/sys/block/loopN/stat) give its writes and cache flushes; --throttle puts
// the writers in a blkio cgroup (v1) that writes at most that many bytes a second,
// standing in for an SD card. Machine CPU is /proc/stat's busy time from the moment
// every writer is ready to the last one's exit (kernel flusher threads included).
// Needs root, losetup, mkfs.ext4 and the native addon (npm run build:native).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeFs, type FsFile } from '../src/hal/flash/fs';
import { loadNative } from '../src/hal/native';
import { writeBehind } from '../src/hal/flash/write-behind';
import { benchArgs, numberArg } from './args';

const POLICIES = ['none', 'fsync', 'writeback'] as const;
type Policy = (typeof POLICIES)[number];
const BLOCK = 64 * 1024;
const EVERY = 256 * 1024;

const USAGE = `Usage: npm run bench:writeback -- [options]   (as root)

  --writers 2          writer processes at once (boards sharing the machine)
  --size-mib 8         each writer's component
  --interval-ms 52     between its 64 KiB writes (52: 10 Mbit/s)
  --throttle 10M       write bytes a second for the writers (cgroup v1 blkio); 0: none
  --runs 3             rounds, each policy once per round
  --policies LIST      of ${POLICIES.join(',')} (default all)
  -h, --help           this text
`;

// ---------------------------------------------------------------- one writer (child)

async function writer(policy: Policy, file: string, sizeMiB: number, intervalMs: number): Promise<void> {
  let f: FsFile = await nodeFs.open(file, 'write');
  if (policy === 'fsync') f = { ...f, startWriteback: undefined };
  if (policy !== 'none') f = writeBehind(f, EVERY);
  const block = Buffer.alloc(BLOCK, 0xa5);
  process.stdout.write('ready\n');
  await new Promise((r) => process.stdin.once('data', r));
  for (let at = 0; at < sizeMiB * 1024 * 1024; at += BLOCK) {
    await f.writev([block], at);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const t = performance.now();
  await f.sync();
  const commitMs = performance.now() - t;
  await f.close();
  process.stdout.write(`${JSON.stringify({ commitMs })}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------- the run (parent)

function busyJiffies(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: all but idle and iowait
  return f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
}

function deviceStat(dev: string): { ios: number; bytes: number; flushes: number } {
  const f = readFileSync(`/sys/block/${basename(dev)}/stat`, 'utf8').trim().split(/\s+/).map(Number);
  return { ios: f[4]!, bytes: f[6]! * 512, flushes: f[15] ?? NaN };
}

interface Round {
  policy: Policy;
  commitMs: number[];
  ios: number;
  flushes: number;
  mib: number;
  cpuS: number;
}

async function round(o: Options, policy: Policy, mnt: string, dev: string, cgroup?: string): Promise<Round> {
  execFileSync('sync');
  const children = Array.from({ length: o.writers }, (_, i) => {
    const argv = [...process.execArgv, process.argv[1]!, '--child', policy, join(mnt, `w${i}.sbn`), String(o.sizeMiB), String(o.intervalMs)];
    // Into the cgroup before Node starts, so that every thread of the writer is throttled.
    const cmd = cgroup ? ['sh', '-c', `echo $$ > ${cgroup}/tasks && exec "$0" "$@"`, process.execPath, ...argv] : [process.execPath, ...argv];
    return spawn(cmd[0]!, cmd.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  });
  const lines = children.map((c) => {
    const got: string[] = [];
    let buf = '';
    c.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        got.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
    return got;
  });
  while (lines.some((l) => !l.includes('ready'))) await new Promise((r) => setTimeout(r, 20));
  const cpu0 = busyJiffies();
  const d0 = deviceStat(dev);
  for (const c of children) c.stdin!.write('go\n');
  await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
  const cpuS = (busyJiffies() - cpu0) / 100;
  // What was only started (none, writeback) is on the device once the commit synced it; flushes counted to here.
  const d1 = deviceStat(dev);
  const commitMs = lines.map((l) => JSON.parse(l.find((x) => x.startsWith('{'))!).commitMs as number).sort((a, b) => a - b);
  for (let i = 0; i < o.writers; i++) rmSync(join(mnt, `w${i}.sbn`), { force: true });
  return { policy, commitMs, ios: d1.ios - d0.ios, flushes: d1.flushes - d0.flushes, mib: (d1.bytes - d0.bytes) / 2 ** 20, cpuS };
}

interface Options {
  writers: number;
  sizeMiB: number;
  intervalMs: number;
  throttle: number;
  runs: number;
  policies: Policy[];
}

async function main(o: Options): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (a loop device, a mount, a cgroup)');
  if (!loadNative()?.startWriteback) throw new Error('the native addon with startWriteback is not built: npm run build:native');
  const dir = mkdtempSync(join(tmpdir(), 'pfs-writeback-'));
  const img = join(dir, 'card.img');
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  writeFileSync(img, '');
  truncateSync(img, Math.max(256, o.writers * o.sizeMiB * 2) * 2 ** 20);
  execFileSync('mkfs.ext4', ['-q', '-F', img]);
  const dev = execFileSync('losetup', ['-f', '--show', img], { encoding: 'utf8' }).trim();
  let mounted = false;
  let cgroup: string | undefined;
  try {
    execFileSync('mount', [dev, mnt]);
    mounted = true;
    if (o.throttle > 0) {
      cgroup = `/sys/fs/cgroup/blkio/pfs-writeback-${process.pid}`;
      mkdirSync(cgroup);
      const majMin = readFileSync(`/sys/block/${basename(dev)}/dev`, 'utf8').trim();
      writeFileSync(`${cgroup}/blkio.throttle.write_bps_device`, `${majMin} ${o.throttle}`);
    }
    console.log(`${o.writers} writers x ${o.sizeMiB} MiB, a 64 KiB write every ${o.intervalMs} ms, push every 256 KiB; ext4 on ${dev}${o.throttle ? `, writes throttled to ${o.throttle} B/s` : ''}`);
    console.log('| policy | the commit\u2019s sync, ms (each writer) | device writes | device cache flushes | MiB written | machine CPU s |');
    console.log('|---|---|---:|---:|---:|---:|');
    for (let r = 0; r < o.runs; r++) {
      for (const p of o.policies) {
        const x = await round(o, p, mnt, dev, cgroup);
        console.log(`| ${x.policy} | ${x.commitMs.map((m) => m.toFixed(0)).join(', ')} | ${x.ios} | ${x.flushes} | ${x.mib.toFixed(1)} | ${x.cpuS.toFixed(2)} |`);
      }
    }
  } finally {
    if (mounted) execFileSync('umount', [mnt]);
    execFileSync('losetup', ['-d', dev]);
    if (cgroup) rmSync(cgroup, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  const [, , , policy, file, size, interval] = process.argv;
  void writer(policy as Policy, file!, Number(size), Number(interval));
} else {
  const o = benchArgs('bench:writeback', USAGE, (args): Options => {
    const { values: v } = parseArgs({
      args,
      options: {
        writers: { type: 'string', default: '2' },
        'size-mib': { type: 'string', default: '8' },
        'interval-ms': { type: 'string', default: '52' },
        throttle: { type: 'string', default: '10M' },
        runs: { type: 'string', default: '3' },
        policies: { type: 'string', default: POLICIES.join(',') },
      },
    });
    const policies = v.policies!.split(',') as Policy[];
    for (const p of policies) if (!POLICIES.includes(p)) throw new Error(`--policies: unknown "${p}" (one of ${POLICIES.join(', ')})`);
    const t = /^(\d+)([KM]?)$/i.exec(v.throttle!.trim());
    if (!t) throw new Error(`--throttle must be bytes a second (10M, 512K, 0), got "${v.throttle}"`);
    return {
      writers: numberArg(v.writers!, '--writers', { min: 1 }),
      sizeMiB: numberArg(v['size-mib']!, '--size-mib', { min: 1 }),
      intervalMs: numberArg(v['interval-ms']!, '--interval-ms'),
      throttle: Number(t[1]) * ({ '': 1, k: 1024, m: 1024 * 1024 } as Record<string, number>)[t[2]!.toLowerCase()]!,
      runs: numberArg(v.runs!, '--runs', { min: 1 }),
      policies,
    };
  });
  main(o).catch((e: Error) => {
    process.stderr.write(`bench:writeback: ${e.message}\n`);
    process.exit(1);
  });
}
