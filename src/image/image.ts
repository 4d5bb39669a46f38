// `pfs image`: writes what a board needs into a Raspberry Pi OS-style disk image
// without mounting it. Everything is checked and every difference worked out before
// the first byte is written, so a refusal leaves the image as it was, and a second run
// with the same inputs finds nothing to change and writes nothing.
import { constants } from 'node:fs';
import { access, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { PfsError } from '../errors';
import { DirFlash } from '../hal/flash/dir';
import { loadBoard, loadModels, type BoardProfile } from '../profiles';
import { selectModel } from '../boot/select-model';
import { readLayout, type ImageLayout } from './layout';
import { describeElf, elfArch, type Arch } from './elf';
import { ExtVolume, type ExtChange, type ExtNode } from './ext4';
import { FatVolume } from './fat';
import { cmdlineTxt, configTxt, consoleTtys, pfsTxt } from './boot-files';
import { readTrustKey } from './trust-key';
import { UNIT_DIR, UNIT_PATH, WANTS_LINK, unitText } from './unit';

/** Where the executable goes on the root file system. */
export const EXE_PATH = '/opt/pfs/pfs';

export interface ImageOptions {
  /** The disk image file. */
  image: string;
  board: string;
  model: string;
  /** The TFTP server, HOST[:PORT], for pfs.txt's tftp=. */
  tftp: string;
  /** The site's public key (`*.pub.pem`). */
  trust: string;
  /** The serial console pfs logs to (`serial0`, `/dev/ttyAMA0`); default: the board file's. */
  console?: string;
  /** The MAC the board goes by, for pfs.txt's mac=. */
  mac?: string;
  /** The executable; default: pfs-linux-<arch> from `releaseDirs`. */
  exe?: string;
  /** Folders searched for pfs-linux-<arch> (and its addon) when `exe` is not given. */
  releaseDirs: string[];
  boardsDir: string;
  /** Work everything out, write nothing. */
  dryRun?: boolean;
}

/** One thing pfs image puts on the image, and whether it had to change. */
export interface ImageItem {
  partition: 'boot' | 'root';
  path: string;
  kind: 'file' | 'folder' | 'link';
  state: 'new' | 'changed' | 'same';
  /** A file's size in bytes; a link's target. */
  bytes?: number;
  target?: string;
}

export interface ImageReport {
  image: string;
  arch: Arch;
  exe: string;
  items: ImageItem[];
  /** Whether anything was written (false on a dry run, or when all was as wanted). */
  written: boolean;
}

type Want =
  | { kind: 'folder'; path: string; mode: number }
  | { kind: 'file'; path: string; data: Buffer; mode: number }
  | { kind: 'link'; path: string; target: string };

const refuse = (code: 'PFS_ERR_IMAGE_FORMAT' | 'PFS_ERR_IMAGE_ACCESS' | 'PFS_ERR_IMAGE_SPACE' | 'PFS_ERR_IMAGE_EXE' | 'PFS_ERR_IMAGE_MODEL' | 'PFS_ERR_IMAGE_BOARD', msg: string) =>
  new PfsError(code, msg);

/** Node's name for a CPU in the addon's file name (pfs-native.linux-arm.node for armv7l). */
const addonArch = (a: Arch) => (a === 'armv7l' ? 'arm' : a);

/** HOST[:PORT] with a port in range: pfs.txt's tftp= must be one a board can use. */
function checkServer(text: string): string {
  const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? 69 : Number(m[2]);
  if (!m || !(port >= 1 && port <= 65535)) throw new PfsError('PFS_ERR_USAGE', `--tftp must be HOST[:PORT], got "${text}"`);
  return text;
}

/** The image can be written: it exists, some write bit is set (root ignores modes, so they are read here) and it opens for writing. */
async function checkWritable(image: string): Promise<void> {
  let mode: number;
  try {
    const s = await stat(image);
    if (!s.isFile()) throw refuse('PFS_ERR_IMAGE_ACCESS', `${image}: not a regular file (pfs image writes an image file, not a device)`);
    mode = s.mode;
  } catch (e) {
    if (e instanceof PfsError) throw e;
    throw refuse('PFS_ERR_IMAGE_ACCESS', `${image}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if ((mode & 0o222) === 0) throw refuse('PFS_ERR_IMAGE_ACCESS', `${image}: read-only (mode ${(mode & 0o777).toString(8)}): make it writable first`);
  try {
    await access(image, constants.W_OK);
    await (await open(image, 'r+')).close();
  } catch (e) {
    throw refuse('PFS_ERR_IMAGE_ACCESS', `${image}: cannot be opened for writing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Where the FAT partition is mounted on the board: its vfat line in /etc/fstab, else Raspberry Pi OS bookworm's /boot/firmware. */
export function fatMountPoint(fstab: string | null): string {
  for (const line of (fstab ?? '').split('\n')) {
    const f = line.replace(/#.*/, '').trim().split(/\s+/);
    if (f.length >= 3 && f[2] === 'vfat' && f[1]!.startsWith('/')) return posix.normalize(f[1]!).replace(/(.)\/$/, '$1');
  }
  return '/boot/firmware';
}

/** The executable for `arch`: the one given (checked), else pfs-linux-<arch> in the release folders. */
async function findExe(o: ImageOptions, arch: Arch): Promise<{ path: string; data: Buffer; addon?: { name: string; data: Buffer } }> {
  const candidates = o.exe ? [o.exe] : o.releaseDirs.map((d) => join(d, `pfs-linux-${arch}`));
  let path: string | undefined;
  for (const c of candidates) {
    try {
      if ((await stat(c)).isFile()) {
        path = c;
        break;
      }
    } catch {
      /* next */
    }
  }
  if (!path) {
    throw refuse('PFS_ERR_IMAGE_EXE', o.exe ? `${o.exe}: no such executable` : `no pfs-linux-${arch} in ${o.releaseDirs.join(', ')}: run npm run release, or give --exe`);
  }
  const data = await readFile(path);
  if (elfArch(data) !== arch) throw refuse('PFS_ERR_IMAGE_EXE', `${path}: ${describeElf(data)}; this board runs ${arch} (give --exe dist/release/pfs-linux-${arch})`);
  const addonName = `pfs-native.linux-${addonArch(arch)}.node`;
  const addonData = await readFile(join(dirname(path), addonName)).catch(() => undefined);
  return { path, data, ...(addonData ? { addon: { name: addonName, data: addonData } } : {}) };
}

/** The folders and files a first boot of the board's `dir` flash makes, made here by the back-end itself in a scratch folder. */
async function flashTree(board: BoardProfile, scratch: string): Promise<Want[]> {
  const top = join(scratch, 'flash');
  const flash = new DirFlash(top);
  await flash.open();
  const out: Want[] = [{ kind: 'folder', path: board.flash.path, mode: 0o755 }];
  const walk = async (dir: string, at: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = posix.join(at, e.name);
      if (e.isDirectory()) {
        out.push({ kind: 'folder', path: p, mode: 0o755 });
        await walk(join(dir, e.name), p);
      } else out.push({ kind: 'file', path: p, data: await readFile(join(dir, e.name)), mode: 0o644 });
    }
  };
  await walk(top, board.flash.path);
  return out;
}

/** Every folder above `path`, outermost first, without `/`. */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  return parts.slice(0, -1).map((_, i) => '/' + parts.slice(0, i + 1).join('/'));
}

/** Blocks a file of `bytes` takes on ext4, with its extent tree, generously. */
const blocksFor = (bytes: number, bs: number) => Math.ceil(bytes / bs) + Math.ceil(bytes / bs / 340) + 1;

/**
 * Writes a board into `o.image` (see the file's opening comment and docs/INSTALL.md).
 * Refuses with one PfsError and nothing changed: PFS_ERR_IMAGE_ACCESS (missing,
 * read-only), PFS_ERR_IMAGE_FORMAT (not MBR with a FAT boot and an ext4 root),
 * PFS_ERR_IMAGE_SPACE (truncated, or no room), PFS_ERR_IMAGE_MODEL (a model without
 * PFS), PFS_ERR_MODEL (an unknown model), PFS_ERR_IMAGE_BOARD (a board whose files are
 * not on such an image), PFS_ERR_IMAGE_EXE (no executable for the board's CPU),
 * PFS_ERR_KEY (the trust key), PFS_ERR_IMAGE_TOOL (mtools or debugfs missing or failing).
 */
export async function writeImage(o: ImageOptions): Promise<ImageReport> {
  checkServer(o.tftp);
  const board = await loadBoard(o.boardsDir, o.board);
  const model = selectModel({ cli: o.model }, await loadModels(o.boardsDir)).profile;
  if (!model.pfs) throw refuse('PFS_ERR_IMAGE_MODEL', `${model.model} does not take part in Peer Firmware Sharing: pfs does not run on it (choose a PFS model, e.g. CP-7961G)`);
  if (board.flash.backend !== 'dir') throw refuse('PFS_ERR_IMAGE_BOARD', `board ${board.board} keeps its flash slots on ${board.flash.backend} partitions: pfs image writes boards whose slots are a folder`);
  for (const p of [board.bootConfig, board.trust, board.flash.path]) {
    if (!p.startsWith('/')) throw refuse('PFS_ERR_IMAGE_BOARD', `board ${board.board} lives in a folder (its ${p} is relative): pfs image writes real boards (rpi4, rpi3, rpi-zero2w)`);
  }
  const key = await readTrustKey(o.trust);
  await checkWritable(o.image);
  const layout: ImageLayout = await readLayout(o.image);

  const scratch = await mkdtemp(join(tmpdir(), 'pfs-image-'));
  try {
    const ext = new ExtVolume(o.image, layout.root.offset, scratch);
    const fat = new FatVolume(o.image, layout.boot.offset, join(scratch));

    // What the image says of itself: where the boot partition is mounted, and its CPU.
    const probe = await ext.stat(['/etc/fstab', '/usr/bin/env']);
    const fstab = probe.get('/etc/fstab')?.type === 'regular' ? (await ext.read(['/etc/fstab'])).get('/etc/fstab')!.toString('utf8') : null;
    const mount = fatMountPoint(fstab);
    if (!board.bootConfig.startsWith(`${mount}/`)) {
      throw refuse('PFS_ERR_IMAGE_BOARD', `board ${board.board}'s pfs.txt (${board.bootConfig}) is not on the boot partition, which the image mounts at ${mount}`);
    }
    let arch: Arch | undefined;
    if (probe.get('/usr/bin/env')?.type === 'regular') arch = elfArch((await ext.read(['/usr/bin/env'])).get('/usr/bin/env')!);
    arch ??= board.arch;
    if (!arch) throw refuse('PFS_ERR_IMAGE_EXE', `${o.image}: cannot tell its CPU (no /usr/bin/env) and board ${board.board} names none (arch)`);
    const exe = await findExe(o, arch);

    const consoleDev = o.console === undefined ? board.console.device : o.console.startsWith('/') ? o.console : `/dev/${o.console}`;
    const root: Want[] = [
      { kind: 'folder', path: dirname(EXE_PATH), mode: 0o755 },
      { kind: 'file', path: EXE_PATH, data: exe.data, mode: 0o755 },
      ...(exe.addon ? [{ kind: 'file' as const, path: posix.join(dirname(EXE_PATH), exe.addon.name), data: exe.addon.data, mode: 0o644 }] : []),
      { kind: 'folder', path: board.trust, mode: 0o755 },
      { kind: 'file', path: posix.join(board.trust, key.name), data: key.pem, mode: 0o644 },
      { kind: 'file', path: UNIT_PATH, data: Buffer.from(unitText(EXE_PATH)), mode: 0o644 },
      { kind: 'folder', path: dirname(WANTS_LINK), mode: 0o755 },
      { kind: 'link', path: WANTS_LINK, target: UNIT_PATH },
      // No login prompt on the console pfs logs to (masked, as systemctl mask would).
      ...consoleTtys(consoleDev)
        .filter((t) => !/^serial\d$/.test(t))
        .map((t): Want => ({ kind: 'link', path: `${UNIT_DIR}/serial-getty@${t}.service`, target: '/dev/null' })),
      ...(await flashTree(board, scratch)),
    ];

    // The root file system: what is there now, for every path and the folders above them.
    const paths = [...new Set([...root.flatMap((w) => [...ancestors(w.path), w.path])])];
    const now = await ext.stat(paths);
    const items: ImageItem[] = [];
    const changes: ExtChange[] = [];
    const made = new Set<string>();
    const mkdirs = (p: string) => {
      for (const a of ancestors(p)) {
        if (now.get(a) === null && !made.has(a)) {
          made.add(a);
          changes.push({ op: 'mkdir', path: a, mode: 0o755 });
        } else if (now.get(a) && now.get(a)!.type !== 'directory') {
          throw refuse('PFS_ERR_IMAGE_FORMAT', `${o.image}: ${a} on the root file system is not a folder`);
        }
      }
    };
    const sameFiles = root.filter((w) => w.kind === 'file' && now.get(w.path)?.type === 'regular' && now.get(w.path)!.size === w.data.length).map((w) => w.path);
    const current = await ext.read(sameFiles);
    for (const w of root) {
      const n: ExtNode | null | undefined = now.get(w.path);
      if (n && n.type === 'directory' && w.kind !== 'folder') throw refuse('PFS_ERR_IMAGE_FORMAT', `${o.image}: ${w.path} on the root file system is a folder`);
      if (n && n.type !== 'directory' && w.kind === 'folder') throw refuse('PFS_ERR_IMAGE_FORMAT', `${o.image}: ${w.path} on the root file system is not a folder`);
      mkdirs(w.path);
      let state: ImageItem['state'];
      if (w.kind === 'folder') {
        state = n || made.has(w.path) ? 'same' : 'new';
        if (state === 'new') {
          made.add(w.path);
          changes.push({ op: 'mkdir', path: w.path, mode: w.mode });
        }
        items.push({ partition: 'root', path: w.path, kind: 'folder', state });
      } else if (w.kind === 'file') {
        const same = n?.type === 'regular' && n.mode === w.mode && n.uid === 0 && n.gid === 0 && current.get(w.path)?.equals(w.data) === true;
        state = same ? 'same' : n ? 'changed' : 'new';
        if (!same) changes.push({ op: 'write', path: w.path, data: w.data, mode: w.mode, replace: !!n });
        items.push({ partition: 'root', path: w.path, kind: 'file', state, bytes: w.data.length });
      } else {
        const same = n?.type === 'symlink' && n.target === w.target;
        state = same ? 'same' : n ? 'changed' : 'new';
        if (!same) changes.push({ op: 'symlink', path: w.path, target: w.target, replace: !!n });
        items.push({ partition: 'root', path: w.path, kind: 'link', state, target: w.target });
      }
    }

    // The boot partition: pfs.txt, config.txt, cmdline.txt (edited only if the image has one).
    const listing = await fat.list();
    const rel = (p: string) => p.slice(mount.length);
    const boot: { path: string; next: (cur: string | null) => string | null }[] = [
      { path: rel(board.bootConfig), next: (cur) => pfsTxt(cur, { board: board.board, model: model.model, tftp: o.tftp, mac: o.mac, console: o.console === undefined ? undefined : consoleDev }) },
      { path: '/config.txt', next: configTxt },
      { path: '/cmdline.txt', next: (cur) => (cur === null ? null : cmdlineTxt(cur, consoleDev)) },
    ];
    const bootWrites: { path: string; data: Buffer }[] = [];
    for (const b of boot) {
      const cur = await fat.read(b.path, listing);
      const next = b.next(cur === null ? null : cur.toString('utf8'));
      if (next === null) continue;
      const data = Buffer.from(next);
      const state = cur === null ? 'new' : cur.equals(data) ? 'same' : 'changed';
      if (state !== 'same') bootWrites.push({ path: b.path, data });
      items.push({ partition: 'boot', path: b.path, kind: 'file', state, bytes: data.length });
    }

    // Room for it all, before anything is written.
    const bs = layout.rootSpace.blockSize;
    const blocks = changes.reduce((n, c) => n + (c.op === 'write' ? blocksFor(c.data.length, bs) : c.op === 'mkdir' ? 1 : 0), 0);
    const inodes = changes.filter((c) => !('replace' in c) || !c.replace).length;
    if (blocks > layout.rootSpace.freeBlocks || inodes > layout.rootSpace.freeInodes) {
      throw refuse('PFS_ERR_IMAGE_SPACE', `${o.image}: too small: the root partition has ${layout.rootSpace.freeBlocks * bs} bytes and ${layout.rootSpace.freeInodes} inodes free, pfs needs ${blocks * bs} bytes and ${inodes} (grow the partition first)`);
    }
    if (bootWrites.length > 0) {
      const need = bootWrites.reduce((n, w) => n + Math.ceil((w.data.length + 1) / 32768) * 32768, 0);
      const free = await fat.freeBytes();
      if (need > free) throw refuse('PFS_ERR_IMAGE_SPACE', `${o.image}: too small: the boot partition has ${free} bytes free, pfs needs ${need}`);
    }

    const written = !o.dryRun && (changes.length > 0 || bootWrites.length > 0);
    if (!o.dryRun) {
      await ext.apply(changes);
      for (const w of bootWrites) await fat.write(w.path, w.data, listing);
    }
    return { image: o.image, arch, exe: exe.path, items, written };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

