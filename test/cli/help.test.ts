// What --help says matches what the commands do (issue 14, docs that match).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const help = (...cmd: string[]) => spawnSync(process.execPath, [resolve('dist/pfs.cjs'), ...cmd, '--help'], { encoding: 'utf8' }).stdout;

test('regression: lab --help names the default mix of two models (it said "N boards of one phone model") and the free ports', () => {
  const h = help('lab');
  assert.not.match(h, /of one phone model/);
  assert.match(h, /three\s+quarters\s+CP-7961G\s+and\s+the\s+rest\s+CP-7941G/);
  assert.match(h, /free\s+ones\s+from\s+the\s+kernel/);
});

test('tftp get --help states how soon it gives up without an answer; tftp serve --help the blksize range it serves', () => {
  assert.match(help('tftp', 'get'), /default 3: with nobody there, it fails in 3 s/);
  assert.match(help('tftp', 'serve'), /largest blksize granted \(default 65464\)/);
});

test.run();
