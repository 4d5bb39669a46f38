// npm run bench:tftp — our TFTP client against the real ones (tftp-hpa's `tftp`,
// `atftp`), all fetching the same 64 MiB file from the same atftpd over loopback,
// blksize 1428, windowsize 1 and 16. Median of --reps runs (default $BENCH_REPS, else 5),
// runs of the clients interleaved. Prints a markdown table and writes it into
// bench/RESULTS.md (section "TFTP client throughput").
//
// Every client is timed the same way: wall time of its process from spawn to exit
// (ours included: `node dist/pfs.cjs tftp get`, so Node's start-up counts against us).
// The in-process row (tftpGetToFile) shows the client without that start-up.
import { spawn } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tftpGetToFile } from '../src/net/tftp/client';
import { atftpPath, makeFile, sha256File, startAtftpd, tftpHpaPath, tmpDir } from '../test/helpers/index';
import { benchArgs, numberArg } from './args';
import { writeSection } from './results';

const SIZE = 64 * 1024 * 1024;
const USAGE = `Usage: npm run bench:tftp -- [--reps 5]

  --reps N     runs of each client; the table shows the median (default $BENCH_REPS, else 5)
  -h, --help   this text
`;
const REPS = benchArgs('bench:tftp', USAGE, (args) => {
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { reps: { type: 'string', default: process.env.BENCH_REPS ?? '5' } } });
  return numberArg(values.reps, '--reps', { min: 1 });
});
const BLKSIZE = 1428;
const BUNDLE = resolve('dist/pfs.cjs');

interface Client {
  label: string;
  real: boolean;
  blksize: number;
  windowsize: number;
  note?: string;
  /** Fetches the file into `out`; resolves to seconds (wall time). */
  run(port: number, out: string): Promise<number>;
  /** Seconds the program reported itself for each run (our CLI's summary line). */
  own?: number[];
}

function timed(program: string, args: string[], ok: (code: number | null, out: string) => string | undefined): Promise<number> {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', fail);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const why = ok(code, out);
      if (why) fail(new Error(`${program} ${args.join(' ')}: ${why}\n${out}`));
      else done(seconds);
    });
  });
}

const exit0 = (code: number | null) => (code === 0 ? undefined : `exit ${code}`);

