// Regression: `pfs tftp serve` failed every transfer with a blksize below 64 (one
// readv of a 64 KiB chunk's packets: more than 1024 buffers, which the kernel
// refuses), while its help and the client offer 8..65464.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tftpGetBuffer } from '../../../src/net/tftp/client';
import { runAtftp, testWith, until } from '../../helpers';

const BLKSIZES = [8, 16, 63, 512, 1428, 65464];
// More than 1024 packets of 8 bytes in its first 64 KiB, and a short last block at every size.
const CONTENT = Buffer.from(Array.from({ length: 70_001 }, (_, i) => (i * 7 + (i >> 8)) & 255));

let dir: string;
let server: ChildProcess;
let port: number;

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pfs-blksize-'));
  writeFileSync(join(dir, 'load.sbn'), CONTENT);
  server = spawn(process.execPath, [resolve('dist/pfs.cjs'), 'tftp', 'serve', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await until(() => /listening on 127\.0\.0\.1:\d+/.test(out), { timeoutMs: 10_000, what: 'pfs tftp serve to listen' });
  port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
});

test.after(async () => {
  server.kill('SIGINT');
  await once(server, 'exit');
  rmSync(dir, { recursive: true, force: true });
});

test(`pfs tftp serve gives our client the whole file at blksize ${BLKSIZES.join(', ')}`, async () => {
  for (const blksize of BLKSIZES) {
    for (const windowsize of [1, 16]) {
      const got = await tftpGetBuffer({ host: '127.0.0.1', port, file: 'load.sbn', blksize, windowsize, timeoutMs: 1000, retries: 2 }, 1 << 20);
      assert.ok(got.equals(CONTENT), `blksize ${blksize} windowsize ${windowsize}: ${got.length} bytes`);
    }
  }
});

testWith(['atftp'], `pfs tftp serve gives atftp the whole file at blksize ${BLKSIZES.join(', ')}`, async () => {
  for (const blksize of BLKSIZES) {
    const out = join(dir, `atftp-${blksize}.out`);
    const r = await runAtftp({ port, file: 'load.sbn', out, blksize, timeoutMs: 30_000 });
    assert.ok(r.ok, `atftp blksize ${blksize}: ${r.code} ${r.stderr}`);
    assert.ok(readFileSync(out).equals(CONTENT), `atftp blksize ${blksize}: content`);
  }
});

test.run();
