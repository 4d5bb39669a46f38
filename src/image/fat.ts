// The FAT boot partition through mtools, addressed as IMAGE@@OFFSET (no mount).
import { readFile, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { runTool } from './tools';

/** A file name on the FAT partition: `/pfs.txt`, `/config.txt`. */
export type FatPath = string;

export class FatVolume {
  private n = 0;

  /**
   * @param image the disk image file
   * @param offset the partition's first byte in the image
   * @param scratch a private folder for the files on their way in and out
   */
  constructor(
    private readonly image: string,
    private readonly offset: number,
    private readonly scratch: string,
  ) {}

  private get drive(): string {
    return `${this.image}@@${this.offset}`;
  }

  /** Every file's path on the partition (lower-cased: FAT does not tell case apart). */
  async list(): Promise<Set<string>> {
    const { stdout } = await runTool('mdir', ['-/', '-b', '-a', '-i', this.drive, '::/'], this.image);
    return new Set(
      stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('::'))
        .map((l) => l.slice(2).replace(/\/$/, '').toLowerCase()),
    );
  }

  /** A file's bytes, or null when it is not there. */
  async read(path: FatPath, listing?: Set<string>): Promise<Buffer | null> {
    if (!(listing ?? (await this.list())).has(path.toLowerCase())) return null;
    const out = join(this.scratch, `fat-${this.n++}`);
    await runTool('mcopy', ['-n', '-i', this.drive, `::${path}`, out], this.image);
    return readFile(out);
  }

  /** Writes (or replaces) a file, making its folders first. */
  async write(path: FatPath, data: Buffer, listing: Set<string>): Promise<void> {
    const parts = posix.dirname(path).split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = '/' + parts.slice(0, i).join('/');
      if (!listing.has(dir.toLowerCase())) {
        await runTool('mmd', ['-i', this.drive, `::${dir}`], this.image);
        listing.add(dir.toLowerCase());
      }
    }
    const src = join(this.scratch, `fat-${this.n++}`);
    await writeFile(src, data);
    await runTool('mcopy', ['-o', '-i', this.drive, src, `::${path}`], this.image);
  }

  /** Bytes free on the partition, as mdir counts them. */
  async freeBytes(): Promise<number> {
    const { stdout } = await runTool('mdir', ['-i', this.drive, '::/'], this.image);
    const line = stdout.split('\n').find((l) => /bytes free/.test(l)) ?? '';
    return Number(line.replace(/bytes free.*/, '').replace(/[^0-9]/g, '')) || 0;
  }
}
