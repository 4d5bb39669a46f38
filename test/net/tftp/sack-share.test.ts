// A board's origin transfers share one in-flight budget (SackShare): four at once get
// what each had alone before (256 KiB), and one left alone gets all of it, so the last
// component is not held to 14 Mbit/s at 150 ms while the WAN idles. The budget is what
// the board's flash writes in 250 ms, 1 to 4 MiB: a fast flash lets the root of a
// one-model site fill a 100 Mbit/s WAN, a slow one keeps what lands behind it small.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { tftpGet } from '../../../src/net/tftp/client';
import { TftpServer } from '../../../src/net/tftp/server';
import { watchRoom } from '../../helpers/room-watch';
import { SackShare, SACK_SHARE_BYTES, SACK_SHARE_FLOOR, shareBudget } from '../../../src/net/tftp/sack-share';
import { makeFile, tmpDir, until } from '../../helpers/index';

const BLKSIZE = 1468;

test('the share: 1 MiB among the transfers taking data, at least 128 KiB each; leaving twice counts once', () => {
  const s = new SackShare();
  assert.is(s.perTransfer(), SACK_SHARE_FLOOR, 'none running: a newcomer would have it all');
  const leave = [s.enter(), s.enter(), s.enter(), s.enter()];
  assert.is(s.perTransfer(), 256 << 10, 'four components: 256 KiB each, as before');
  leave[0]!();
  leave[0]!();
  leave[1]!();
  leave[2]!();
  assert.is(s.perTransfer(), SACK_SHARE_FLOOR, 'the last one left: all of it');
  for (let i = 0; i < 20; i++) s.enter();
  assert.is(s.perTransfer(), 128 << 10, 'many: never below 128 KiB');
});

test('the budget follows flash: 1 MiB until its pace is known, then what it writes in 250 ms, within 1-4 MiB; the last few MiB weigh most', () => {
  assert.is(shareBudget(undefined), SACK_SHARE_FLOOR);
  assert.is(shareBudget(1 << 20), SACK_SHARE_FLOOR, 'flash at 1 MiB/s: 256 KiB in 250 ms, the floor');
  assert.is(shareBudget(10 << 20), (10 << 20) / 4, 'a Pi SD card at 10 MiB/s: 2.5 MiB');
  assert.is(shareBudget(Infinity), SACK_SHARE_BYTES, 'a page cache: the most');
  const clock = { t: 0 };
  const s = new SackShare(() => clock.t);
  const write = (bytes: number, ms: number) => {
    const ended = s.flashWriting();
    clock.t += ms;
    ended(bytes);
  };
  write(128 << 10, 1);
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'two blocks written, however fast: not yet trusted');
  for (let i = 0; i < 62; i++) write(64 << 10, 1);
  assert.is(s.flashPace(), ((4 << 20) * 1000) / 63, 'bytes over the time the writes took (4 MiB in 63 ms)');
  assert.is(s.totalBytes(), SACK_SHARE_BYTES, 'fast flash: 4 MiB');
  clock.t += 5000; // idle: no time is counted while nothing is written
  // The flash slows to 1 MiB/s (a full device, a worn card): within a few MiB the budget is back at the floor.
  for (let i = 0; i < 64; i++) write(64 << 10, 62.5);
  assert.is(s.totalBytes(), SACK_SHARE_FLOOR, 'slow flash: 1 MiB again');
  const pace = s.flashPace()!;
  assert.ok(pace < 1.5 * (1 << 20), `pace ${pace} B/s after 4 MiB at 1 MiB/s: the 64 MB/s before it has faded`);
});

test('writes at once (four components) count the flash\'s busy time once: its pace, not a quarter of it', () => {
  const clock = { t: 0 };
  const s = new SackShare(() => clock.t);
  // Four files' writes of 1 MiB each, side by side, all done within 100 ms: 40 MiB/s.
  const ends = [s.flashWriting(), s.flashWriting()];
  clock.t += 50;
  ends.push(s.flashWriting(), s.flashWriting());
  clock.t += 50;
  for (const end of ends) end(1 << 20);
  ends[0]!(1 << 20); // twice: counted once
  assert.is(s.flashPace(), 40 * (1 << 20));
  assert.is(s.totalBytes(), SACK_SHARE_BYTES, '40 MiB/s: 10 MiB in 250 ms, so the most');
  // A failed write counts its time and no bytes.
  const failed = s.flashWriting();
  clock.t += 100;
  failed(0);
  assert.is(s.flashPace(), 20 * (1 << 20));
});

test('a transfer alone: with the share the client offers the whole budget as room (714 blocks of 1468 B; 2857 once flash is known to be fast), not 256 KiB (178); the file is intact', async () => {
  const dir = await tmpDir('pfs-sack-share-');
  const file = await makeFile(dir.path, 'f.bin', 4 << 20, 'sack-share');
  const server = new TftpServer({ root: dir.path, port: 0, maxWindowsize: 1024, maxWindowBytes: Infinity });
  await server.start();
  // The room the client offers, as its ACKs cross the WAN.
  const watch = await watchRoom(server.address(), 40);
  const wan = watch.wan;
  try {
    const rooms: number[] = [];
    const clock = { t: 0 };
    const fast = new SackShare(() => clock.t);
    const ended = fast.flashWriting();
    clock.t += 8;
    ended(1 << 20); // 1 MiB in 8 ms

    for (const share of [undefined, new SackShare(), fast]) {
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
    assert.equal(rooms, [Math.floor((256 << 10) / BLKSIZE), Math.floor(SACK_SHARE_FLOOR / BLKSIZE), Math.floor(SACK_SHARE_BYTES / BLKSIZE)]);
  } finally {
    await wan.stop();
    await server.stop();
    await dir.cleanup();
  }
});

test.run();
