// npm run bench:relay — how fast one board passes a file on to its child: a source
// process → K hop processes → a sink process on loopback, each hop one of
//   pipe   a bare `net` pipe (bytes in, bytes out),
//   hash   the same pipe that also hashes every byte with SHA-256 (the target's yardstick),
//   hash-write  that pipe also writing the file (fs.WriteStream, on /dev/shm or disk):
//          the same work as a hop, done the plain Node way,
//   pfs    a board's data path: ParentLink → FilePipeline (SHA-256 per block, the spool
//          on a file) → Fanout → the child, the spool on /dev/shm or on disk.
// With --before DIR (a copy of src/ from another commit, e.g. `git archive <c> src | tar
// -x -C DIR`) a "pfs (before)" row runs that tree's data path the same way, interleaved.
// Rows are interleaved run by run; the table shows the median rate and each hop's CPU
// per GB. Writes bench/RESULTS.md's "Relay" section with --write.
//
// The hops do not run the DLoad core (src/dload): a hop here is wired as
// src/net/peer/peer-node.ts wires a file (verified → release to children while flash
// writes, stored → the core), without the per-block event into the core.
import { spawn, type ChildProcess } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { benchArgs, numberArg } from './args';
import { writeSection } from './results';

const BLOCK = 64 * 1024;
/** The file is this pattern over and over: random-looking, the same in every process. */
const PATTERN = 4 << 20;
const KEY = '0123456789abcdef';
const USAGE = `Usage: npm run bench:relay -- [--size-mib 64] [--hops 1] [--reps 3] [--rows pipe,hash,pfs-shm,pfs-disk] [--before DIR] [--write]

  --size-mib N   the file, MiB (default 64; the issue's figure is 512)
  --hops K       hops between source and sink, each its own process (default 1)
  --reps N       runs of each row, interleaved; the table shows the median (default 3)
  --rows LIST    which rows (default pipe,hash,hash-write-shm,hash-write-disk,pfs-shm,
                 pfs-disk; with --before also before-shm,before-disk)
  --before DIR   a tree with src/ from another commit: adds its pfs rows
  --disk DIR     where the disk rows put their spool (default the OS temp folder)
  --prof DIR     hop processes write a CPU profile (node --cpu-prof) into DIR
  --write        write the table into bench/RESULTS.md ("Relay")
  -h, --help     this text
`;

const ROLE_OPTS = {
  role: { type: 'string' },
  kind: { type: 'string' },
  up: { type: 'string' },
  size: { type: 'string' },
  spool: { type: 'string' },
  impl: { type: 'string' },
} as const;

function pattern(): Buffer {
  const c = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  return c.update(Buffer.alloc(PATTERN));
}

function planFor(size: number, data: Buffer) {
  const perPattern: Buffer[] = [];
  for (let off = 0; off < PATTERN; off += BLOCK) perPattern.push(createHash('sha256').update(data.subarray(off, off + BLOCK)).digest());
  const hashes: Buffer[] = [];
  for (let off = 0, i = 0; off < size; off += BLOCK, i++) {
    const len = Math.min(BLOCK, size - off);
    hashes.push(len === BLOCK ? perPattern[i % perPattern.length]! : createHash('sha256').update(data.subarray(off % PATTERN, (off % PATTERN) + len)).digest());
  }
  return { size, blockSize: BLOCK, hashes };
}

/** The 26-byte StreamRequest and 35-byte StreamResponse, from the tree under test. */
async function wire(impl: string) {
  return (await import(pathToFileURL(join(impl, 'src/dload/wire.ts')).href)) as typeof import('../src/dload/wire');
}

/** CPU of this process from the first byte of the stream on (start-up left out). */
let cpuBase: NodeJS.CpuUsage | undefined;
const streamStarts = () => void (cpuBase ??= process.cpuUsage());

function report(extra: Record<string, number> = {}): void {
  const u = process.cpuUsage(cpuBase);
  process.stdout.write(`${JSON.stringify({ cpuMs: (u.user + u.system) / 1000, ...extra })}\n`);
}

function listen(server: net.Server): Promise<number> {
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok((server.address() as net.AddressInfo).port)));
}

/** The first `n` bytes a socket delivers, and whatever came with them. */
function readHeader(sock: net.Socket, n: number): Promise<[Buffer, Buffer]> {
  return new Promise((ok, fail) => {
    let got = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      got = Buffer.concat([got, c]);
      if (got.length < n) return;
      sock.off('data', onData);
      sock.pause();
      ok([got.subarray(0, n), got.subarray(n)]);
    };
    sock.on('data', onData);
    sock.once('error', fail);
  });
}

// ---- the processes ---------------------------------------------------------------

