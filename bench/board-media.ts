// Each fleet board's folder as a medium of its own: an ext4 filesystem in an image in
// /dev/shm, mounted on the board's folder through a loop device (`mount -o loop`).
//
// Why: a board's flash is its own card. With every board's folder on the host's one
// ext4, each board's fsyncs waited for one journal that all N boards shared, and their
// data for one disk: at N = 32, boards on tmpfs instead finished 0.6-1.0 s sooner in 3
// interleaved pairs (bench/RESULTS.md, Fleet). One ext4 per board keeps what a board's
// commit does (its journal, its syncs) and drops what it never shares on a site. The
// images live in RAM, so the medium is quick: this is a board with a fast card, not a
// model of a slow one.
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export class BoardMedia {
  private constructor(
    private readonly mounted: string[],
    private readonly imageDir: string,
  ) {}

  /**
   * One `sizeMiB` ext4 per folder in `dirs` (created if missing, emptied by the mount),
   * its image under `imageDir`. Undoes what it did if one fails.
   */
  static async create(dirs: string[], sizeMiB: number, imageDir: string): Promise<BoardMedia> {
    await mkdir(imageDir, { recursive: true });
    const media = new BoardMedia([], imageDir);
    try {
      for (const dir of dirs) {
        const image = join(imageDir, `${basename(dir)}.ext4`);
        // -E lazy_*_init=0: the inode tables and the journal written now, not by a kernel thread during the run.
        await run('mkfs.ext4', ['-q', '-F', '-E', 'lazy_itable_init=0,lazy_journal_init=0', image, `${sizeMiB}M`]);
        await mkdir(dir, { recursive: true });
        await run('mount', ['-o', 'loop,noatime', image, dir]);
        media.mounted.push(dir);
      }
    } catch (e) {
      await media.destroy();
      throw new Error(`board media: ${(e as Error).message}`);
    }
    return media;
  }

  /** Each board's folder back to `cleanDir/<its name>` (the folder itself is a mount point: its contents are replaced). */
  async restore(cleanDir: string): Promise<void> {
    await Promise.all(
      this.mounted.map(async (dir) => {
        const entries = await readdir(dir);
        await Promise.all(entries.map((e) => rm(join(dir, e), { recursive: true, force: true })));
        await cp(join(cleanDir, basename(dir)), dir, { recursive: true });
      }),
    );
  }

  /**
   * Unmounts every medium (the loop device goes with it) and removes the images; with
   * `keep`, each folder's contents are copied back onto the folder first (--keep's logs).
   */
  async destroy(o: { keep?: boolean } = {}): Promise<void> {
    for (const dir of this.mounted.splice(0).reverse()) {
      const kept = `${dir}.kept`;
      if (o.keep) await cp(dir, kept, { recursive: true }).catch(() => {});
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]).catch(() => {}));
      if (o.keep) {
        await rm(dir, { recursive: true, force: true });
        await rename(kept, dir).catch(() => {});
      }
    }
    await rm(this.imageDir, { recursive: true, force: true });
  }
}
