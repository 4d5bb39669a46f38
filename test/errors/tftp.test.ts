// The TFTP codes a user meets, each made to happen through the public functions:
// options out of range, a host that does not resolve, a port that is taken, a path
// the server refuses, a file larger than the receiver takes, an output that cannot
// be written. Servers take their ports from the kernel (port 0).
import dgram from 'node:dgram';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PfsError } from '../../src/errors';
import { tftpGet, tftpGetBuffer, tftpGetToFile } from '../../src/net/tftp/client';
import { resolveServedFile } from '../../src/net/tftp/served-path';
import { TftpServer } from '../../src/net/tftp/server';
import { tmpDir } from '../helpers/index';

/** The PfsError `p` rejects with (or a failure when it resolves or rejects with something else). */
async function pfsRejection(p: Promise<unknown>): Promise<PfsError> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, PfsError, String(e));
    return e as PfsError;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}

function pfsThrow(fn: () => unknown): PfsError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PfsError, String(e));
    return e as PfsError;
  }
  assert.unreachable('expected a throw');
  throw new Error('unreachable');
}

async function withServer<T>(files: Record<string, Buffer>, fn: (port: number, root: string) => Promise<T>): Promise<T> {
  const dir = await tmpDir('pfs-errors-tftp-');
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir.path, name), data);
  const server = new TftpServer({ root: dir.path, port: 0 });
  await server.start();
  try {
    return await fn(server.address().port, dir.path);
  } finally {
    await server.stop();
    await dir.cleanup();
  }
}

test('PFS_ERR_TFTP_OPTION: a port, blksize or windowsize out of range is refused before anything is sent, naming the value', () => {
  for (const [opts, named] of [
    [{ port: 0 }, /port 0 outside 1\.\.65535/],
    [{ port: 70_000 }, /port 70000/],
    [{ blksize: 4 }, /blksize 4 outside 8\.\./],
    [{ blksize: 70_000 }, /blksize 70000/],
    [{ windowsize: 0 }, /windowsize 0 outside 1\.\./],
  ] as const) {
    const e = pfsThrow(() => tftpGet({ host: '127.0.0.1', file: 'SEP001BD5080027.cnf.xml', ...opts }));
    assert.is(e.code, 'PFS_ERR_TFTP_OPTION', JSON.stringify(opts));
    assert.match(e.message, named);
    assert.match(e.message, /SEP001BD5080027\.cnf\.xml/);
  }
});

test('PFS_ERR_TFTP_NETWORK: a server name that does not resolve fails the transfer naming the host (regression: it ended pfs as an internal error)', async () => {
  const e = await pfsRejection(tftpGetBuffer({ host: 'nosuch.invalid', file: 'XMLDefault.cnf.xml', timeoutMs: 200, retries: 0 }));
  assert.is(e.code, 'PFS_ERR_TFTP_NETWORK');
  assert.match(e.message, /nosuch\.invalid:69 "XMLDefault\.cnf\.xml"/);
});

test('PFS_ERR_TFTP_NETWORK: a server whose port is taken cannot start, and says which address and port', async () => {
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((ok) => holder.bind(0, '127.0.0.1', ok));
  const port = holder.address().port;
  try {
    const dir = await tmpDir('pfs-errors-tftp-');
    try {
      const e = await pfsRejection(new TftpServer({ root: dir.path, port, bind: '127.0.0.1' }).start());
      assert.is(e.code, 'PFS_ERR_TFTP_NETWORK');
      assert.match(e.message, `127.0.0.1:${port}`);
      assert.match(e.message, /EADDRINUSE/);
    } finally {
      await dir.cleanup();
    }
  } finally {
    holder.close();
  }
});

test('PFS_ERR_TFTP_PATH: the server refuses names that lead out of its folder, are absolute, or are not there', async () => {
  const dir = await tmpDir('pfs-errors-tftp-');
  try {
    await mkdir(join(dir.path, 'sub'));
    for (const name of ['../etc/passwd', '/etc/passwd', 'sub', 'missing.loads', '']) {
      const e = await pfsRejection(resolveServedFile(dir.path, name));
      assert.is(e.code, 'PFS_ERR_TFTP_PATH', name);
    }
  } finally {
    await dir.cleanup();
  }
});

test('PFS_ERR_TFTP_PROTOCOL: a configuration larger than the receiver takes ends the transfer, naming the server and file', async () => {
  await withServer({ 'big.cnf.xml': Buffer.alloc(5000, 0x41) }, async (port) => {
    const e = await pfsRejection(tftpGetBuffer({ host: '127.0.0.1', port, file: 'big.cnf.xml' }, 1024));
    assert.is(e.code, 'PFS_ERR_TFTP_PROTOCOL');
    assert.match(e.message, `127.0.0.1:${port} "big.cnf.xml": larger than 1024 bytes`);
  });
});

test('PFS_ERR_OUTPUT: a download into a folder that does not exist fails before it asks, naming the path; nothing is left behind', async () => {
  const dir = await tmpDir('pfs-errors-tftp-');
  try {
    const out = join(dir.path, 'no-such-folder', 'SCCP41.loads');
    // No server: the output is opened first, so the failure cannot be the network's.
    const e = await pfsRejection(tftpGetToFile({ host: '127.0.0.1', port: 9, file: 'SCCP41.loads', timeoutMs: 100, retries: 0 }, out));
    assert.is(e.code, 'PFS_ERR_OUTPUT');
    assert.match(e.message, out);
    assert.equal(await readdir(dir.path), []);
  } finally {
    await dir.cleanup();
  }
});

test.run();