async function source(size: number, impl: string): Promise<void> {
  const w = await wire(impl);
  const data = pattern();
  const server = net.createServer(async (sock) => {
    sock.setNoDelay(true);
    await readHeader(sock, 26);
    streamStarts();
    sock.write(w.encode({ type: 'StreamResponse', key: KEY, sender: 1, status: w.STREAM_STATUS.OK, size, offset: 0 }));
    let off = 0;
    const more = () => {
      while (off < size) {
        const p = off % PATTERN;
        const n = Math.min(BLOCK, size - off, PATTERN - p);
        off += n;
        if (!sock.write(data.subarray(p, p + n))) return void sock.once('drain', more);
      }
      sock.end(() => {
        report();
        process.exit(0);
      });
    };
    more();
  });
  process.stdout.write(`port ${await listen(server)}\n`);
}

/** A pipe; `hash`: SHA-256 over every byte; `writeDir`: also a file there (fs.WriteStream), paused while it lags. */
async function pipeHop(up: number, hash: boolean, writeDir?: string): Promise<void> {
  const server = net.createServer(async (down) => {
    down.setNoDelay(true);
    const [req] = await readHeader(down, 26);
    streamStarts();
    const u = net.connect({ host: '127.0.0.1', port: up, noDelay: true });
    u.write(req);
    const h = hash ? createHash('sha256') : undefined;
    const path = writeDir && join(writeDir, `relay-${process.pid}.bin`);
    const file = path ? createWriteStream(path) : undefined;
    let header = 35; // the StreamResponse goes to the child, not into the file
    let waits = 0;
    const resume = () => --waits === 0 && u.resume();
    u.on('data', (c: Buffer) => {
      h?.update(c);
      if (!down.write(c)) (waits++, down.once('drain', resume));
      const body = header > 0 ? c.subarray(Math.min(header, c.length)) : c;
      header = Math.max(0, header - c.length);
      if (file && body.length > 0 && !file.write(body)) (waits++, file.once('drain', resume));
      if (waits > 0) u.pause();
    });
    u.on('end', () => down.end(async () => {
      h?.digest();
      if (file) await new Promise((ok) => file.end(ok));
      report();
      if (path) await rm(path, { force: true });
      process.exit(0);
    }));
  });
  process.stdout.write(`port ${await listen(server)}\n`);
}

async function pfsHop(up: number, size: number, impl: string, spoolDir: string): Promise<void> {
  const mod = <T>(p: string) => import(pathToFileURL(join(impl, 'src', p)).href) as Promise<T>;
  const { FilePipeline } = await mod<typeof import('../src/net/peer/pipeline')>('net/peer/pipeline.ts');
  const { Fanout } = await mod<typeof import('../src/net/peer/fanout')>('net/peer/fanout.ts');
  const { ParentLink } = await mod<typeof import('../src/net/peer/parent-link')>('net/peer/parent-link.ts');
  const { ChildServer } = await mod<typeof import('../src/net/peer/child-server')>('net/peer/child-server.ts');
  const { fileMedium } = await mod<typeof import('../src/net/peer/spool')>('net/peer/spool.ts');
  const { silentLogger } = await mod<typeof import('../src/log/logger')>('log/logger.ts');
  const { decode } = await wire(impl);
  const plan = planFor(size, pattern());
  const spoolPath = join(spoolDir, `relay-${process.pid}.bin`);
  const limit = (index: number) => Math.min((index + 1) * BLOCK, size);
  let servedChild = false;
  let allStored = false;
  let fanout!: InstanceType<typeof Fanout>;
  let pipeline!: InstanceType<typeof FilePipeline>;
  const finish = async () => {
    if (!servedChild || !allStored) return;
    await pipeline.close();
    report({ maxPendingBytes: pipeline.maxPendingBytes });
    await rm(spoolPath, { force: true });
    process.exit(0);
  };
  const fail = (why: string) => {
    process.stderr.write(`pfs hop: ${why}\n`);
    process.exit(1);
  };
  const children = new ChildServer(silentLogger, async (header) => {
    streamStarts();
    const req = decode(header);
    if (req.type !== 'StreamRequest') return fail('not a StreamRequest');
    pipeline = new FilePipeline('relay.bin', plan, () => fileMedium(spoolPath), {
      // As peer-node.ts wires it (forward 'cut'): children get a block once it is verified,
      // the core hears of it once it is on flash. A tree without `verified` releases at stored.
      verified: (index: number, slices: Buffer[]) => fanout.release(limit(index), slices),
      stored: (index, slices) => {
        fanout.release(limit(index), slices);
        if (index + 1 >= pipeline.blocks) {
          allStored = true;
          void finish();
        }
      },
      corrupt: (index) => fail(`block ${index} corrupt`),
      failed: (e) => fail(e.message),
    } as ConstructorParameters<typeof FilePipeline>[3]);
    await pipeline.open();
    fanout = new Fanout(pipeline.spool, size, {
      served: () => {
        servedChild = true;
        void finish();
      },
      lost: () => fail('child lost'),
    });
    const sock = children.serve(KEY, req.sender, 2, size, 0);
    if (!sock) return fail('child gone');
    fanout.add(sock, 'sink', 0);
    pipeline.attach(new ParentLink({ key: KEY, file: 'relay.bin', nodeId: 2, parentId: 1, addr: '127.0.0.1', port: up, fromOffset: 0, size, blockSize: plan.blockSize, log: silentLogger }, () => {}));
  });
  process.stdout.write(`port ${await children.listen(0, '127.0.0.1')}\n`);
}

