// What `pfs` ends with when an error ends a command: the registry's exit code, the
// code in the log line, never the "internal error" exit (70) for a failure a user
// can cause.
import dgram from 'node:dgram';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT } from '../../src/boot/boot';
import { parse } from '../../src/cli/command';
import { ERROR_CODES, PfsError } from '../../src/errors';
import { parseLevel } from '../../src/log/level';
import { tmpDir } from '../helpers/index';
import { pfs } from './cli-capture';

test('PFS_ERR_USAGE: a command without what it needs is a UsageError, and pfs exits with the registry\'s 2 and one line', async () => {
  try {
    parse(['--bogus'], {}, { min: 0, max: 0 });
    assert.unreachable('parse accepted --bogus');
  } catch (e) {
    assert.instance(e, PfsError);
    assert.is((e as PfsError).code, 'PFS_ERR_USAGE');
    assert.match((e as Error).message, '--bogus');
  }
  const r = await pfs(['image', 'card.img']);
  assert.is(r.status, ERROR_CODES.PFS_ERR_USAGE.exit);
  assert.is(r.status, 2);
  assert.match(r.stderr, '--board is required');
  assert.is(r.stderr.trim().split('\n').length, 1, 'one line, not the usage');
});

test('regression: pfs boot --addr that is no IPv4 address is a usage error (exit 2), not a raw socket error from deep in the peer engine', async () => {
  const r = await pfs(['boot', '--board', 'sim', '--addr', 'board7']);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, '--addr must be an IPv4 address, got "board7"');
});

test('PFS_ERR_LOG_LEVEL: an unknown --log-level is refused with the levels there are (exit 2)', async () => {
  try {
    parseLevel('loud');
    assert.unreachable('parseLevel accepted "loud"');
  } catch (e) {
    assert.instance(e, PfsError);
    assert.is((e as PfsError).code, 'PFS_ERR_LOG_LEVEL');
  }
  const r = await pfs(['--log-level', 'loud', 'tftp', 'get', '127.0.0.1', 'x']);
  assert.is(r.status, ERROR_CODES.PFS_ERR_LOG_LEVEL.exit);
  assert.match(r.stderr, 'unknown log level "loud": expected one of err, wrn, not, inf, dbg');
});

test('regression: pfs tftp get from a host that does not resolve exits 1 with PFS_ERR_TFTP_NETWORK, not 70 (internal error)', async () => {
  const dir = await tmpDir('pfs-errors-cli-');
  try {
    const r = await pfs(['tftp', 'get', 'nosuch.invalid:69', 'XMLDefault.cnf.xml', '-o', join(dir.path, 'out.xml'), '--timeout', '200', '--retries', '0']);
    assert.is(r.status, ERROR_CODES.PFS_ERR_TFTP_NETWORK.exit, r.stderr);
    assert.match(r.stderr, /nosuch\.invalid:69 .*code=PFS_ERR_TFTP_NETWORK/);
  } finally {
    await dir.cleanup();
  }
});

test('pfs tftp serve on a port another socket holds exits 1 with PFS_ERR_TFTP_NETWORK naming the port', async () => {
  const holder = dgram.createSocket('udp4');
  await new Promise<void>((ok) => holder.bind(0, '127.0.0.1', ok));
  const port = holder.address().port;
  const dir = await tmpDir('pfs-errors-cli-');
  try {
    const r = await pfs(['tftp', 'serve', dir.path, '--port', String(port)]);
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} .*EADDRINUSE.*code=PFS_ERR_TFTP_NETWORK`));
  } finally {
    holder.close();
    await dir.cleanup();
  }
});

test('the registry\'s exit codes are the ones pfs boot documents (EXIT in src/boot/boot.ts)', () => {
  assert.is(ERROR_CODES.PFS_ERR_MODEL.exit, EXIT.NO_MODEL);
  // Every other failure of pfs boot is EXIT.FAILED, the exit of most codes.
  assert.is(EXIT.FAILED, 1);
  assert.ok(Object.values(ERROR_CODES).filter((i) => i.exit === EXIT.FAILED).length > 20);
});

test.run();
