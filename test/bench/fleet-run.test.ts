// bench/fleet-run.ts's linesTo: a board's console is copied into its log and read for
// its commit line. A board's last lines can come after its 'exit' (here: a child of it
// still holds the pipe); the log must hold them and the bench must not crash on them
// (it did: the log was ended at 'exit', and the next line's write threw from an
// unhandled 'error' event in the middle of a bench:fleet run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killIn, linesTo, TIME_FORMAT, timeReport } from '../../bench/fleet-run';
import { netnsUnavailable, NetnsSubnet } from '../../src/lab/netns/subnet';
import { anyMissing, testIf } from '../helpers/index';

test('linesTo: lines printed after the process exited still reach the log and the reader', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-fleet-run-'));
  try {
    // The shell exits at once; the subshell it leaves behind prints on both pipes later.
    const c = spawn('sh', ['-c', 'echo first; echo err-first >&2; (sleep 0.3; echo "committed load"; echo err-last >&2) & exit 0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: string[] = [];
    let exitedAt = -1;
    c.once('exit', () => (exitedAt = seen.length));
    await linesTo(c, join(dir, 'console.log'), (l) => seen.push(l));
    assert.ok(exitedAt >= 0 && exitedAt < 4, `the process exited before its last lines were read (${exitedAt} of 4 seen at exit)`);
    assert.equal([...seen].sort(), ['committed load', 'err-first', 'err-last', 'first']);
    const log = readFileSync(join(dir, 'console.log'), 'utf8').split('\n').filter(Boolean).sort();
    assert.equal(log, ['committed load', 'err-first', 'err-last', 'first']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// The fleet table's RSS and CPU columns come from GNU time's report of every board.
testIf(existsSync('/usr/bin/time') ? undefined : 'GNU time missing (apt-get install time)', 'timeReport: a board\'s peak RSS and CPU seconds as GNU time reports them, also when it was killed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-fleet-time-'));
  try {
    const file = join(dir, 'rss.txt');
    // About 0.3 s of CPU and 64 MiB touched.
    const burn = 'const b = Buffer.alloc(64 << 20, 1); const t = Date.now(); while (Date.now() - t < 300); process.exit(b[5] - 1)';
    spawnSync('/usr/bin/time', ['-f', TIME_FORMAT, '-o', file, process.execPath, '-e', burn]);
    const r = timeReport(file)!;
    assert.ok(r.cpuSeconds !== undefined && r.cpuSeconds >= 0.25 && r.cpuSeconds < 5, `CPU seconds ${r.cpuSeconds}`);
    assert.ok(r.rssKiB !== undefined && r.rssKiB > 64 * 1024, `peak RSS ${r.rssKiB} KiB`);
    // Killed: GNU time puts "Command terminated by signal 9" first.
    spawnSync('/usr/bin/time', ['-f', TIME_FORMAT, '-o', file, 'sh', '-c', 'kill -9 $$']);
    assert.match(readFileSync(file, 'utf8'), /signal 9/);
    const k = timeReport(file)!;
    assert.ok(k.rssKiB !== undefined && k.cpuSeconds !== undefined && k.cpuSeconds < 1, JSON.stringify(k));
    assert.is(timeReport(join(dir, 'never-ran.txt')), undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});


// killIn ends a fleet run's boards with SIGTERM first, so that GNU time around each one
// still writes its RSS and CPU line. Boards that ran a release executable (not `node`)
// went straight to SIGKILL with their GNU time, and the fleet table lost their figures
// (the Cisco-style and traditional rows of the 16:27 run on 2026-12-03).
testIf(anyMissing(netnsUnavailable(), existsSync('/usr/bin/time') ? undefined : 'GNU time missing (apt-get install time)'), 'killIn: a board program that is not node gets SIGTERM, and GNU time around it still reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-fleet-kill-'));
  const net = await NetnsSubnet.create({ boards: 1, lanRateBit: 100e6, wanRateBit: 10e6, handleSignals: false });
  try {
    // A copy of this Node under another name stands in for a release executable (its comm is not "node").
    const exe = join(dir, 'pfs-linux-x64');
    copyFileSync(process.execPath, exe);
    const file = join(dir, 'rss.txt');
    const c = net.spawn(net.boards[0]!, ['/usr/bin/time', '-f', TIME_FORMAT, '-o', file, exe, '-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((ok) => c.once('exit', ok));
    await new Promise((ok) => setTimeout(ok, 500));
    await killIn(net.boards, [exe, 'node']);
    await exited;
    const r = timeReport(file);
    assert.ok(r && (r.rssKiB ?? 0) > 0, `no GNU time report for the board: ${existsSync(file) ? readFileSync(file, 'utf8') : 'no file'}`);
  } finally {
    await net.destroy();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
