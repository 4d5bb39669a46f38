// The ext4 root partition through e2fsprogs' debugfs, addressed as IMAGE?offset=N (no
// mount). debugfs runs a script of requests and reports a failed request on stderr with
// exit status 0, so every write script's stderr is read, and nothing is asked of it
// that could fail: a request that fails can leave the file system inconsistent (a
// failed mkdir in 1.47 leaves an orphan inode), so callers look first (stat) and then
// ask only for what is missing.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PfsError } from '../errors';
import { runTool } from './tools';

/** What is at a path on the root file system. */
export interface ExtNode {
  type: 'regular' | 'directory' | 'symlink' | 'other';
  /** Permission bits (0755). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** A symlink's target, when debugfs shows it (fast links: up to 59 bytes). */
  target?: string;
}

/** One change to the root file system, carried out in order by apply(). */
export type ExtChange =
  | { op: 'mkdir'; path: string; mode: number }
  | { op: 'write'; path: string; data: Buffer; mode: number; replace: boolean }
  | { op: 'symlink'; path: string; target: string; replace: boolean };

/** A path debugfs can take as one word. */
function checkPath(path: string): string {
  if (!/^\/[A-Za-z0-9._@+\-/]*$/.test(path)) throw new PfsError('PFS_ERR_IMAGE_FORMAT', `"${path}": pfs image writes only plain paths (letters, digits, . _ @ + - /)`);
  return path;
}

/** Splits debugfs's echoed script output into each request's lines. */
function byRequest(stdout: string): string[] {
  return stdout.split(/^debugfs: /m).slice(1);
}

export class ExtVolume {
  private n = 0;

  /**
   * @param image the disk image file
   * @param offset the partition's first byte in the image
   * @param scratch a private folder for scripts and the files on their way in and out
   */
  constructor(
    private readonly image: string,
    private readonly offset: number,
    private readonly scratch: string,
  ) {}

  private get device(): string {
    return `${this.image}?offset=${this.offset}`;
  }

  private async script(lines: string[], write: boolean): Promise<{ stdout: string; stderr: string }> {
    const file = join(this.scratch, `debugfs-${this.n++}.txt`);
    await writeFile(file, lines.join('\n') + '\n');
    return runTool('debugfs', [...(write ? ['-w'] : []), '-f', file, this.device], this.image);
  }

  /** What is at each path (null: nothing), by one debugfs run. */
  async stat(paths: string[]): Promise<Map<string, ExtNode | null>> {
    const out = new Map<string, ExtNode | null>();
    if (paths.length === 0) return out;
    const { stdout } = await this.script(paths.map((p) => `stat ${checkPath(p)}`), false);
    const answers = byRequest(stdout);
    paths.forEach((p, i) => {
      const text = answers[i] ?? '';
      const m = /Type: (\w+)\s+Mode:\s+(\d+)/.exec(text);
      if (!m) return out.set(p, null);
      const type = m[1] === 'regular' || m[1] === 'directory' || m[1] === 'symlink' ? m[1] : 'other';
      const owner = /User:\s+(\d+)\s+Group:\s+(\d+)/.exec(text);
      const size = /Size: (\d+)/.exec(text);
      const link = /Fast link dest: "(.*)"/.exec(text);
      out.set(p, {
        type,
        mode: parseInt(m[2]!, 8),
        uid: Number(owner?.[1] ?? -1),
        gid: Number(owner?.[2] ?? -1),
        size: Number(size?.[1] ?? -1),
        ...(link ? { target: link[1] } : {}),
      });
    });
    return out;
  }

  /** The bytes of regular files, by one debugfs run. */
  async read(paths: string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (paths.length === 0) return out;
    const files = paths.map(() => join(this.scratch, `ext-${this.n++}`));
    await this.script(paths.map((p, i) => `dump ${checkPath(p)} ${files[i]}`), false);
    for (let i = 0; i < paths.length; i++) out.set(paths[i]!, await readFile(files[i]!));
    return out;
  }

  /**
   * Carries out the changes in one debugfs run (folders must come before what they
   * hold). Everything written is owned by root. Throws PFS_ERR_IMAGE_TOOL with
   * debugfs's complaint when any request failed.
   */
  async apply(changes: ExtChange[]): Promise<void> {
    if (changes.length === 0) return;
    const lines: string[] = [];
    const own = (p: string) => lines.push(`sif ${p} uid 0`, `sif ${p} gid 0`);
    for (const c of changes) {
      const p = checkPath(c.path);
      if (c.op === 'mkdir') {
        lines.push(`mkdir ${p}`, `sif ${p} mode 0${(0o40000 | c.mode).toString(8)}`);
        own(p);
      } else if (c.op === 'write') {
        const src = join(this.scratch, `ext-${this.n++}`);
        await writeFile(src, c.data);
        if (c.replace) lines.push(`rm ${p}`);
        lines.push(`write ${src} ${p}`, `sif ${p} mode 0${(0o100000 | c.mode).toString(8)}`);
        own(p);
      } else {
        if (c.replace) lines.push(`rm ${p}`);
        lines.push(`symlink ${p} ${checkPath(c.target)}`);
        own(p);
      }
    }
    const { stderr } = await this.script(lines, true);
    const complaints = stderr.split('\n').filter((l) => l.trim() !== '' && !/^debugfs \d/.test(l));
    if (complaints.length > 0) throw new PfsError('PFS_ERR_IMAGE_TOOL', `debugfs failed on ${this.image}: ${complaints[0]!.trim()}`);
  }
}
