// `pfs tftp serve --max-per-client`: a site behind NAT reaches the origin from one
// address, and the server's default cap (8 transfers per address) held such a fleet's
// configuration requests back ('server busy', a board then 16 s late and pulling the
// whole set again alone). The cap is the operator's to raise, and it is what it says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tftpGet, tftpGetBuffer } from '../../../src/net/tftp/client';
import { until } from '../../helpers';

const CONTENT = Buffer.alloc(200_000, 5);

async function serve(dir: string, extra: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [resolve('dist/pfs.cjs'), 'tftp', 'serve', dir, '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await until(() => /listening on 127\.0\.0\.1:\d+/.test(out), { timeoutMs: 10_000, what: 'pfs tftp serve to listen' });
  return { proc, port: Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]) };
}

/** Opens `n` transfers from this one address and holds them after their options (nothing read). */
function holdOpen(port: number, n: number) {
  return Array.from({ length: n }, () => tftpGet({ host: '127.0.0.1', port, file: 'load.sbn', blksize: 1428, hold: true, timeoutMs: 2000 }));
}

for (const [cap, open, refused] of [[undefined, 3, false], [2, 2, true], [12, 10, false]] as const) {
  test(`--max-per-client ${cap ?? '(default 8)'}: with ${open} transfers open from one address, another is ${refused ? 'refused "server busy"' : 'served'}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pfs-limits-'));
    writeFileSync(join(dir, 'load.sbn'), CONTENT);
    const { proc, port } = await serve(dir, cap === undefined ? [] : ['--max-per-client', String(cap)]);
    const held = holdOpen(port, open);
    try {
      await Promise.all(held.map((d) => d.negotiated));
      const got = await tftpGetBuffer({ host: '127.0.0.1', port, file: 'load.sbn', timeoutMs: 2000, retries: 1 }).then(
        (b) => b,
        (e: Error) => e,
      );
      if (refused) {
        assert.instance(got, Error);
        assert.match((got as Error).message, /server busy/);
      } else {
        assert.ok(Buffer.isBuffer(got), `served: ${(got as Error).message ?? ''}`);
        assert.equal((got as Buffer).length, CONTENT.length);
      }
    } finally {
      for (const d of held) d.abort();
      proc.kill('SIGINT');
      await once(proc, 'exit');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('--max-per-client refuses what is not a count, naming the option', async () => {
  const proc = spawn(process.execPath, [resolve('dist/pfs.cjs'), 'tftp', 'serve', tmpdir(), '--max-per-client', 'many'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const [code] = await once(proc, 'exit');
  assert.is(code, 2);
  assert.match(err, /max-per-client/);
});

test.run();
