// bench/fleet-run.ts's linesTo: a board's console is copied into its log and read for
// its commit line. A board's last lines can come after its 'exit' (here: a child of it
// still holds the pipe); the log must hold them and the bench must not crash on them
// (it did: the log was ended at 'exit', and the next line's write threw from an
// unhandled 'error' event in the middle of a bench:fleet run).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesTo } from '../../bench/fleet-run';

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

test.run();
