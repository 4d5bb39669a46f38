// The short version of bench:relay (bench/relay.ts): 4 MiB through two hops of each
// kind that has code of its own (a pipe that hashes and writes, the pfs hop with its
// spool on /dev/shm and on disk). Every row must deliver the file's exact byte count
// to the sink (the pfs hops check every block's SHA-256 on the way) and print its
// rate, so that the benchmark cannot rot unseen.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';

test('bench:relay, 4 MiB through two hops: every row delivers the file and reports a rate', async () => {
  const args = ['--import', 'tsx', resolve('bench/relay.ts'), '--size-mib', '4', '--hops', '2', '--reps', '1', '--rows', 'hash-write-shm,pfs-shm,pfs-disk'];
  const { stdout } = await promisify(execFile)(process.execPath, args, { timeout: 90_000 });
  for (const label of ['pipe + SHA-256 + fs.WriteStream, /dev/shm', 'pfs hop, spool on /dev/shm', 'pfs hop, spool on disk']) {
    const row = stdout.split('\n').find((l) => l.startsWith(`| ${label}`));
    assert.ok(row, `a row for ${label}:\n${stdout}`);
    const mbps = Number(row!.split('|')[2]);
    assert.ok(mbps > 0, `${label}: ${mbps} MB/s`);
  }
  assert.match(stdout, '4 MiB, 2 hops');
});

test.run();
