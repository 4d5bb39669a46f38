// npm run fuzz — hostile datagrams and stream headers against the DLoad core (sans-IO)
// and against two live boards on loopback that must still finish their file; seeded,
// bounded in count and time, prints the counts. npm test runs a short version
// (test/bench/fuzz.test.ts). Figures: bench/RELIABILITY.md, section "Fuzz".
import { parseArgs } from 'node:util';
import { benchArgs, numberArg } from './args';
import { fuzzCore, fuzzLive, type FuzzTally } from './fuzzers';

const USAGE = `Usage: npm run fuzz -- [--datagrams 1000000] [--headers 100000] [--live-datagrams 200000] [--live-headers 5000] [--seed 1] [--seconds 120]

  --datagrams N        datagrams into the sans-IO core (default 1000000)
  --headers N          stream headers into the core (default 100000)
  --live-datagrams N   datagrams at two live boards taking a file (default 200000)
  --live-headers N     TCP connections with a hostile stream header at them (default 5000)
  --seed S             first seed; the core runs in rounds of 100000 inputs, seed S, S+1, ...
  --seconds T          time limit of the live part (default 120)
  -h, --help           this text
`;

const o = benchArgs('fuzz', USAGE, (args) => {
  const { values: v } = parseArgs({
    args, strict: true, allowPositionals: false,
    options: {
      datagrams: { type: 'string', default: '1000000' }, headers: { type: 'string', default: '100000' },
      'live-datagrams': { type: 'string', default: '200000' }, 'live-headers': { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' }, seconds: { type: 'string', default: '120' },
    },
  });
  return {
    datagrams: numberArg(v.datagrams, '--datagrams'), headers: numberArg(v.headers, '--headers'),
    liveDatagrams: numberArg(v['live-datagrams'], '--live-datagrams'), liveHeaders: numberArg(v['live-headers'], '--live-headers'),
    seed: numberArg(v.seed, '--seed'), seconds: numberArg(v.seconds, '--seconds', { min: 1 }),
  };
});

let uncaught = 0;
process.on('uncaughtException', (e) => {
  uncaught++;
  console.error(`uncaught: ${e.stack}`);
});

const merge = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};
const show = (r: Record<string, number>) => Object.entries(r).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');

const ROUND = 100_000;
const core: FuzzTally & { rounds: number; completed: number } = { made: {}, decoded: {}, crashes: 0, firstCrashes: [], rounds: 0, completed: 0 };
const t0 = performance.now();
for (let d = o.datagrams, hd = o.headers, seed = o.seed; d > 0 || hd > 0; seed++) {
  const nd = Math.min(d, ROUND);
  const nh = Math.min(hd, Math.ceil(ROUND / 10));
  const r = fuzzCore({ seed, datagrams: nd, headers: nh });
  d -= nd;
  hd -= nh;
  core.rounds++;
  if (r.completed) core.completed++;
  core.crashes += r.crashes;
  core.firstCrashes.push(...r.firstCrashes.slice(0, 5 - core.firstCrashes.length));
  merge(core.made, r.made);
  merge(core.decoded, r.decoded);
}
console.log(`core: ${o.datagrams} datagrams + ${o.headers} stream headers in ${core.rounds} rounds (seeds ${o.seed}..${o.seed + core.rounds - 1}), ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`  made:    ${show(core.made)}`);
console.log(`  decoded: ${show(core.decoded)}`);
console.log(`  file completed in ${core.completed} of ${core.rounds} rounds; crashes ${core.crashes}`);
for (const c of core.firstCrashes) console.log(`  CRASH ${c}`);

const t1 = performance.now();
const live = await fuzzLive({ seed: o.seed, datagrams: o.liveDatagrams, headers: o.liveHeaders, seconds: o.seconds });
console.log(`live: ${live.sent} datagrams and ${live.connections} connections with a stream header at 2 boards taking a 1 MiB file, ${((performance.now() - t1) / 1000).toFixed(1)} s`);
console.log(`  made:     ${show(live.made)}`);
console.log(`  answered: ${show(live.answered)}`);
console.log(`  boards complete and verified: ${live.boardsComplete} of 2${live.boardErrors.length ? ` (${live.boardErrors.join('; ')})` : ''}; crashes ${live.crashes + uncaught}`);
for (const c of live.firstCrashes) console.log(`  CRASH ${c}`);
process.exitCode = core.crashes + live.crashes + uncaught === 0 && live.boardsComplete === 2 ? 0 : 1;
