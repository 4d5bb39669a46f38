#!/usr/bin/env node
// Start-up time: from spawning pfs to its first console line, for the release's single
// executable against `node dist/pfs.cjs` (bench/RESULTS.md, "Start-up").
//
//   npm run build && npm run release -- --targets x64,arm64
//   node bench/startup.mjs [--runs 15] [--qemu] [--before OLD.cjs] [--no-sea]     (--qemu adds arm64 under qemu-aarch64)
//
// The command is `pfs boot --board sim --root R` on a board whose pfs.txt names its model
// and a server that never answers: the first line is `BOOT: board sim, model …`, written
// once the CLI, the board and model profiles and the board's hardware are up. The run is
// killed at that line. Runs interleave the programs; the table gives median and spread.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) > 0 && args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 15;
const repo = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const root = mkdtempSync(join(tmpdir(), 'pfs-startup-'));
mkdirSync(join(root, 'boot'), { recursive: true });
mkdirSync(join(root, 'trust'));
writeFileSync(join(root, 'boot', 'pfs.txt'), 'model=CP-7961G\nmac=001BD5000001\naddr=127.0.0.1\nbroadcast=127.255.255.255:9\ntftp=127.0.0.1:9\n');
const boot = ['boot', '--board', 'sim', '--root', root];

const programs = [
  { name: 'node dist/pfs.cjs (x64)', cmd: process.execPath, argv: [join(repo, 'dist', 'pfs.cjs'), ...boot] },
  { name: 'SEA dist/release/pfs-linux-x64', cmd: join(repo, 'dist', 'release', 'pfs-linux-x64'), argv: boot },
];
// --before PATH (repeatable): an older bundle (e.g. built at an earlier commit and kept under /tmp), or an older
// release executable (a path without .cjs), run interleaved with the others.
args.forEach((a, i) => {
  if (a !== '--before') return;
  const p = resolve(args[i + 1]);
  programs.unshift(p.endsWith('.cjs') ? { name: `node ${args[i + 1]} (before)`, cmd: process.execPath, argv: [p, ...boot] } : { name: `${args[i + 1]} (before)`, cmd: p, argv: boot });
});
// --no-sea: only the bundles (no release built).
if (args.includes('--no-sea')) programs.splice(programs.findIndex((p) => p.name.startsWith('SEA')), 1);
if (args.includes('--qemu')) {
  programs.push({ name: 'SEA pfs-linux-arm64 under qemu-aarch64', cmd: 'qemu-aarch64', argv: ['-L', '/usr/aarch64-linux-gnu', join(repo, 'dist', 'release', 'pfs-linux-arm64'), ...boot] });
}

/** Milliseconds from spawn to the first line the program writes. */
function once(p) {
  return new Promise((ok, fail) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(p.cmd, p.argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let done = false;
    // The log (and the sim board's console) is on standard error.
    const line = (d) => {
      if (done || !d.includes('\n')) return;
      done = true;
      ok(Number(process.hrtime.bigint() - t0) / 1e6);
      child.kill('SIGKILL');
    };
    child.stdout.on('data', line);
    child.stderr.on('data', line);
    child.on('close', (code) => done || fail(new Error(`${p.name} exited ${code} before a line`)));
  });
}

const times = new Map(programs.map((p) => [p.name, []]));
for (const p of programs) await once(p); // warm the page cache
for (let i = 0; i < runs; i++) for (const p of programs) times.get(p.name).push(await once(p));
rmSync(root, { recursive: true, force: true });

const q = (a, f) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(f * a.length))];
console.log(`${runs} runs each, interleaved; ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}, load ${loadavg()[0].toFixed(2)}`);
console.log('| program | median ms | min ms | max ms |\n|---|---:|---:|---:|');
for (const [name, a] of times) console.log(`| ${name} | ${q(a, 0.5).toFixed(0)} | ${Math.min(...a).toFixed(0)} | ${Math.max(...a).toFixed(0)} |`);
