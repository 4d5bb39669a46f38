import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePortRange } from '../helpers/net';

const bundle = resolve('dist/pfs.cjs');

test('the bundle runs a lab of pfs boot boards (two models) from a folder with no node_modules and prints the JSON summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-cli-lab-'));
  try {
    copyFileSync(bundle, join(dir, 'pfs.cjs'));
    cpSync('boards', join(dir, 'boards'), { recursive: true });
    const base = (await freePortRange(7)) + 1; // the broadcast port, then one per board
    const r = spawnSync(process.execPath, ['pfs.cjs', 'lab', '--boards', '6', '--size', '1M', '--files', '2', '--per-process', '3', '--port-base', String(base), '--bcast-port', String(base - 1), '--wan-rate', '100mbit', '--wan-rtt', '20ms', '--models', 'CP-7961G:4,CP-7941G:2', '--json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.is(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
    for (const k of ['boards', 'mode', 'forward', 'files', 'fileBytes', 'originBytes', 'fleetSeconds', 'limitSeconds', 'allVerified', 'maxDepth', 'maxChildren', 'rootsPerFile', 'wanOverflowed']) {
      assert.ok(k in s, `summary has ${k}`);
    }
    assert.equal([s.boards, s.mode, s.forward, s.files, s.allVerified, s.models], [6, 'pfs', 'cut', 2, true, 2]);
    // One set of components per model over the WAN, plus the two small signed manifests.
    assert.ok(s.originBytes >= 2 * s.fileBytes && s.originBytes < 2 * s.fileBytes + 64 * 1024, `origin sent ${s.originBytes} for ${s.fileBytes} x 2`);
    assert.equal(Object.values(s.rootsPerFile), [2, 2]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad lab options exit 2 with a message naming the option', () => {
  for (const [args, word] of [
    [['--mode', 'bittorrent'], '--mode'],
    [['--boards', 'many'], '--boards'],
    [['--size', '8Q'], '--size'],
    [['--wan-rate', 'fast'], '--wan-rate'],
  ] as const) {
    const r = spawnSync(process.execPath, [bundle, 'lab', ...args], { encoding: 'utf8' });
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.includes(word), r.stderr);
  }
});

test.run();
