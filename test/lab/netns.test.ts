import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../src/log/logger';
import { runLab, type LabOptions } from '../../src/lab/lab';
import { cleanupStale, leftovers, netnsUnavailable } from '../../src/lab/netns/subnet';
import { testIf, until, within } from '../helpers/index';

// The namespace lab needs root and iproute2: where it cannot run its tests are skipped, under CI they fail.
const why = netnsUnavailable();
const log = createLogger('TEST', { level: 'ERR', sinks: [] });
const bin = ['--import', 'tsx', 'src/cli/bin.ts'];
const tag = () => `t${randomBytes(3).toString('hex')}`;

function options(over: Partial<LabOptions>): LabOptions {
  return {
    boards: 4,
    size: 1 << 20,
    files: 4,
    mode: 'pfs',
    forward: 'cut',
    wanRate: 10e6,
    wanRttMs: 150,
    wanLoss: 0,
    tftpBlksize: 1468,
    tftpWindow: 32,
    perProcess: 0,
    // Fixed ports are safe here: each board has a network namespace of its own.
    portBase: 24000,
    broadcast: { addr: '127.255.255.255', port: 4051 },
    model: 'CP-7961G',
    logLevel: 'INF',
    keep: false,
    timeoutMs: 60_000,
    engine: false,
    models: [
      { model: 'CP-7961G', count: 3 },
      { model: 'CP-7941G', count: 1 },
    ],
    pfsOff: 0,
    boardsDir: 'boards',
    hostEntry: { script: 'src/cli/bin.ts', execArgv: ['--import', 'tsx'] },
    ...over,
  };
}

function assertNothingLeft(t: string): void {
  const left = leftovers(t);
  assert.equal(left.namespaces, [], `namespaces of run ${t} left`);
  assert.equal(left.pids, [], `processes of run ${t} left`);
  assert.not.ok(left.stateFile, `state file of run ${t} left`);
  // Every link lives in the run's namespaces; none may appear in this machine's own.
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  assert.not.ok(links.includes(t), `a link named after run ${t} is in the root namespace`);
}

let crashed = '';

testIf(why, 'a lab killed with SIGKILL mid-run leaves namespaces, and the next start removes every one', async () => {
  crashed = tag();
  const lab = spawn(process.execPath, [...bin, 'lab', '--netns', '--boards', '4', '--size', '1M', '--tag', crashed, '--boards-dir', 'boards', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const exited = new Promise((ok) => lab.once('exit', ok));
  // Mid-run: the lab's progress line at 2.x s, when the origin and all four boards are up.
  const midRun = new Promise<void>((ok) =>
    lab.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/lab 2\.\d s:/.test(err)) ok();
    }),
  );
  try {
    await within(30_000, 'the boards to start upgrading', midRun);
    assert.is(leftovers(crashed).pids.length, 5, 'origin and four boards run inside the namespaces');
  } finally {
    lab.kill('SIGKILL');
    await exited;
  }
  assert.is(leftovers(crashed).namespaces.length, 6, 'the killed lab could not tear down: switch, origin and 4 boards remain');
  assert.ok(leftovers(crashed).stateFile);
  // What the next `pfs lab --netns` does first.
  const removed = await cleanupStale();
  assert.ok(removed >= 6, `cleanupStale removed ${removed} namespaces`);
  await until(() => leftovers(crashed).pids.length === 0, { timeoutMs: 5000, what: 'the killed processes to go', everyMs: 100 });
  assertNothingLeft(crashed);
});

testIf(why, 'N = 4, 1 MiB in namespaces: all verified, one WAN copy per model, a binary tree, nothing left after', async () => {
  const t = tag();
  const s = await runLab(options({ netns: { lanRate: 100e6, tag: t } }), log);
  assert.equal(s.failures, []);
  assert.ok(s.allVerified);
  assert.is(s.models, 2);
  // One copy of the component set per model, plus that model's small signed manifest.
  const extra = s.originBytes - s.models * s.fileBytes;
  assert.ok(extra >= 0 && extra < s.models * 16 * 1024, `origin sent ${s.originBytes} bytes for ${s.models} x ${s.fileBytes}`);
  assert.equal(Object.values(s.rootsPerFile), [2, 2, 2, 2], 'one root per file and model');
  assert.ok(s.maxChildren <= 2, `a board had ${s.maxChildren} children`);
  assert.ok(s.maxDepth >= 1 && s.maxDepth <= 2, `depth ${s.maxDepth}`);
  assert.is(s.boardsPerProcess, 1);
  assert.ok(s.netns?.clean, 'the lab found nothing left after its teardown');
  // Every board took the whole set in through its switch port; the origin's port carried the WAN's bytes.
  assert.is(s.lanPorts?.length, 4);
  for (const p of s.lanPorts!) assert.ok(p.txBytes >= s.fileBytes, `${p.host} received ${p.txBytes} bytes`);
  assert.ok(s.wanPort!.rxBytes >= s.originBytes && s.wanPort!.rxBytes < s.originBytes * 1.1, `origin port sent ${s.wanPort!.rxBytes}`);
  // The WAN link (tbf) and delay: no faster than the physical limit.
  assert.ok(s.fleetSeconds >= s.limitSeconds, `${s.fleetSeconds} s beat the limit ${s.limitSeconds} s`);
  assertNothingLeft(t);
});

testIf(why, 'the crashed run stays gone', () => {
  assertNothingLeft(crashed);
});

testIf(why, 'without root: a clear error, exit status 1, nothing created', () => {
  let r: { status: number | null; stderr: string };
  try {
    execFileSync(process.execPath, [...bin, 'lab', '--netns', '--boards', '2'], { uid: 65534, gid: 65534, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TSX_DISABLE_CACHE: '1' } });
    r = { status: 0, stderr: '' };
  } catch (e) {
    r = e as { status: number | null; stderr: string };
  }
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /needs root/);
});

test.run();
