// npm run torture — `pfs boot` (dist/pfs.cjs) killed with SIGKILL at random moments of
// its upgrade on every flash back-end (dir, emulated NAND mtd, block partitions), then
// booted again until it finishes; tallies bricked, wrong and recovered boards. npm
// test runs a short version (test/bench/torture.test.ts). Figures: bench/RELIABILITY.md.
import { parseArgs } from 'node:util';
import { benchArgs, numberArg } from './args';
import { BACKENDS, torture, type Backend } from './torturer';

const USAGE = `Usage: npm run torture -- [--kills 200] [--kills-per-cycle 4] [--seed 1] [--backends dir,mtd,block]

  --kills N            kill points per back-end, at least (default 200)
  --kills-per-cycle K  kills of one board before it is let finish (default 4)
  --seed S             where the kill moments come from (default 1)
  --backends LIST      flash back-ends (default dir,mtd,block)
  -h, --help           this text
`;

const o = benchArgs('torture', USAGE, (args) => {
  const { values: v } = parseArgs({
    args, strict: true, allowPositionals: false,
    options: { kills: { type: 'string', default: '200' }, 'kills-per-cycle': { type: 'string', default: '4' }, seed: { type: 'string', default: '1' }, backends: { type: 'string', default: BACKENDS.join(',') } },
  });
  const backends = v.backends.split(',') as Backend[];
  for (const b of backends) if (!BACKENDS.includes(b)) throw new Error(`--backends: "${b}" is none of ${BACKENDS.join(', ')}`);
  return { kills: numberArg(v.kills, '--kills', { min: 1 }), perCycle: numberArg(v['kills-per-cycle'], '--kills-per-cycle', { min: 1 }), seed: numberArg(v.seed, '--seed'), backends };
});

const t0 = performance.now();
const results = await torture({ backends: o.backends, cycles: 1, minKills: o.kills, killsPerCycle: o.perCycle, seed: o.seed, progress: (l) => process.stderr.write(`${l}\r`) });
process.stderr.write('\n');
console.log(`torture: seed ${o.seed}, boards killed up to ${o.perCycle} times each until ${o.kills} kill points per back-end, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log('| back-end | kill points | bricked | wrong | recovered (cycles) | runs failed and started again | right after a kill: old load / none / new load |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const r of results) {
  console.log(`| ${r.backend} | ${r.kills} | ${r.bricked} | ${r.wrong} | ${r.recovered} of ${r.cycles} | ${r.failedRuns.length} | ${r.afterKill['old load'] ?? 0} / ${r.afterKill['no load (blank)'] ?? 0} / ${r.afterKill['new load'] ?? 0} |`);
  for (const p of [...r.problems, ...r.failedRuns].slice(0, 10)) console.log(`  ${p}`);
}
process.exitCode = results.every((r) => r.bricked === 0 && r.wrong === 0 && r.recovered === r.cycles) ? 0 : 1;
