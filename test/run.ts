// Runs every test/**/*.test.ts with uvu, in a few worker processes at once.
//
//   node --import tsx test/run.ts               every file
//   node --import tsx test/run.ts tftp boot     files whose path contains "tftp" or "boot"
//   node --import tsx test/run.ts --workers 1   one at a time (--timings: a table for schedule.ts)
//   --timeout S: the per-test limit for files whose plan names none; --root DIR: test another folder
//
// Each worker (helpers/runner/worker.ts) runs its files one after another in one
// process. The slowest files start first (helpers/runner/schedule.ts). As root, each
// worker has a network namespace of its own (unshare -n, loopback up), so files that
// bind fixed ports or broadcast on 127.255.255.255 never hear each other; otherwise
// such files are kept from overlapping (their `shares`). Every test has a time limit
// (120 s unless its file's plan says otherwise) and the whole run a watchdog that
// names what is still running. The last line is `N passed, N failed, N skipped`;
// the exit status is 1 if anything failed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { inCI } from './helpers/ci';
import { planOf } from './helpers/runner/schedule';
import { DEFAULT_TEST_TIMEOUT_MS, FRAME_END, FRAME_START, type FileResult, type WorkerReport, type WorkerRequest } from './helpers/runner/protocol';

const here = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const { values: opts, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: {
    workers: { type: 'string' },
    timings: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    root: { type: 'string' },
  },
});
const root = opts.root ? resolve(opts.root) : here;
const testTimeoutMs = opts.timeout ? Number(opts.timeout) * 1000 : DEFAULT_TEST_TIMEOUT_MS;
const files = walk(root, [])
  .map((file) => ({ file, name: relative(root, file) }))
  .filter((f) => filters.length === 0 || filters.some((x) => f.name.includes(x) || f.file.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// Two cores: three workers keep both busy while one waits on a network timeout.
const workers = Math.max(1, Math.min(files.length, Number(opts.workers ?? process.env.PFS_TEST_WORKERS ?? Math.min(3, availableParallelism() + 1))));
const runLimitMs = Number(process.env.PFS_TEST_RUN_TIMEOUT_S ?? 900) * 1000;
// In a worker's namespace, 192.0.2.1/32 (TEST-NET-1) on lo besides 127.0.0.1: with loopback
// alone, getaddrinfo's AI_ADDRCONFIG finds no IPv4 and in.tftpd cannot resolve "127.0.0.1".
const NETNS_SETUP = 'ip link set lo up && ip addr add 192.0.2.1/32 dev lo';
const isolated = process.env.PFS_TEST_NETNS !== '0' && ownNamespacePossible();

/** Whether this process may give each worker a network namespace (root, unshare and ip present). */
function ownNamespacePossible(): boolean {
  if (process.getuid?.() !== 0) return false;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', NETNS_SETUP], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

// The slowest first, so the run does not end waiting for one long file started last.
const pending = files.map((f) => ({ ...f, plan: planOf(f.name) })).sort((a, b) => b.plan.seconds - a.plan.seconds || a.name.localeCompare(b.name));

interface Worker {
  readonly id: number;
  readonly child: ChildProcess;
  /** What the file running now printed so far. */
  out: string;
  /** Unparsed tail of stdout (a frame cut in two). */
  tail: string;
  file?: (typeof pending)[number];
  startedAt: number;
  test?: string;
  testAt: number;
  quitting?: boolean;
}

const results: FileResult[] = [];
const live = new Set<Worker>();
const started = performance.now();
let nextId = 0;
let finished = false;

function workerCommand(): [string, string[]] {
  const node = [process.execPath, '--import', 'tsx', join(here, 'helpers/runner/worker.ts')];
  // One pipe for stdout and stderr keeps a file's messages in the order written.
  if (isolated) return ['unshare', ['-n', 'sh', '-c', `${NETNS_SETUP} && exec "$0" "$@" 2>&1`, ...node]];
  return ['sh', ['-c', 'exec "$0" "$@" 2>&1', ...node]];
}

function startWorker(): Worker {
  const [cmd, args] = workerCommand();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], detached: true });
  const w: Worker = { id: nextId++, child, out: '', tail: '', startedAt: 0, testAt: 0 };
  live.add(w);
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => onOutput(w, d));
  child.once('exit', (code, signal) => onExit(w, code, signal));
  return w;
}

function onOutput(w: Worker, data: string): void {
  let s = w.tail + data;
  w.tail = '';
  for (;;) {
    const a = s.indexOf(FRAME_START);
    if (a < 0) break;
    const b = s.indexOf(FRAME_END, a);
    if (b < 0) {
      w.tail = s.slice(a);
      s = s.slice(0, a);
      break;
    }
    w.out += s.slice(0, a);
    onReport(w, JSON.parse(s.slice(a + 1, b)) as WorkerReport);
    s = s.slice(b + 1);
  }
  w.out += s;
}

