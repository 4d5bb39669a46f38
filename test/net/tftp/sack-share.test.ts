// A board's origin transfers share one in-flight budget (SackShare): four at once get
// what each had alone before (256 KiB), and one left alone gets all of it, so the last
// component is not held to 14 Mbit/s at 150 ms while the WAN idles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { tftpGet } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { watchRoom } from '../../helpers/room-watch';
import { SackShare, SACK_SHARE_BYTES } from '../../../src/net/tftp/sack-share';
import { makeFile, tmpDir, until } from '../../helpers/index';

const BLKSIZE = 1468;

test('the share: 1 MiB among the transfers taking data, at least 128 KiB each; leaving twice counts once', () => {
  const s = new SackShare();
  assert.is(s.perTransfer(), SACK_SHARE_BYTES, 'none running: a newcomer would have it all');
  const leave = [s.enter(), s.enter(), s.enter(), s.enter()];
  assert.is(s.perTransfer(), 256 << 10, 'four components: 256 KiB each, as before');
  leave[0]!();
  leave[0]!();
  leave[1]!();
  leave[2]!();
  assert.is(s.perTransfer(), SACK_SHARE_BYTES, 'the last one left: all of it');
  for (let i = 0; i < 20; i++) s.enter();
  assert.is(s.perTransfer(), 128 << 10, 'many: never below 128 KiB');
});

test('a transfer alone: with the share the client offers the whole budget as room (714 blocks of 1468 B), not 256 KiB (178); the file is intact', async () => {
  const dir = await tmpDir('pfs-sack-share-');
  const file = await makeFile(dir.path, 'f.bin', 4 << 20, 'sack-share');
  const server = new TftpServer({ root: dir.path, port: 0, maxWindowsize: 1024, maxWindowBytes: Infinity });
  await server.start();
  // The room the client offers, as its ACKs cross the WAN.
  const watch = await watchRoom(server.address(), 40);
  const wan = watch.wan;
  try {
    const rooms: number[] = [];
    for (const share of [undefined, new SackShare()]) {
      watch.reset();
      const leave = share?.enter();
      const hash = createHash('sha256');
      const dl = tftpGet({ host: '127.0.0.1', port: wan.address().port, file: 'f.bin', blksize: BLKSIZE, windowsize: 16, sackWindowBytes: share && (() => share.perTransfer()) });
      await dl.deliver((b) => void hash.update(b));
      leave?.();
      assert.is(hash.digest('hex'), file.sha256);
      await until(() => server.stats.active === 0, { timeoutMs: 10_000, what: "the server's transfer to end" });
      rooms.push(watch.maxRoom());
    }
    assert.equal(rooms, [Math.floor((256 << 10) / BLKSIZE), Math.floor(SACK_SHARE_BYTES / BLKSIZE)]);
  } finally {
    await wan.stop();
    await server.stop();
    await dir.cleanup();
  }
});

test.run();
