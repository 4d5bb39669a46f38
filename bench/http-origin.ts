// npm run bench:http — the root's WAN pull over TFTP against HTTP ranges, side by side
// and interleaved (tftp, http, tftp, http ...), on a 10 Mbit/s WAN with 8 MiB and a
// 100 Mbit/s WAN with 64 MiB, 150 ms RTT, in the loopback lab with boot boards.
// Prints a markdown table and writes it into bench/RESULTS.md (section "HTTP origin").
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchArgs, numberArg } from './args';
import { writeSection } from './results';

const USAGE = `Usage: npm run bench:http -- [--runs N] [--boards N] [--bundle FILE] [--no-write]

  --runs N       runs of each case (default 2), interleaved between the origins
  --boards N     boards in the lab (default 8, one model)
  --bundle FILE  the pfs bundle to run (default dist/pfs.cjs)
  --no-write     print the table only, leave bench/RESULTS.md alone
  -h, --help     this text
`;

const o = benchArgs('bench:http', USAGE, (args) => {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { runs: { type: 'string', default: '2' }, boards: { type: 'string', default: '8' }, bundle: { type: 'string', default: 'dist/pfs.cjs' }, 'no-write': { type: 'boolean', default: false } },
  });
  return { runs: numberArg(values.runs, '--runs', { min: 1 }), boards: numberArg(values.boards, '--boards', { min: 1 }), bundle: resolve(values.bundle), write: !values['no-write'] };
});

const cases = [
  { rate: '10mbit', size: '8M' },
  { rate: '100mbit', size: '64M' },
];
const origins = ['tftp', 'http'] as const;

interface Summary {
  fleetSeconds: number;
  limitSeconds: number;
  originBytes: number;
  originHttpBytes?: number;
  fileBytes: number;
  allVerified: boolean;
}
const rows: { rate: string; size: string; origin: string; run: number; load: number; s: Summary }[] = [];
// Below the kernel's ephemeral range (32768+), where no other socket can already sit.
let port = 14000;
for (const c of cases) {
  for (let run = 1; run <= o.runs; run++) {
    for (const origin of origins) {
      const args = [o.bundle, 'lab', '--boards', String(o.boards), '--models', `CP-7961G:${o.boards}`, '--size', c.size, '--files', '4', '--wan-rate', c.rate, '--wan-rtt', '150ms', '--origin', origin, '--port-base', String(port), '--bcast-port', String(port - 1), '--timeout', '600s', '--json'];
      port += o.boards + 10;
      const load = loadavg()[0]!;
      process.stderr.write(`${c.rate} ${c.size} ${origin} run ${run} (load ${load.toFixed(1)}) ... `);
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
      const last = r.stdout.trim().split('\n').pop() ?? '';
      if (!last.startsWith('{')) {
        process.stderr.write(`failed (exit ${r.status})\n${r.stderr.slice(-2000)}\n`);
        process.exit(1);
      }
      const s = JSON.parse(last) as Summary;
      process.stderr.write(`${s.fleetSeconds.toFixed(2)} s\n`);
      rows.push({ ...c, origin, run, load, s });
    }
  }
}

const table = [
  '| WAN | image | origin | run | load avg | fleet s | limit s | fleet / limit | WAN bytes / image | by HTTP | all verified |',
  '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    ({ rate, size, origin, run, load, s }) =>
      `| ${rate.replace('mbit', ' Mbit/s')} | ${size.replace('M', ' MiB')} | ${origin} | ${run} | ${load.toFixed(1)} | ${s.fleetSeconds.toFixed(2)} | ${s.limitSeconds.toFixed(2)} | ${(s.fleetSeconds / s.limitSeconds).toFixed(2)} | ${(s.originBytes / s.fileBytes).toFixed(3)} | ${s.originHttpBytes === undefined ? '—' : `${((100 * s.originHttpBytes) / s.originBytes).toFixed(0)} %`} | ${s.allVerified ? 'yes' : 'NO'} |`,
  ),
].join('\n');
console.log(table);

if (o.write) {
  writeSection(
    'HTTP origin',
    `Command: \`npm run bench:http\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}; runs interleaved tftp, http, tftp, http).
Each row is \`pfs lab --boards ${o.boards} --models CP-7961G:${o.boards} --files 4 --wan-rtt 150ms --origin tftp|http\` with the WAN rate and
image shown: boot boards on loopback, peer sharing on, one model, so one copy of the image crosses the WAN. With
\`--origin http\` the boards get \`http=\` (docs/CONFIG.md) and each hierarchy's root takes its component by HTTP
range requests from the lab's HTTP load server, behind a TCP WAN of the same rate and RTT (src/net/tcp-wan.ts);
with \`tftp\` the root's TFTP client (blksize 1468, windowsize 64) goes through the UDP WAN emulator. The
configuration files come by TFTP either way; the manifest and components by HTTP ("by HTTP"). The TCP WAN sends
as TCP would over the 150 ms RTT (slow start from 10 segments, about 7 round trips to fill 100 Mbit/s) but drops
nothing, so TCP's loss recovery is not exercised. The load average is the machine's at each run's start.

${table}`,
  );
}
