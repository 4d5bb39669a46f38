// Labs side by side on one machine (issue 14): each takes its advert port and its
// board ports from the kernel and says which, and its folder in the temp directory
// goes away however it ends, or with the next lab when it was killed outright.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { until } from '../helpers/net';

const bundle = resolve('dist/pfs.cjs');
const SMALL = ['--boards', '4', '--size', '512K', '--files', '2', '--wan-rate', '100mbit', '--wan-rtt', '20ms', '--per-process', '0'];

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  done: Promise<number | null>;
}

/** `pfs lab ...` with its temp directory at `tmp`, output gathered as it comes. */
function lab(args: string[], tmp: string): Run {
  const child = spawn(process.execPath, [bundle, 'lab', ...args], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  const r: Run = { child, stdout: '', stderr: '', done: new Promise((ok) => child.once('exit', (code) => ok(code))) };
  child.stdout!.on('data', (b: Buffer) => (r.stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (r.stderr += b.toString()));
  return r;
}

const labFolders = (tmp: string) => readdirSync(tmp).filter((n) => n.startsWith('pfs-lab-'));

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'pfs-apart-'));
  mkdirSync(d, { recursive: true });
  return d;
}

test('regression: two labs at once on default ports (they shared 4051 and 24000+) both end verified with one WAN copy per model each', async () => {
  const tmp = scratch();
  try {
    const a = lab([...SMALL, '--json'], tmp);
    const b = lab([...SMALL, '--json'], tmp);
    const [ca, cb] = await Promise.all([a.done, b.done]);
    const ports = new Set<string>();
    for (const [r, code] of [[a, ca], [b, cb]] as const) {
      assert.is(code, 0, r.stderr);
      const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.ok(s.allVerified, r.stderr);
      assert.is(s.models, 2);
      // One copy of the set per model, plus the two small signed manifests.
      assert.ok(s.originBytes >= 2 * s.fileBytes && s.originBytes < 2 * s.fileBytes + 64 * 1024, `origin sent ${s.originBytes} for 2 x ${s.fileBytes}`);
      const said = /adverts to 127\.255\.255\.255:(\d+) \(a free port\), board ports ([\d, ]+) \(free ports\)/.exec(r.stderr);
      assert.ok(said, `the lab says which ports it took: ${r.stderr}`);
      for (const p of [said![1]!, ...said![2]!.split(', ')]) {
        assert.not.ok(ports.has(p), `port ${p} taken by both labs`);
        ports.add(p);
      }
    }
    assert.equal(labFolders(tmp), [], 'both lab folders removed');
  } finally {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); // a killed lab's board processes may still be ending
  }
});

test('regression: the folder of a lab killed with kill -9 is removed by the next lab; a lab ended by SIGHUP removes its own', async () => {
  const tmp = scratch();
  try {
    const killed = lab(['--boards', '2', '--size', '4M', '--files', '1', '--wan-rate', '1mbit'], tmp);
    await until(() => /dir=(\S+)/.test(killed.stderr), { timeoutMs: 30_000, what: 'the lab to start' });
    const left = /dir=(\S+)/.exec(killed.stderr)![1]!;
    killed.child.kill('SIGKILL');
    await killed.done;
    assert.ok(existsSync(left), 'a killed lab cannot remove its folder');

    const hup = lab(['--boards', '2', '--size', '4M', '--files', '1', '--wan-rate', '1mbit'], tmp);
    await until(() => /dir=(\S+)/.test(hup.stderr), { timeoutMs: 30_000, what: 'the second lab to start' });
    assert.ok(hup.stderr.includes(`removed 1 folder a killed lab left: ${left}`), hup.stderr);
    assert.not.ok(existsSync(left), `${left} is gone`);
    const own = /dir=(\S+)/.exec(hup.stderr)![1]!;
    hup.child.kill('SIGHUP'); // the terminal closed
    assert.is(await hup.done, 1);
    assert.not.ok(existsSync(own), `${own} removed on SIGHUP`);
    assert.equal(labFolders(tmp), []);
  } finally {
    rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); // a killed lab's board processes may still be ending
  }
});

test.run();