async function sink(up: number, size: number, impl: string): Promise<void> {
  const w = await wire(impl);
  const t0 = performance.now();
  const sock = net.connect({ host: '127.0.0.1', port: up, noDelay: true });
  sock.write(w.encode({ type: 'StreamRequest', key: KEY, sender: 3, offset: 0 }));
  let got = -35;
  sock.on('data', (c: Buffer) => {
    got += c.length;
    if (got >= size) {
      const seconds = (performance.now() - t0) / 1000;
      sock.destroy();
      report({ seconds, bytes: got });
      process.exit(got === size ? 0 : 1);
    }
  });
  sock.on('close', () => {
    if (got < size) {
      process.stderr.write(`sink: stream ended at ${got} of ${size}\n`);
      process.exit(1);
    }
  });
}

// ---- the orchestra ----------------------------------------------------------------

interface Proc {
  child: ChildProcess;
  port: Promise<number>;
  result: Promise<{ cpuMs: number; seconds?: number; maxPendingBytes?: number }>;
}

function start(args: string[], prof?: string): Proc {
  const flags = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', resolve('bench/relay.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let portSeen: (n: number) => void;
  const port = new Promise<number>((ok) => (portSeen = ok));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /^port (\d+)$/m.exec(out);
    if (m) portSeen(Number(m[1]));
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<{ cpuMs: number }>((ok, fail) => {
    child.once('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) fail(new Error(`relay ${args.join(' ')}: exit ${code}\n${err}`));
      else ok(JSON.parse(line));
    });
  });
  port.catch(() => {});
  result.catch(() => {});
  return { child, port: Promise.race([port, result.then(() => -1)]), result };
}

interface Row {
  label: string;
  kind: 'pipe' | 'hash' | 'hashwrite' | 'pfs';
  impl: string;
  spool?: string;
}

interface Run {
  mbps: number;
  cpuPerGb: number[];
  maxPendingMib?: number;
}