function onReport(w: Worker, r: WorkerReport): void {
  if ('test' in r) {
    w.test = r.test;
    w.testAt = performance.now();
    return;
  }
  fileDone(w, r.done);
  pump();
}

function fileDone(w: Worker, r: FileResult): void {
  results.push(r);
  w.file = undefined;
  w.test = undefined;
  const mark = r.failed > 0 ? 'FAIL' : 'ok  ';
  process.stdout.write(`${w.out.replace(/\n*$/, '\n')}${mark} ${r.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${(r.ms / 1000).toFixed(1)} s)\n\n`);
  w.out = '';
}

function onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
  live.delete(w);
  if (finished) return;
  if (w.file) {
    // The worker died in the middle of a file (process.exit in a test, a crash): that file failed.
    w.out += `\n  FAIL worker exited (${signal ?? `code ${code}`}) while running ${w.test ? `"${w.test}"` : 'the file'}\n`;
    fileDone(w, { name: w.file.name, passed: 0, failed: 1, skipped: 0, ms: performance.now() - w.startedAt, skips: [], tests: [] });
  }
  if (pending.length > 0) startWorker();
  pump();
}

/** Whether `f` may start now: a file with `shares` waits for others sharing it, unless workers are isolated. */
function free(f: (typeof pending)[number]): boolean {
  if (isolated || !f.plan.shares) return true;
  for (const w of live) if (w.file?.plan.shares === f.plan.shares) return false;
  return true;
}

/** Gives every worker without a file the next one it may run; ends workers when nothing is left. */
function pump(): void {
  for (const w of live) {
    if (w.file || w.quitting) continue;
    const i = pending.findIndex(free);
    if (i >= 0) {
      const f = pending.splice(i, 1)[0]!;
      w.file = f;
      w.startedAt = performance.now();
      w.child.send({ file: f.file, name: f.name, timeoutMs: f.plan.timeoutMs ?? testTimeoutMs } satisfies WorkerRequest);
    } else if (pending.length === 0) {
      w.quitting = true;
      w.child.send({ quit: true } satisfies WorkerRequest);
    }
    // Otherwise what it may run waits for a file that shares something: that file's end pumps again.
  }
  if (live.size === 0 && pending.length === 0) end();
}

function kill(w: Worker): void {
  try {
    process.kill(-w.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function end(): void {
  if (finished) return;
  finished = true;
  clearTimeout(watchdog);
  const sum = (k: 'passed' | 'failed' | 'skipped') => results.reduce((n, r) => n + r[k], 0);
  const skips = results.flatMap((r) => r.skips.map((s) => `  ${r.name}: "${s.name}": ${s.why}${s.optional ? '' : ' (under CI: a failure)'}`));
  if (skips.length > 0) console.log(`Skipped (this machine lacks what they need):\n${skips.join('\n')}\n`);
  const failedFiles = results.filter((r) => r.failed > 0).map((r) => r.name);
  if (failedFiles.length > 0) console.log(`Failed files:\n${failedFiles.map((n) => `  ${n}`).join('\n')}\n`);
  if (opts.timings) {
    console.log('Timings (seconds, for test/helpers/runner/schedule.ts):');
    for (const r of [...results].sort((a, b) => b.ms - a.ms)) console.log(`  '${r.name}': ${(r.ms / 1000).toFixed(1)},`);
    const slow = results.flatMap((r) => r.tests.map((t) => ({ ...t, file: r.name }))).sort((a, b) => b.ms - a.ms).slice(0, 15);
    console.log('\nSlowest tests:');
    for (const t of slow) console.log(`  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file}: ${t.name}`);
    console.log('');
  }
  console.log(`Files: ${results.length}, workers: ${workers}${isolated ? ' (a network namespace each)' : ''}${inCI() ? ', CI' : ''}`);
  console.log(`Duration: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
  process.exitCode = sum('failed') > 0 || results.length < files.length ? 1 : 0;
  for (const w of live) kill(w);
}

const watchdog = setTimeout(() => {
  const now = performance.now();
  console.log(`\nwatchdog: the run passed its limit of ${runLimitMs / 1000} s (PFS_TEST_RUN_TIMEOUT_S); still running:`);
  for (const w of live) {
    if (!w.file) continue;
    console.log(`  ${w.file.name} for ${((now - w.startedAt) / 1000).toFixed(0)} s${w.test ? `, test "${w.test}" for ${((now - w.testAt) / 1000).toFixed(0)} s` : ''}`);
    if (w.out) process.stdout.write(`${w.out}\n`);
    results.push({ name: w.file.name, passed: 0, failed: 1, skipped: 0, ms: now - w.startedAt, skips: [], tests: [] });
  }
  for (const f of pending.splice(0)) console.log(`  not started: ${f.name}`);
  end();
}, runLimitMs);

// Whoever reads our output left (`| head`, a closed terminal): stop the workers and end.
process.stdout.on('error', () => {
  for (const w of live) kill(w);
  process.exit(1);
});

for (let i = 0; i < workers; i++) startWorker();
pump();
