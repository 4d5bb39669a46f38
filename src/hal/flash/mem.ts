import { posix } from 'node:path';
import { DirFlash } from './dir';
import type { FlashFs, FsFile } from './fs';

class MemFile {
  /** What readers see now. */
  data = Buffer.alloc(0);
  /** What is on the medium: as of the last sync. */
  durable = Buffer.alloc(0);
}

class MemDir {
  entries = new Map<string, MemNode>();
  /** The entries on the medium: as of the last syncDir. */
  durable = new Map<string, MemNode>();
}

type MemNode = MemFile | MemDir;

/** Thrown by every MemFs call from the cut on: the board has no power. */
export class PowerCut extends Error {
  constructor() {
    super('power cut');
    this.name = 'PowerCut';
  }
}

const PAGE = 4096;

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${path}'`), { code: 'ENOENT' });
}

/**
 * An in-memory file system that keeps apart what was written and what is on the
 * medium, as a real one does: file bytes reach the medium at `sync`, a folder's
 * entries (created, renamed, removed names) at `syncDir`. `cutAfter(n)` makes the
 * n-th change fail with PowerCut and every call after it too; `afterPowerCut()` then
 * gives the file system the board finds at the next power-on, where anything not
 * synced may or may not have reached the medium: each name and each 4 KiB page
 * independently, by a seeded choice.
 */
export class MemFs implements FlashFs {
  private root = new MemDir();
  private changes = 0;
  private cutAt = Infinity;
  private dead = false;

  /** Changes (writes, syncs, renames, removals, creations) made so far. */
  get changeCount(): number {
    return this.changes;
  }

  /** The `n`-th change from now (1 = the next one) is cut, with everything after it. */
  cutAfter(n: number): void {
    this.cutAt = this.changes + n;
  }

  private alive(): void {
    if (this.dead) throw new PowerCut();
  }

  private change(): void {
    this.alive();
    if (++this.changes >= this.cutAt) {
      this.dead = true;
      throw new PowerCut();
    }
  }

  private parts(path: string): string[] {
    return posix.resolve('/', path).split('/').filter(Boolean);
  }

  private dirOf(path: string, create = false): { dir: MemDir; name: string } {
    const parts = this.parts(path);
    const name = parts.pop() ?? '';
    let dir = this.root;
    for (const p of parts) {
      let next = dir.entries.get(p);
      if (!next && create) dir.entries.set(p, (next = new MemDir()));
      if (!(next instanceof MemDir)) throw enoent(path);
      dir = next;
    }
    return { dir, name };
  }

  private lookup(path: string): MemNode | undefined {
    if (this.parts(path).length === 0) return this.root;
    const { dir, name } = this.dirOf(path);
    return dir.entries.get(name);
  }

  async open(path: string, mode: 'read' | 'write'): Promise<FsFile> {
    this.alive();
    let node = this.lookup(path);
    if (!node && mode === 'write') {
      this.change();
      const { dir, name } = this.dirOf(path);
      dir.entries.set(name, (node = new MemFile()));
    }
    if (!(node instanceof MemFile)) throw enoent(path);
    const f = node;
    let closed = false;
    const usable = () => {
      this.alive();
      if (closed) throw new Error(`EBADF: ${path} is closed`);
    };
    return {
      writev: async (buffers, position) => {
        usable();
        if (mode === 'read') throw new Error(`EBADF: ${path} is open for reading`);
        this.change();
        const add = Buffer.concat(buffers as Buffer[]);
        const end = position + add.length;
        if (end > f.data.length) f.data = Buffer.concat([f.data, Buffer.alloc(end - f.data.length)]);
        else f.data = Buffer.from(f.data);
        add.copy(f.data, position);
        return add.length;
      },
      read: async (buffer, offset, length, position) => {
        usable();
        const n = Math.max(0, Math.min(length, f.data.length - position));
        f.data.copy(buffer, offset, position, position + n);
        return n;
      },
      size: async () => (usable(), f.data.length),
      truncate: async (length) => {
        usable();
        this.change();
        f.data = length <= f.data.length ? Buffer.from(f.data.subarray(0, length)) : Buffer.concat([f.data, Buffer.alloc(length - f.data.length)]);
      },
      sync: async () => {
        usable();
        this.change();
        f.durable = f.data;
      },
      close: async () => {
        usable();
        closed = true;
      },
    };
  }

