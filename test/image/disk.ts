// Small Raspberry Pi OS-style disk images made from scratch for the pfs image tests
// (sfdisk, mkfs.vfat, mkfs.ext4 -d), and the programs that read them back.
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { findProgram } from '../helpers';

const PROGRAMS = ['sfdisk', 'mkfs.vfat', 'mkfs.ext4', 'mcopy', 'mdir', 'debugfs', 'e2fsck', 'systemd-analyze'];

/** What this machine lacks to build and read images (undefined: nothing). */
export function missingImageTools(): string | undefined {
  const gone = PROGRAMS.filter((p) => !findProgram(p));
  return gone.length ? `${gone.join(', ')} not found (Debian's fdisk, dosfstools, e2fsprogs, mtools, systemd; "bash .ci/run" installs them)` : undefined;
}

const MiB = 1 << 20;
const ENV = { ...process.env, LC_ALL: 'C', MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null', DEBUGFS_PAGER: '__none__' };
const run = (prog: string, args: string[], input?: string) => execFileSync(findProgram(prog) ?? prog, args, { env: ENV, input, stdio: ['pipe', 'pipe', 'pipe'] });

export interface DiskSpec {
  /** Boot (FAT) and root (ext4) partition sizes, MiB. */
  bootMiB?: number;
  rootMiB?: number;
  /** Files on the boot partition by name. */
  boot?: Record<string, string>;
  /** Files on the root file system by absolute path. */
  root?: Record<string, string | Buffer>;
  /** Partition type of the second partition (default 0x83) and whether it holds ext4 or FAT. */
  rootAs?: 'ext4' | 'fat';
}

export interface Disk {
  path: string;
  boot: { offset: number };
  root: { offset: number };
}

/** A Raspberry Pi OS bookworm-like image: fstab mounting the FAT partition at /boot/firmware, config.txt, cmdline.txt with a serial console. */
export function makeDisk(dir: string, spec: DiskSpec = {}): Disk {
  const bootMiB = spec.bootMiB ?? 8;
  const rootMiB = spec.rootMiB ?? 12;
  const path = join(dir, 'disk.img');
  const bootStart = 2048;
  const rootStart = bootStart + bootMiB * 2048;
  const fd = openSync(path, 'w');
  ftruncateSync(fd, (1 + bootMiB + rootMiB) * MiB);
  closeSync(fd);
  run('sfdisk', ['-q', path], `label: dos\nstart=${bootStart}, size=${bootMiB * 2048}, type=c\nstart=${rootStart}, type=83\n`);

  const bootFs = join(dir, 'boot.fat');
  run('mkfs.vfat', ['-C', bootFs, String(bootMiB * 1024)]);
  const bootFiles = spec.boot ?? {
    'config.txt': 'dtparam=audio=on\n[pi4]\narm_boost=1\n',
    'cmdline.txt': 'console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait\n',
  };
  for (const [name, text] of Object.entries(bootFiles)) {
    const f = join(dir, `in-${name}`);
    writeFileSync(f, text);
    run('mcopy', ['-i', bootFs, f, `::/${name}`]);
  }

  const tree = join(dir, 'rootfs');
  const rootFiles = spec.root ?? { '/etc/fstab': 'proc /proc proc defaults 0 0\nPARTUUID=6c586e13-01 /boot/firmware vfat defaults 0 2\nPARTUUID=6c586e13-02 / ext4 defaults,noatime 0 1\n' };
  mkdirSync(join(tree, 'boot', 'firmware'), { recursive: true });
  for (const [p, data] of Object.entries(rootFiles)) {
    mkdirSync(dirname(join(tree, p)), { recursive: true });
    writeFileSync(join(tree, p), data);
  }
  const rootFs = join(dir, 'root.fs');
  if (spec.rootAs === 'fat') run('mkfs.vfat', ['-C', rootFs, String(rootMiB * 1024)]);
  else run('mkfs.ext4', ['-q', '-F', '-d', tree, rootFs, `${rootMiB * 1024}k`]);

  const out = openSync(path, 'r+');
  writeSync(out, readFileSync(bootFs), 0, undefined, bootStart * 512);
  writeSync(out, readFileSync(rootFs), 0, undefined, rootStart * 512);
  closeSync(out);
  return { path, boot: { offset: bootStart * 512 }, root: { offset: rootStart * 512 } };
}

/** A file that starts as an ELF executable for `machine` (0xb7 aarch64, 0x28 ARM, 0x3e x86-64), then random bytes. */
export function fakeElf(path: string, machine: number, bytes = 200_000): Buffer {
  const h = Buffer.alloc(64);
  h.write('\x7fELF', 0, 'latin1');
  h[4] = machine === 0x28 ? 1 : 2;
  h[5] = 1;
  h[6] = 1;
  h.writeUInt16LE(2, 16);
  h.writeUInt16LE(machine, 18);
  const data = Buffer.concat([h, randomBytes(bytes - 64)]);
  writeFileSync(path, data, { mode: 0o755 });
  return data;
}

/** SHA-256 of a file: "the image is unchanged". */
export const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** A file from the FAT partition, read back with mtools (null when absent). */
export function fatRead(d: Disk, name: string, scratch: string): Buffer | null {
  const out = join(scratch, `back-${name.replace(/\W/g, '_')}`);
  try {
    run('mcopy', ['-n', '-i', `${d.path}@@${d.boot.offset}`, `::${name}`, out]);
  } catch {
    return null;
  }
  return readFileSync(out);
}

/** A file from the ext4 root, read back with debugfs, with its type, mode, owner and link target. */
export function extRead(d: Disk, path: string, scratch: string): { type: string; mode: number; uid: number; target?: string; data?: Buffer } | null {
  const dev = `${d.path}?offset=${d.root.offset}`;
  const stat = run('debugfs', ['-R', `stat ${path}`, dev]).toString();
  const m = /Type: (\w+)\s+Mode:\s+(\d+)/.exec(stat);
  if (!m) return null;
  const uid = Number(/User:\s+(\d+)/.exec(stat)?.[1]);
  const link = /Fast link dest: "(.*)"/.exec(stat)?.[1];
  let data: Buffer | undefined;
  if (m[1] === 'regular') {
    const out = join(scratch, `back-${path.replace(/\W/g, '_')}`);
    run('debugfs', ['-R', `dump ${path} ${out}`, dev]);
    data = readFileSync(out);
  }
  return { type: m[1]!, mode: parseInt(m[2]!, 8), uid, ...(link !== undefined ? { target: link } : {}), ...(data ? { data } : {}) };
}

/** e2fsck -fn's verdict on the root file system: '' when clean, its complaints otherwise. */
export function fsckRoot(d: Disk): string {
  try {
    run('e2fsck', ['-fn', `${d.path}?offset=${d.root.offset}`]);
    return '';
  } catch (e) {
    return String((e as { stdout?: Buffer }).stdout ?? e);
  }
}

export { run as runProgram };
