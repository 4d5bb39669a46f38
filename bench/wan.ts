// npm run bench:wan — the root's path over the emulated WAN: the loopback lab
// (`pfs lab`, boards running pfs boot) at each WAN rate, set size and loss share,
// 150 ms round trip. Per row: fleet seconds, fleet / physical limit, and WAN bytes
// per image per model (what the origin sent, resends included). With --before BUNDLE
// every row also runs that bundle (e.g. a copy of dist/pfs.cjs built at an earlier
// commit), interleaved, so the two are compared under the same machine load.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchArgs, numberListArg } from './args';
import { writeSection } from './results';

const USAGE = `Usage: npm run bench:wan -- [--rates 10,100] [--sizes 8,64] [--loss 0,1,5] [--boards 24]
                             [--models CP-7961G:8,CP-7941G:8,CP-7911G:8] [--before BUNDLE] [--write]

  --rates LIST    WAN rates in Mbit/s (default 10,100)
  --sizes LIST    firmware set sizes in MiB (default 8,64)
  --loss LIST     WAN loss in percent, each way (default 0,1,5)
  --rtt MS        WAN round trip (default 150)
  --boards N      boards in the lab (default 24)
  --models MIX    phone models of the boards (default three models, N/3 each)
  --before FILE   also run this pfs bundle on every row, interleaved (before -> after)
  --after FILE    the pfs bundle measured (default dist/pfs.cjs)
  --write         write the table into bench/RESULTS.md (section "WAN window (issue 12 items 3 and 5)")
  -h, --help      this text
`;

const args = benchArgs('bench:wan', USAGE, (argv) => {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      rates: { type: 'string', default: '10,100' },
      sizes: { type: 'string', default: '8,64' },
      loss: { type: 'string', default: '0,1,5' },
      rtt: { type: 'string', default: '150' },
      boards: { type: 'string', default: '24' },
      models: { type: 'string' },
      before: { type: 'string' },
      after: { type: 'string', default: 'dist/pfs.cjs' },
      write: { type: 'boolean', default: false },
    },
  });
  const boards = numberListArg(values.boards, '--boards', { min: 1 })[0]!;
  const third = Math.max(1, Math.floor(boards / 3));
  return {
    rates: numberListArg(values.rates, '--rates', { min: 1, fractions: true }),
    sizes: numberListArg(values.sizes, '--sizes', { min: 1 }),
    loss: numberListArg(values.loss, '--loss', { min: 0, fractions: true }),
    rtt: numberListArg(values.rtt, '--rtt', { min: 1 })[0]!,
    boards,
    models: values.models ?? `CP-7961G:${boards - 2 * third},CP-7941G:${third},CP-7911G:${third}`,
    before: values.before === undefined ? undefined : resolve(values.before),
    after: resolve(values.after),
    write: values.write,
  };
});

interface Summary {
  fleetSeconds: number;
  limitSeconds: number;
  originBytes: number;
  fileBytes: number;
  models: number;
  allVerified: boolean;
}

interface Row {
  rate: number;
  size: number;
  loss: number;
  before?: Summary;
  after: Summary;
  load: number;
}

function runLab(bundle: string, rate: number, size: number, loss: number): Summary {
  const argv = [bundle, 'lab', '--boards', String(args.boards), '--models', args.models, '--size', `${size}M`, '--wan-rate', `${rate}mbit`, '--wan-rtt', `${args.rtt}ms`, '--wan-loss', String(loss / 100), '--timeout', '900s', '--json'];
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (!last.startsWith('{')) {
    process.stderr.write(`failed (exit ${r.status})\n${r.stderr.slice(-2000)}\n`);
    process.exit(1);
  }
  return JSON.parse(last) as Summary;
}

const ratio = (s: Summary) => (s.fleetSeconds / s.limitSeconds).toFixed(2);
const copies = (s: Summary) => (s.originBytes / (s.fileBytes * s.models)).toFixed(3);
const cell = (b: Summary | undefined, a: Summary, f: (s: Summary) => string) => (b ? `${f(b)} → ${f(a)}` : f(a));

const after = args.after;
const rows: Row[] = [];
for (const rate of args.rates) {
  for (const size of args.sizes) {
    for (const loss of args.loss) {
      const load = loadavg()[0]!;
      let before: Summary | undefined;
      if (args.before) {
        process.stderr.write(`${rate} Mbit/s ${size} MiB loss ${loss} % before ... `);
        before = runLab(args.before, rate, size, loss);
        process.stderr.write(`${before.fleetSeconds.toFixed(2)} s, ${copies(before)} copies\n`);
      }
      process.stderr.write(`${rate} Mbit/s ${size} MiB loss ${loss} % ... `);
      const a = runLab(after, rate, size, loss);
      process.stderr.write(`${a.fleetSeconds.toFixed(2)} s, ${copies(a)} copies\n`);
      rows.push({ rate, size, loss, before, after: a, load });
    }
  }
}

const table = [
  `| WAN | set | loss | fleet s | fleet / limit | WAN bytes / image per model | all verified | load avg |`,
  '|---:|---:|---:|---:|---:|---:|---|---:|',
  ...rows.map(
    (r) =>
      `| ${r.rate} Mbit/s | ${r.size} MiB | ${r.loss} % | ${cell(r.before, r.after, (s) => s.fleetSeconds.toFixed(2))} | ${cell(r.before, r.after, ratio)} | ${cell(r.before, r.after, copies)} | ${r.after.allVerified && (r.before?.allVerified ?? true) ? 'yes' : 'NO'} | ${r.load.toFixed(1)} |`,
  ),
].join('\n');
console.log(table);

if (args.write) {
  writeSection(
    'WAN window (issue 12 items 3 and 5)',
    `Command: \`npm run bench:wan${args.before ? ' -- --before BUNDLE' : ''}\` (one run; ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}).
Each row is \`pfs lab --boards ${args.boards} --models ${args.models} --size SET --wan-rate RATE --wan-rtt ${args.rtt}ms --wan-loss LOSS\`
on loopback; the physical limit is the models' sets at the WAN rate plus one round trip.${args.before ? ' "a → b" is the bundle given with --before, then this one, run one after the other on each row.' : ''}

${table}`,
  );
}
