// A board's origin transfers share one in-flight budget (SackShare): a quarter each for
// four, all of it for one left alone, so the last component is not held to 14 Mbit/s at
// 150 ms (256 KiB, a transfer's own room) while the WAN idles. The budget follows
// whether the board's consumer keeps up: 4 MiB when flash keeps up (the root of a
// one-model site must fill a 100 Mbit/s WAN at 150 ms alone), 1 MiB behind a slow one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { tftpGet } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { watchRoom } from '../../helpers/room-watch';
import { KEPT_UP_MS, SackShare, SACK_SHARE_BYTES, SACK_SHARE_FLOOR } from '../../../src/net/tftp/sack-share';
import { makeFile, tmpDir, until } from '../../helpers/index';

const BLKSIZE = 1468;

test('the share: divided among the transfers taking data, at least 128 KiB each; leaving twice counts once', () => {
  const s = new SackShare({ now: () => 0 });
  assert.is(s.perTransfer(), SACK_SHARE_FLOOR, 'none running: a newcomer would have it all');
  const leave = [s.enter(), s.enter(), s.enter(), s.enter()];
  assert.is(s.perTransfer(), SACK_SHARE_FLOOR / 4, 'four components: a quarter each');
  leave[0]!();
  leave[0]!();
  leave[1]!();
  leave[2]!();
  assert.is(s.perTransfer(), SACK_SHARE_FLOOR, 'the last one left: all of it');
  for (let i = 0; i < 40; i++) s.enter();
  assert.is(s.perTransfer(), 128 << 10, 'many: never below 128 KiB');
});

test('the budget follows the consumer: the floor until it has taken for a second without pausing, then the most; the floor again for a second after any pause', () => {
  let t = 0;
  const s = new SackShare({ now: () => t });
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'nothing taken yet: the floor');
  s.took(true);
  t += KEPT_UP_MS - 1;
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'kept up for less than a second: the floor');
  t += 1;
  assert.is(s.totalBytes(), SACK_SHARE_BYTES, 'kept up for a second: the most');
  s.took(false);
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'paused: the floor at once');
  s.took(true);
  t += KEPT_UP_MS / 2;
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'half a second after the pause: still the floor');
  t += KEPT_UP_MS / 2;
  assert.is(s.totalBytes(), SACK_SHARE_BYTES, 'a second after it: the most again');
});

test('the meter: what lands while the consumer paused does not count as keeping up; asking again does', () => {
  let t = 0;
  const s = new SackShare({ now: () => t });
  let want = true;
  const m = s.meter(() => want);
  m.sink(Buffer.alloc(1));
  t += KEPT_UP_MS;
  assert.is(s.totalBytes(), SACK_SHARE_BYTES);
  want = false;
  m.sink(Buffer.alloc(1));
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'paused');
  // The window in flight lands; the consumer takes it (its queue had room again) but has not asked for more.
  want = true;
  m.sink(Buffer.alloc(1));
  t += KEPT_UP_MS;
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'a landing block is not a resume');
  m.resumed();
  t += KEPT_UP_MS;
  assert.is(s.totalBytes(), SACK_SHARE_BYTES, 'a second after it asked again');
});

/** The largest room a transfer of `size` bytes offered, in blocks, with its consumer pausing `pace` ms every 256 KiB (0: never). */
async function roomOffered(share: SackShare | undefined, pace: number, size: number): Promise<number> {
  const dir = await tmpDir('pfs-sack-share-');
  const file = await makeFile(dir.path, 'f.bin', size, 'sack-share');
  const server = new TftpServer({ root: dir.path, port: 0, maxWindowsize: 1024, maxWindowBytes: Infinity });
  await server.start();
  // The room the client offers, as its ACKs cross the WAN.
  const watch = await watchRoom(server.address(), 40);
  try {
    const leave = share?.enter();
    const hash = createHash('sha256');
    const dl = tftpGet({ host: '127.0.0.1', port: watch.wan.address().port, file: 'f.bin', blksize: BLKSIZE, windowsize: 16, sackWindowBytes: share && (() => share.perTransfer()) });
    let taken = 0;
    let paused = false;
    const consumer = (b: Buffer): boolean => {
      hash.update(b);
      if (pace === 0) return true;
      // A slow flash: the consumer pauses the transfer every 256 KiB and asks again later.
      taken += b.length;
      if (taken < 256 << 10 || paused) return !paused;
      taken = 0;
      paused = true;
      setTimeout(() => {
        paused = false;
        metered?.resumed();
        dl.resume();
      }, pace);
      return false;
    };
    const metered = share?.meter(consumer);
    await dl.deliver(metered?.sink ?? consumer);
    leave?.();
    assert.is(hash.digest('hex'), file.sha256);
    await until(() => server.stats.active === 0, { timeoutMs: 10_000, what: "the server's transfer to end" });
    return watch.maxRoom();
  } finally {
    await watch.wan.stop();
    await server.stop();
    await dir.cleanup();
  }
}

test('a transfer alone, its consumer keeping up: the client offers the whole 4 MiB as room (2857 blocks of 1468 B), enough for 100 Mbit/s at 150 ms; without the share 256 KiB (178); the file is intact', async () => {
  assert.is(await roomOffered(undefined, 0, 4 << 20), Math.floor((256 << 10) / BLKSIZE));
  // 32 MiB: the consumer has kept up for a second before the end.
  const alone = await roomOffered(new SackShare(), 0, 32 << 20);
  assert.is(alone, Math.floor(SACK_SHARE_BYTES / BLKSIZE));
  // What the root of a one-model site needs on a 100 Mbit/s WAN at 150 ms: the path's
  // bandwidth-delay product and the sender's queue target (a third of it) on top. At
  // 1 MiB it moved 64 MiB at half the link's rate.
  const fill = (100e6 / 8) * 0.15 * (4 / 3);
  assert.ok(alone * BLKSIZE >= fill, `room alone ${alone * BLKSIZE} B, need ${fill} B`);
});

test('a transfer alone behind a slow consumer (256 KiB every 250 ms: 1 MiB/s): the room stays at the 1 MiB floor (714 blocks); the file is intact', async () => {
  assert.is(await roomOffered(new SackShare(), 250, 6 << 20), Math.floor(SACK_SHARE_FLOOR / BLKSIZE));
});

test.run();
