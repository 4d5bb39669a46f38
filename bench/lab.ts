// npm run bench:lab — one run, side by side: traditional TFTP, store-and-forward
// PFS and cut-through PFS, for several fleet sizes, on loopback with an emulated WAN.
// Prints a markdown table and writes it into bench/RESULTS.md (section "Lab").
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchArgs, numberListArg } from './args';
import { writeSection } from './results';

const USAGE = `Usage: npm run bench:lab -- [--n 8,32,128]

  --n LIST     fleet sizes (default $BENCH_N, else 8,32,128)
  -h, --help   this text
`;

const sizes = benchArgs('bench:lab', USAGE, (args) => {
  const { values } = parseArgs({ args, strict: true, allowPositionals: false, options: { n: { type: 'string', default: process.env.BENCH_N ?? '8,32,128' } } });
  return numberListArg(values.n, '--n', { min: 1 });
});
// --engine: the DLoad engine's own benchmark (boards handed the block plans), as the engine issue asks.
const common = ['--engine', '--size', '8M', '--files', '4', '--wan-rate', '10mbit', '--wan-rtt', '150ms', '--json'];
const modes: { label: string; args: string[] }[] = [
  { label: 'tftp (every board from the origin, windowsize 4)', args: ['--mode', 'tftp', '--tftp-window', '4'] },
  { label: 'pfs, store-and-forward', args: ['--mode', 'pfs', '--forward', 'store'] },
  { label: 'pfs, cut-through (default)', args: ['--mode', 'pfs', '--forward', 'cut'] },
];

interface Row {
  n: number;
  label: string;
  s: { fleetSeconds: number; limitSeconds: number; originBytes: number; fileBytes: number; peakRssPerBoardMiB: number; allVerified: boolean; maxDepth: number };
}

const rows: Row[] = [];
const bundle = resolve('dist/pfs.cjs');
// Below the kernel's ephemeral range (32768+), where no other socket can already sit.
let port = 12000;
for (const n of sizes) {
  for (const m of modes) {
    const args = [bundle, 'lab', '--boards', String(n), ...common, ...m.args, '--port-base', String(port), '--bcast-port', String(port - 1), '--timeout', '3600s'];
    port += n + 10;
    process.stderr.write(`N=${n} ${m.label} ... `);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    if (!last.startsWith('{')) {
      process.stderr.write(`failed (exit ${r.status})\n${r.stderr.slice(-2000)}\n`);
      process.exit(1);
    }
    const s = JSON.parse(last);
    process.stderr.write(`${s.fleetSeconds.toFixed(2)} s\n`);
    rows.push({ n, label: m.label, s });
  }
}

const table = [
  '| boards | mode | fleet s | fleet / limit | origin bytes / image | peak RSS per board (MiB) | max depth | all verified |',
  '|---:|---|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    ({ n, label, s }) =>
      `| ${n} | ${label} | ${s.fleetSeconds.toFixed(2)} | ${(s.fleetSeconds / s.limitSeconds).toFixed(2)} | ${(s.originBytes / s.fileBytes).toFixed(2)} | ${s.peakRssPerBoardMiB} | ${s.maxDepth} | ${s.allVerified ? 'yes' : 'NO'} |`,
  ),
].join('\n');
console.log(table);

const limit = rows[0]!.s.limitSeconds.toFixed(2);
writeSection(
  'Lab: peer sharing against the traditional upgrade',
  `Command: \`npm run bench:lab\` (one run; ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}).
Each row is \`pfs lab --engine --boards N --size 8M --files 4 --wan-rate 10mbit --wan-rtt 150ms\` with the mode shown,
16 boards per process, on loopback. The physical limit is ${limit} s (8 MiB at 10 Mbit/s plus one RTT). The
LAN is loopback and not rate-limited here, so store-and-forward costs little more than cut-through; the
namespace lab (real per-port rates) shows the difference. TFTP at the root runs with this project's defaults
(blksize 1468, windowsize 64); in tftp mode every board uses windowsize 4, so that 128 boards' windows fit
the WAN's 1 s queue instead of collapsing it (at 64 they do). The phone's own lock-step 512-byte TFTP needs
about 40 minutes per board for 8 MiB at this RTT and is left to the side-by-side fleet benchmark.

${table}`,
);
