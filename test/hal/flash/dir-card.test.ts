// The `dir` back-end on a real block device (an ext4 loop device standing in for a
// board's SD card): what the card sees while a component downloads. The write-behind
// must keep the card writing during the download (so that the commit has little left
// to flush) without flushing the card's cache each time, which a sync does: one
// flush per 256 KiB was 128 cache flushes and 125 extra writes for two boards' 8 MiB.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirFlash } from '../../../src/hal/flash/dir';
import { loadNative, nativeStatus } from '../../../src/hal/native';
import { anyMissing, missingProgram, missingRoot, programPath, readActiveFile, testIf } from '../../helpers/index';

const MiB = 1024 * 1024;
const BLOCK = 64 * 1024;

const missing = anyMissing(
  missingRoot(),
  missingProgram('losetup', 'mkfs.ext4'),
  loadNative()?.startWriteback ? undefined : `the native addon with startWriteback is not built (looked in ${nativeStatus().tried.join(', ')}; npm run build:native builds it)`,
);

/** The device's counters (Documentation/block/stat.rst): sectors written and cache flushes completed. */
function deviceStat(dev: string): { writtenBytes: number; flushes: number } {
  const f = readFileSync(`/sys/block/${basename(dev)}/stat`, 'utf8').trim().split(/\s+/).map(Number);
  return { writtenBytes: f[6]! * 512, flushes: f[15] ?? NaN };
}

/** An ext4 file system on a loop device over a file, mounted; `done` takes it all down. */
function card(): { dev: string; mnt: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-card-'));
  const mnt = join(dir, 'mnt');
  let dev: string | undefined;
  let mounted = false;
  // Takes down whatever was set up, so that a step that fails leaves nothing behind.
  const done = () => {
    if (mounted) execFileSync('umount', [mnt]);
    if (dev) execFileSync(programPath('losetup'), ['-d', dev]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const img = join(dir, 'card.img');
    mkdirSync(mnt);
    writeFileSync(img, '');
    truncateSync(img, 64 * MiB);
    execFileSync(programPath('mkfs.ext4'), ['-q', '-F', img]);
    dev = execFileSync(programPath('losetup'), ['-f', '--show', img], { encoding: 'utf8' }).trim();
    execFileSync('mount', [dev, mnt]);
    mounted = true;
    return { dev, mnt, done };
  } catch (e) {
    done();
    throw e;
  }
}

testIf(missing, 'a component written to an SD-like card goes out during the download with no cache flush, and commits whole', async () => {
  const { dev, mnt, done } = card();
  try {
    const flash = new DirFlash(join(mnt, 'flash'));
    await flash.open();
    await flash.beginInstall('L1');
    const c = await flash.openComponent('apps.sbn');
    const data = Buffer.alloc(4 * MiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 12)) & 0xff;
    const before = deviceStat(dev);
    for (let at = 0; at < data.length; at += BLOCK) await c.writev([data.subarray(at, at + BLOCK)], at);
    await c.close();
    // Writes complete shortly after they were started: wait for them, not for a flush.
    // Up to 10 s, for a disk shared with parallel tests. Left to the kernel, dirty pages
    // wait dirty_expire_centisecs (30 s) before they are written, so 10 s still tells:
    // with CI's workers on the disk, the whole download once came during the first
    // push, nothing pushed the rest, and 1.25 MiB (then, waiting 10 s, 2.51) had
    // reached the card (write-behind.test.ts has that case without a disk).
    let during = deviceStat(dev);
    for (let i = 0; i < 200 && during.writtenBytes - before.writtenBytes < 3 * MiB; i++) {
      await new Promise((r) => setTimeout(r, 50));
      during = deviceStat(dev);
    }
    const flushes = during.flushes - before.flushes;
    assert.ok(flushes <= 3, `${flushes} cache flushes while 4 MiB were written: the write-behind synced (one flush per 256 KiB is 16)`);
    const wrote = during.writtenBytes - before.writtenBytes;
    assert.ok(wrote >= 3 * MiB, `only ${(wrote / MiB).toFixed(2)} MiB reached the card during the download: the commit would wait for the rest`);
    await flash.commit('L1', [{ name: 'apps.sbn', size: data.length }]);
    assert.ok(deviceStat(dev).flushes > during.flushes, 'the commit put nothing on the medium (no flush)');
    const reopened = new DirFlash(join(mnt, 'flash'));
    await reopened.open();
    assert.is(await reopened.activeLoad(), 'L1');
    assert.ok((await readActiveFile(reopened, 'apps.sbn'))?.equals(data), 'the committed component differs from what was written');
  } finally {
    done();
  }
});

test.run();