function clients(): Client[] {
  const atftp = atftpPath();
  const tftp = tftpHpaPath();
  if (!atftp || !tftp) throw new Error('atftp and tftp (tftp-hpa) are needed: run "bash .ci/run" as root');
  const list: Client[] = [];
  for (const windowsize of [1, 16]) {
    const cli: Client = {
      label: 'pfs tftp get (CLI bundle)',
      real: false,
      blksize: BLKSIZE,
      windowsize,
      own: [],
      run: (port, out) =>
        timed(process.execPath, [BUNDLE, 'tftp', 'get', `127.0.0.1:${port}`, 'image.bin', '-o', out, '--blksize', String(BLKSIZE), '--windowsize', String(windowsize)], (code, text) => {
          const m = / bytes in (\d+\.\d+) s /.exec(text);
          if (code !== 0 || !m) return `exit ${code}, no summary line`;
          cli.own!.push(Number(m[1]));
          return undefined;
        }),
    };
    list.push(cli);
    list.push({
      label: 'tftpGetToFile (in-process)',
      real: false,
      blksize: BLKSIZE,
      windowsize,
      run: async (port, out) => {
        const started = performance.now();
        await tftpGetToFile({ host: '127.0.0.1', port, file: 'image.bin', blksize: BLKSIZE, windowsize }, out);
        return (performance.now() - started) / 1000;
      },
    });
    const opts = ['--option', `blksize ${BLKSIZE}`, ...(windowsize > 1 ? ['--option', `windowsize ${windowsize}`] : [])];
    list.push({
      label: 'atftp 0.8',
      real: true,
      blksize: BLKSIZE,
      windowsize,
      run: (port, out) => timed(atftp, [...opts, '-g', '-r', 'image.bin', '-l', out, '127.0.0.1', String(port)], exit0),
    });
  }
  list.push({
    label: 'tftp (tftp-hpa 5.2)',
    real: true,
    blksize: 512,
    windowsize: 1,
    note: 'its client has neither blksize nor windowsize: 512 / 1',
    run: (port, out) =>
      timed(tftp, ['127.0.0.1', String(port), '-m', 'binary', '-c', 'get', 'image.bin', out], (code, text) =>
        code !== 0 || /error|timed out/i.test(text) ? `exit ${code}` : undefined,
      ),
  });
  return list;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const list = clients();
  const dir = await tmpDir('pfs-bench-tftp-');
  const srv = join(dir.path, 'srv');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(srv, { mode: 0o755 });
  const file = await makeFile(srv, 'image.bin', SIZE, 64);
  const atftpd = await startAtftpd(srv);
  if (!atftpd) throw new Error('atftpd is needed: run "bash .ci/run" as root (it unpacks atftpd into /opt/atftpd)');
  const times = new Map<Client, number[]>(list.map((c) => [c, []]));
  const loadBefore = loadavg()[0]!;
  try {
    for (let rep = 1; rep <= REPS; rep++) {
      for (const c of list) {
        const out = join(dir.path, 'out.bin');
        await rm(out, { force: true });
        const s = await c.run(atftpd.port, out);
        const sum = await sha256File(out);
        if (sum !== file.sha256) throw new Error(`${c.label} ${c.blksize}/${c.windowsize}: the file arrived different`);
        times.get(c)!.push(s);
        process.stderr.write(`run ${rep}/${REPS}  ${c.label.padEnd(28)} ${c.blksize}/${c.windowsize}: ${((SIZE / s) / 1e6).toFixed(1)} MB/s\n`);
      }
    }
  } finally {
    await atftpd.stop();
    await dir.cleanup();
  }

  const rate = (c: Client) => SIZE / median(times.get(c)!) / 1e6;
  const bestReal = (w: number) => Math.max(...list.filter((c) => c.real && c.windowsize === w).map(rate));
  const order = [...list].sort((a, b) => a.windowsize - b.windowsize || Number(a.real) - Number(b.real));
  const rows = order.map((c) => {
    const ratio = rate(c) / bestReal(c.windowsize);
    const note = c.own ? `its own summary line: ${(SIZE / median(c.own) / 1e6).toFixed(1)} MB/s (without Node's start-up)` : (c.note ?? '');
    const runs = times.get(c)!.map((s) => s.toFixed(3)).join(' / ');
    return `| ${c.label} | ${c.blksize} | ${c.windowsize} | ${rate(c).toFixed(1)} | ${ratio.toFixed(2)}× | ${runs} | ${note} |`;
  });
  const table = [
    '| client | blksize | windowsize | MB/s (median) | ratio to best real client, same windowsize | seconds per run | note |',
    '|---|---:|---:|---:|---:|---|---|',
    ...rows,
  ].join('\n');

  const cli = (w: number) => rate(list.find((c) => !c.real && c.windowsize === w && c.label.startsWith('pfs'))!);
  const r1 = cli(1) / bestReal(1);
  const r16Min = Math.min(...list.filter((c) => c.real).map((c) => cli(16) / rate(c)));
  const goals = [
    `- windowsize 1: our CLI is ${r1.toFixed(2)}× the best real client at windowsize 1 (goal ≥ 0.80×): ${r1 >= 0.8 ? 'met' : '**missed**'}.`,
    `- windowsize 16: our CLI is ${r16Min.toFixed(2)}× the fastest real client of the run, any windowsize (goal > 1×): ${r16Min > 1 ? 'met' : '**missed**'}.`,
  ].join('\n');

  console.log(`\n${table}\n\n${goals}\n`);

  const loadAfter = loadavg()[0]!;
  const when = new Date().toISOString().replace('T', ' ').slice(0, 16);
  writeSection(
    'TFTP client throughput',
    `Command: \`npm run bench:tftp\` (${when} UTC; ${cpus().length} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}).
Each client fetches the same ${SIZE / 1024 / 1024} MiB file from the same atftpd 0.8 over loopback (127.0.0.1), ${REPS} runs each,
interleaved; the table shows the median. MB/s is 10^6 bytes per second of wall time of the client's process, from
spawn to exit, so our CLI pays Node's start-up (the in-process row does not). Every copy was checked by SHA-256.
"Ratio" is against the best real client (atftp, tftp-hpa) at the same windowsize in this run.
Load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after: other work on the machine shows up as spread between runs.

${table}

${goals}`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
