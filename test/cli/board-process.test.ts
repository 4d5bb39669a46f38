// A board process takes its heap before pfs is loaded. CI once measured a one-board lab
// host's young generation at 4 MiB where a board keeps 2: the host set
// --semi-space-growth-factor=1 only when its boards were handed to it (and `pfs boot`
// only once its command was found), after V8's first scavenge while loading the bundle,
// which may already have grown the nursery.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BOARD_COMMANDS, isBoardProcess } from '../../src/cli/board-process';
import { commands } from '../../src/cli/commands/index';

test('boot and a one-board lab host are board processes, wherever the global options stand', () => {
  assert.ok(isBoardProcess(['boot']));
  assert.ok(isBoardProcess(['--log-level', 'dbg', 'boot', '--board', 'sim']));
  assert.ok(isBoardProcess(['--log-format=json', 'boot']));
  assert.ok(isBoardProcess(['lab-host', 'board']));
  assert.not.ok(isBoardProcess(['lab-host']), 'a host of several boards keeps V8\'s nursery');
  assert.not.ok(isBoardProcess(['lab-host', 'origin']));
  assert.not.ok(isBoardProcess(['image', 'boot']));
  assert.not.ok(isBoardProcess(['--log-level', 'boot']), 'a bad level: main reports it');
  assert.not.ok(isBoardProcess([]));
});

test('every board command is a pfs command', () => {
  for (const path of BOARD_COMMANDS) assert.ok(commands.some((c) => c.path.every((w, i) => path[i] === w)), path.join(' '));
});

// Run the bundle with V8's GC trace and a preload that prints when the board's heap is
// set, both on standard output in the order they happen.
function traced(args: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-board-heap-'));
  try {
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload, `const v8 = require('v8'); const fs = require('fs'); const set = v8.setFlagsFromString;
v8.setFlagsFromString = (f) => { if (f.includes('semi-space-growth-factor')) fs.writeSync(1, 'BOARD HEAP\\n'); return set(f); };\n`);
    const r = spawnSync(process.execPath, ['--trace-gc', '--require', preload, resolve('dist/pfs.cjs'), ...args], { encoding: 'utf8' });
    return r.stdout.split('\n').filter((l) => l === 'BOARD HEAP' || l.includes('Scavenge'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('regression: the bundle sets a board\'s heap before V8 first collects its young generation', () => {
  for (const args of [['boot', '--no-such-option'], ['lab-host', 'board']]) {
    const events = traced(args);
    assert.ok(events.some((e) => e.includes('Scavenge')), `V8 collected nothing while loading pfs ${args.join(' ')}: the test proves nothing`);
    assert.is(events[0], 'BOARD HEAP', `pfs ${args.join(' ')}: ${events.join(' | ')}`);
  }
  assert.not.ok(traced(['--version']).includes('BOARD HEAP'), 'pfs --version is no board');
});

test.run();