  async readFile(path: string): Promise<Buffer | null> {
    this.alive();
    const node = this.lookup(path);
    return node instanceof MemFile ? Buffer.from(node.data) : null;
  }

  async size(path: string): Promise<number | null> {
    this.alive();
    const node = this.lookup(path);
    return node instanceof MemFile ? node.data.length : null;
  }

  async rename(from: string, to: string): Promise<void> {
    this.alive();
    const a = this.dirOf(from);
    const node = a.dir.entries.get(a.name);
    if (!node) throw enoent(from);
    const b = this.dirOf(to);
    this.change();
    a.dir.entries.delete(a.name);
    b.dir.entries.set(b.name, node);
  }

  async unlink(path: string): Promise<void> {
    this.alive();
    const { dir, name } = this.dirOf(path);
    if (!dir.entries.has(name)) return;
    this.change();
    dir.entries.delete(name);
  }

  async readdir(path: string): Promise<string[]> {
    this.alive();
    const node = this.lookup(path);
    if (!(node instanceof MemDir)) throw enoent(path);
    return [...node.entries.keys()].sort();
  }

  async mkdir(path: string): Promise<void> {
    this.alive();
    let dir = this.root;
    for (const p of this.parts(path)) {
      let next = dir.entries.get(p);
      if (!next) {
        this.change();
        dir.entries.set(p, (next = new MemDir()));
      }
      if (!(next instanceof MemDir)) throw new Error(`ENOTDIR: ${path}`);
      dir = next;
    }
  }

  async syncDir(path: string): Promise<void> {
    this.alive();
    const node = this.lookup(path);
    if (!(node instanceof MemDir)) throw enoent(path);
    this.change();
    node.durable = new Map(node.entries);
  }

  /**
   * The file system found at the next power-on: for every name whose entry changed
   * since its folder's last syncDir, and every page of a file written since its
   * last sync, `random()` picks the old or the new one.
   */
  afterPowerCut(random: () => number): MemFs {
    const next = new MemFs();
    const files = new Map<MemFile, MemFile>();
    const pick = <T>(a: T, b: T): T => (a === b || random() < 0.5 ? a : b);
    const copyFile = (f: MemFile): MemFile => {
      let out = files.get(f);
      if (out) return out;
      out = new MemFile();
      const len = pick(f.durable.length, f.data.length);
      const data = Buffer.alloc(len);
      for (let p = 0; p < len; p += PAGE) {
        const src = pick(f.durable, f.data);
        if (p < src.length) src.copy(data, p, p, Math.min(p + PAGE, len, src.length));
      }
      out.data = out.durable = data;
      files.set(f, out);
      return out;
    };
    const copyDir = (d: MemDir): MemDir => {
      const out = new MemDir();
      for (const name of new Set([...d.durable.keys(), ...d.entries.keys()])) {
        const node = pick(d.durable.get(name), d.entries.get(name));
        if (node) out.entries.set(name, node instanceof MemDir ? copyDir(node) : copyFile(node));
      }
      out.durable = new Map(out.entries);
      return out;
    };
    next.root = copyDir(this.root);
    next.root.durable = new Map(next.root.entries);
    return next;
  }
}

/**
 * The `mem` back-end: the `dir` back-end's protocol on a MemFs, for tests that want
 * a flash without a folder, and to check what a power cut can leave. Pass the same
 * MemFs (or its afterPowerCut()) to a new memFlash to "reboot".
 */
export function memFlash(fs: MemFs = new MemFs()): DirFlash {
  return new DirFlash('/flash', { fs, kind: 'mem' });
}
