import type { FsFile } from './fs';

/**
 * A component file that puts its bytes on the medium while the download goes on: once
 * `everyBytes` were written since the last push began, a push starts in the background
 * (one at a time; writes go on beside it). The commit's own sync then finds little
 * left to flush. Without it a board's whole image sits in the page cache until the
 * commit, which then waits for all of it: on an SD card 8 MiB is about half a second
 * after the last byte arrived, while the download itself left the card idle.
 *
 * The push is `startWriteback` where the file has it (the kernel starts writing the
 * dirty pages; no journal commit, no cache flush), else a full sync. Each sync commits
 * the file system's journal and flushes the device's cache, which only the commit
 * needs: two boards' 8 MiB were 123-130 cache flushes on an SD-like device with syncs,
 * 5 with startWriteback, and 7 % fewer bytes written (`npm run bench:writeback`,
 * bench/RESULTS.md, Fleet).
 *
 * A push that fails is not lost: the next write, sync or close reports it. Linux
 * tells a write-back error to the descriptors open when it happened, so the commit's
 * later sync on a descriptor of its own might not see it once a sync here has.
 */
export function writeBehind(f: FsFile, everyBytes: number): FsFile {
  // A kernel or file system that cannot start a writeback says so at once (ENOSYS,
  // EINVAL): this file is then pushed with syncs, and that is no error of the download.
  let writeback = !!f.startWriteback;
  const push = (): Promise<void> =>
    writeback
      ? f.startWriteback!().catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOSYS' && e.code !== 'EINVAL') throw e;
          writeback = false;
          return f.sync();
        })
      : f.sync();
  let unsynced = 0;
  let inflight: Promise<void> | undefined;
  let failed: { error: unknown } | undefined;
  const check = () => {
    if (!failed) return;
    const { error } = failed;
    failed = undefined;
    throw error;
  };
  const settle = async () => {
    while (inflight) await inflight;
  };
  // A push covers what was written before it began. What came while it ran is pushed as
  // soon as it ends, not at the next write: a download whose last writes all came during
  // a slow push (a busy card blocks sync_file_range) left them in the page cache, and
  // 1.5-2.8 MiB of a 4 MiB component on a loaded CI disk were still unwritten 10 s later.
  const startPush = () => {
    unsynced = 0;
    inflight = push().then(
      () => {
        inflight = undefined;
        if (unsynced >= everyBytes && !failed) startPush();
      },
      (error: unknown) => {
        inflight = undefined;
        failed ??= { error };
      },
    );
  };
  return {
    async writev(buffers, position) {
      check();
      const n = await f.writev(buffers, position);
      unsynced += n;
      if (unsynced >= everyBytes && !inflight) startPush();
      return n;
    },
    read: (buffer, offset, length, position) => f.read(buffer, offset, length, position),
    size: () => f.size(),
    truncate: (length) => f.truncate(length),
    async sync() {
      await settle();
      check();
      unsynced = 0;
      await f.sync();
    },
    async close() {
      // The file's tail goes to the medium too, where starting that costs no cache flush;
      // a sync in its place is left to the commit, which syncs anyway.
      await settle();
      if (unsynced > 0 && writeback && !failed) startPush();
      // The descriptor stays open until its push is done: closing it under a running
      // sync could hand its number to the next file opened.
      await settle();
      await f.close();
      check();
    },
  };
}
