// A board's footprint (bench/RESULTS.md, "Footprint"): peak RSS per `pfs boot`
// process, its CPU time and its start-up (spawn to first console line), in a small
// lab on loopback (bench/footprint-lab.ts), per image size; with --before, an older
// bundle (e.g. one built at an earlier commit and kept under /tmp) runs interleaved
// with dist/pfs.cjs, so both see the same load. `node -e 0` is measured as the floor:
// what any Node process costs before it runs a line of pfs.
//
//   npm run bench:footprint -- [--boards 4] [--sizes 8M,64M] [--runs 2] [--before /tmp/before.cjs] [--bundle dist/pfs.cjs]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseSize } from '../src/units/parse';
import { median, nodeFloorKiB, runFootprintLab, type BoardFootprint } from './footprint-lab';

const REPO = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : dflt);
const boards = Number(opt('boards', '4'));
const sizes = opt('sizes', '8M,64M').split(',');
const runs = Number(opt('runs', '2'));
const bundles = [...(args.includes('--before') ? [{ name: `before (${opt('before', '')})`, path: resolve(opt('before', '')) }] : []), { name: opt('bundle', 'dist/pfs.cjs'), path: resolve(REPO, opt('bundle', 'dist/pfs.cjs')) }];
for (const b of bundles) if (!existsSync(b.path)) throw new Error(`${b.path} is missing (npm run build)`);

const mib = (kib: number) => (kib / 1024).toFixed(1);
const rows: { bundle: string; size: string; peaks: number[]; first: number[]; cpu: number[]; all: boolean }[] = [];
const floors: number[] = [];
const load0 = loadavg()[0]!;
for (let run = 0; run < runs; run++) {
  floors.push(nodeFloorKiB());
  for (const size of sizes) {
    for (const b of bundles) {
      const r = await runFootprintLab({ bundle: b.path, boards, size: parseSize(size, '--sizes') });
      if (!r.allCommitted) process.stderr.write(`${b.name}, ${size}: ${r.failure}\n`);
      let row = rows.find((x) => x.bundle === b.name && x.size === size);
      if (!row) rows.push((row = { bundle: b.name, size, peaks: [], first: [], cpu: [], all: true }));
      const got = (f: (x: BoardFootprint) => number | undefined) => r.boards.map(f).filter((x): x is number => x !== undefined);
      row.peaks.push(...got((x) => x.peakKiB));
      row.first.push(...got((x) => x.firstLineMs));
      row.cpu.push(...got((x) => x.cpuMs));
      row.all &&= r.allCommitted;
      process.stderr.write(`run ${run + 1}/${runs} ${b.name} ${size}: peak ${r.boards.map((x) => mib(x.peakKiB)).join(', ')} MiB\n`);
    }
  }
}
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
console.log(`${boards} boards at once, ${runs} run(s) each, interleaved; commit ${commit}; ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; load average ${load0.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`);
console.log(`floor: node -e 0 peaks at ${mib(median(floors))} MiB (median of ${floors.length})\n`);
console.log('| bundle | image | peak RSS per board, MiB: max (median) | spawn to first console line, ms: median (max) | CPU per board, s (median) | all committed |');
console.log('|---|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.bundle} | ${r.size} | ${mib(Math.max(...r.peaks))} (${mib(median(r.peaks))}) | ${median(r.first).toFixed(0)} (${Math.max(...r.first).toFixed(0)}) | ${(median(r.cpu) / 1000).toFixed(2)} | ${r.all ? 'yes' : 'no'} |`);
}
