import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bundle = resolve('dist/pfs.cjs');

// A regression: with every board in the lab's own process, Ctrl-C during the boards'
// boot stopped the lab and removed its folder, but the boards' configuration retries
// kept the process alive for 90 s.
test('pfs lab --per-process 0: Ctrl-C while the boards boot ends the process within seconds and leaves no lab folder', async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'pfs-interrupt-'));
  try {
    const child = spawn(process.execPath, [bundle, 'lab', '--per-process', '0', '--boards', '8', '--json'], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const started = new Promise<void>((ok) =>
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/lab: 8 boards/.test(err)) ok();
      }),
    );
    const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
    await Promise.race([started, exited]);
    // Mid-boot: the boards are fetching their configuration from the origin.
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    child.kill('SIGINT');
    const limit = new Promise<'hung'>((ok) => setTimeout(() => ok('hung'), 15_000).unref());
    const code = await Promise.race([exited, limit]);
    if (code === 'hung') child.kill('SIGKILL');
    assert.is.not(code, 'hung', `still running 15 s after Ctrl-C:\n${err.slice(-800)}`);
    assert.is(code, 1, err.slice(-800));
    assert.match(err, /interrupted/);
    assert.ok(performance.now() - t0 < 15_000);
    assert.equal(readdirSync(tmp).filter((n) => n.startsWith('pfs-lab-')), [], 'the lab folder is removed');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