async function runOnce(row: Row, size: number, hops: number, prof?: string): Promise<Run> {
  const here = resolve('.');
  const src = start(['--role', 'source', '--size', String(size), '--impl', here]);
  const procs = [src];
  try {
    let up = await src.port;
    const hopProcs: Proc[] = [];
    for (let i = 0; i < hops; i++) {
      const h = start(['--role', 'hop', '--kind', row.kind, '--up', String(up), '--size', String(size), '--impl', row.impl, ...(row.spool ? ['--spool', row.spool] : [])], prof);
      procs.push(h);
      hopProcs.push(h);
      up = await h.port;
    }
    const s = start(['--role', 'sink', '--up', String(up), '--size', String(size), '--impl', here]);
    procs.push(s);
    const r = await s.result;
    const hopResults = await Promise.all(hopProcs.map((h) => h.result));
    await src.result;
    const pending = hopResults.map((h) => h.maxPendingBytes ?? 0);
    return {
      mbps: size / r.seconds! / 1e6,
      cpuPerGb: hopResults.map((h) => h.cpuMs / (size / 1e9) / 1000),
      maxPendingMib: row.kind === 'pfs' ? Math.max(...pending) / 2 ** 20 : undefined,
    };
  } finally {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const opts = benchArgs('bench:relay', USAGE, (args) => {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        'size-mib': { type: 'string', default: '64' },
        hops: { type: 'string', default: '1' },
        reps: { type: 'string', default: '3' },
        rows: { type: 'string' },
        before: { type: 'string' },
        disk: { type: 'string', default: tmpdir() },
        write: { type: 'boolean', default: false },
        prof: { type: 'string' },
        ...ROLE_OPTS,
      },
    });
    return {
      ...values,
      size: values.size ? numberArg(values.size, '--size', { min: 1 }) : numberArg(values['size-mib'], '--size-mib', { min: 1 }) * 2 ** 20,
      hops: numberArg(values.hops, '--hops', { min: 1 }),
      reps: numberArg(values.reps, '--reps', { min: 1 }),
    };
  });
  const here = resolve('.');
  if (opts.role === 'source') return source(opts.size, opts.impl ?? here);
  if (opts.role === 'sink') return sink(Number(opts.up), opts.size, opts.impl ?? here);
  if (opts.role === 'hop') {
    if (opts.kind === 'pfs') return pfsHop(Number(opts.up), opts.size, opts.impl ?? here, opts.spool!);
    return pipeHop(Number(opts.up), opts.kind !== 'pipe', opts.kind === 'hashwrite' ? opts.spool : undefined);
  }

  const shm = await mkdtemp('/dev/shm/pfs-relay-');
  const disk = await mkdtemp(join(opts.disk, 'pfs-relay-'));
  const before = opts.before ? resolve(opts.before) : undefined;
  const all: Record<string, Row> = {
    pipe: { label: 'bare `net` pipe', kind: 'pipe', impl: here },
    hash: { label: 'pipe + SHA-256', kind: 'hash', impl: here },
    'hash-write-shm': { label: 'pipe + SHA-256 + fs.WriteStream, /dev/shm', kind: 'hashwrite', impl: here, spool: shm },
    'hash-write-disk': { label: 'pipe + SHA-256 + fs.WriteStream, disk', kind: 'hashwrite', impl: here, spool: disk },
    'pfs-shm': { label: 'pfs hop, spool on /dev/shm', kind: 'pfs', impl: here, spool: shm },
    'pfs-disk': { label: `pfs hop, spool on disk (${opts.disk})`, kind: 'pfs', impl: here, spool: disk },
    ...(before
      ? {
          'before-shm': { label: 'pfs hop before, /dev/shm', kind: 'pfs', impl: before, spool: shm },
          'before-disk': { label: 'pfs hop before, disk', kind: 'pfs', impl: before, spool: disk },
        }
      : {}),
  } as Record<string, Row>;
  const names = opts.rows ? opts.rows.split(',') : Object.keys(all);
  for (const n of names) if (!all[n]) throw new Error(`bench:relay: unknown row "${n}" (${Object.keys(all).join(', ')})`);
  const runs = new Map<string, Run[]>(names.map((n) => [n, []]));
  const loads: number[] = [];
  try {
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const n of names) {
        loads.push(loadavg()[0]!);
        const r = await runOnce(all[n]!, opts.size, opts.hops, opts.prof);
        runs.get(n)!.push(r);
        process.stderr.write(`${n} run ${rep + 1}: ${r.mbps.toFixed(0)} MB/s, hop CPU ${r.cpuPerGb.map((c) => c.toFixed(2)).join('/')} s/GB\n`);
      }
    }
  } finally {
    await rm(shm, { recursive: true, force: true });
    await rm(disk, { recursive: true, force: true });
  }
  const hashRate = runs.has('hash') ? median(runs.get('hash')!.map((r) => r.mbps)) : undefined;
  const lines = [
    `| hop | MB/s (median) | ratio to pipe + SHA-256 | hop CPU s per GB (median) | most waiting for flash | MB/s per run |`,
    `|---|---|---|---|---|---|`,
  ];
  for (const n of names) {
    const rs = runs.get(n)!;
    const mbps = median(rs.map((r) => r.mbps));
    const cpu = median(rs.map((r) => r.cpuPerGb.reduce((a, b) => a + b, 0) / r.cpuPerGb.length));
    const pend = all[n]!.kind === 'pfs' ? `${Math.max(...rs.map((r) => r.maxPendingMib ?? 0)).toFixed(2)} MiB` : '';
    lines.push(`| ${all[n]!.label} | ${mbps.toFixed(0)} | ${hashRate ? (mbps / hashRate).toFixed(2) + '×' : ''} | ${cpu.toFixed(2)} | ${pend} | ${rs.map((r) => r.mbps.toFixed(0)).join(' / ')} |`);
  }
  const table = lines.join('\n');
  const setting = `${opts.size / 2 ** 20} MiB, ${opts.hops} hop${opts.hops > 1 ? 's' : ''}, ${opts.reps} runs of each row interleaved, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} during the runs, Node ${process.version}`;
  process.stdout.write(`${setting}\n\n${table}\n`);
  if (opts.write) {
    writeSection(
      'Relay: one board passing a file on to its child (issue 12 item 4)',
      `\`npm run bench:relay -- --size-mib ${opts.size / 2 ** 20} --hops ${opts.hops} --reps ${opts.reps}${before ? ' --before DIR' : ''}\`: ` +
        `source → ${opts.hops} hop process${opts.hops > 1 ? 'es' : ''} → sink on loopback; MB/s is 10^6 bytes per second at the sink, ` +
        `from its StreamRequest to the last byte; CPU is the hop process's user + system time per GB passed on.\n${setting}.\n\n${table}\n`,
    );
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
