import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PfsError } from '../errors';
import { isSingleExecutable, startedFile } from '../io/self';

/**
 * The native addon (`native/`, node-addon-api): only what JavaScript cannot do on
 * Linux. Every call takes the open file descriptor and the device's path; the path
 * is only for the message of the error it throws, which reads
 * `"<op> <path>: <ERRNO_NAME> (<strerror>)"` and carries `code` = the errno name
 * (`ENOTTY`, `EIO`, …) and `path`.
 */
export interface PfsNative {
  /** FBIOGET_VSCREENINFO + FBIOGET_FSCREENINFO. */
  fbInfo(fd: number, path: string): FbInfo;
  /**
   * mmap(MAP_SHARED, PROT_READ|PROT_WRITE) of `length` bytes at `offset` (a multiple
   * of the page size): writes reach the device (or file). The Buffer lies over the
   * mapping and is unmapped when it is garbage-collected: keep it (or a view of it)
   * referenced for as long as you draw. On a regular file, offset + length past its
   * end is a RangeError (touching such a page would kill the process with SIGBUS).
   */
  mmap(fd: number, path: string, length: number, offset?: number): Buffer;
  /** msync(MS_SYNC) of the pages under a Buffer from mmap() (or a view of one). Optional: fakes may leave it out. */
  msync?(buffer: Uint8Array, path: string): void;
  /** MEMGETINFO. */
  mtdInfo(fd: number, path: string): MtdInfo;
  /** MEMERASE of [offset, offset+length): both multiples of the erase size. */
  mtdErase(fd: number, path: string, offset: number, length: number): void;
  /** MEMGETBADBLOCK: whether the erase block at `offset` is marked bad (NAND). */
  mtdIsBad(fd: number, path: string, offset: number): boolean;
  /** GPIO_V2_GET_LINE_IOCTL on a gpiochip: the lines as outputs with initial values; returns the line request's fd. */
  gpioRequestOutputs(chipFd: number, path: string, offsets: number[], consumer: string, values: number[]): number;
  /** GPIO_V2_LINE_SET_VALUES_IOCTL on a line request fd; `values[i]` for the i-th requested line. */
  gpioSetValues(lineFd: number, path: string, values: number[]): void;
  /** I2C_SLAVE: the address the following read()/write() talk to. */
  i2cSetAddress(fd: number, path: string, address: number): void;
  /** termios: raw 8N1 at `baud` on a TTY. */
  setBaud(fd: number, path: string, baud: number): void;
  /**
   * sync_file_range(SYNC_FILE_RANGE_WRITE) on the thread pool: the kernel starts
   * writing the dirty pages of [offset, offset + length) (length 0: to the end) and
   * the promise settles once it has, not once they are on the medium. Optional: an
   * addon built before it, and fakes, leave it out.
   */
  startWriteback?(fd: number, path: string, offset: number, length: number): Promise<void>;
}

export interface FbInfo {
  xres: number;
  yres: number;
  xresVirtual: number;
  yresVirtual: number;
  bitsPerPixel: number;
  /** Bytes per line (FSCREENINFO line_length). */
  lineLength: number;
  /** Bytes of framebuffer memory (smem_len). */
  smemLen: number;
  red: { offset: number; length: number };
  green: { offset: number; length: number };
  blue: { offset: number; length: number };
  transp: { offset: number; length: number };
}

export interface MtdInfo {
  /** MTD_NORFLASH 3, MTD_NANDFLASH 4, MTD_RAM 1, … */
  type: number;
  flags: number;
  size: number;
  eraseSize: number;
  writeSize: number;
  oobSize: number;
}

export class NativeUnavailableError extends PfsError {
  constructor(feature: string, tried: string[], cause?: unknown) {
    super(
      'PFS_ERR_NATIVE',
      `${feature} needs the native addon ${addonFileName()}, which is not usable here (looked in ${tried.join(', ')})` +
        (cause ? `: ${(cause as Error).message}` : '') +
        '; build it with `npm run build:native`, or choose a back-end that needs no addon',
      { cause },
    );
  }
}

/** `pfs-native.linux-arm64.node`: the addon for this platform, beside the bundle. */
export function addonFileName(platform: string = process.platform, arch: string = process.arch): string {
  return `pfs-native.${platform}-${arch}.node`;
}

/** The key of the addon inside a release executable (a SEA asset, scripts/release.mjs). */
export const ADDON_ASSET = 'pfs-native.node';

/** How the addon inside a single executable is named in `tried` lists and messages. */
const INSIDE = '(inside the executable)';

/**
 * Where the addon is looked for. A single executable: inside itself (where its Node
 * has SEA assets), then beside itself. Otherwise: beside the bundle (the folder of
 * this code once bundled, which Node gives with symlinks resolved, so an npm `bin`
 * link works), beside the script that was started, then this checkout's dist/ and
 * native/build.
 */
export function addonCandidates(): string[] {
  const name = addonFileName();
  if (isSingleExecutable()) return [INSIDE, join(dirname(process.execPath), name)];
  const self = dirname(fileURLToPath(import.meta.url));
  const here = dirname(startedFile());
  const repo = resolve(self, '..', '..');
  const list = [
    join(self, name),
    join(here, name),
    join(here, 'native', name),
    join(repo, 'dist', name),
    join(repo, 'native', 'build', 'Release', 'pfs_native.node'),
  ];
  return [...new Set(list)];
}

let cached: { native?: PfsNative; path?: string; error?: unknown; tried: string[] } | undefined;

/** The addon, or undefined where it is missing (the back-ends that need it say so at start). */
export function loadNative(): PfsNative | undefined {
  if (!cached) {
    const tried = addonCandidates();
    cached = { tried };
    const req = createRequire(import.meta.url);
    for (const p of tried) {
      if (p !== INSIDE && !existsSync(p)) continue;
      try {
        if (p === INSIDE) {
          const n = loadEmbedded();
          if (!n) continue;
          cached.native = n;
        } else cached.native = req(p) as PfsNative;
        cached.path = p;
        break;
      } catch (e) {
        cached.error = e;
      }
    }
  }
  return cached.native;
}

/**
 * The addon a release executable carries as a SEA asset: written to a private
 * folder, loaded, and removed at once (Linux keeps a loaded library mapped), so
 * nothing is left behind and no other user can put a file where it is loaded from.
 * Undefined where there is none (Node before 20.12 has no assets: armv7).
 */
function loadEmbedded(): PfsNative | undefined {
  const req = createRequire(import.meta.url);
  let sea: { getAsset?(key: string): ArrayBuffer } | undefined;
  try {
    sea = req('node:sea') as typeof sea;
  } catch {
    return undefined;
  }
  let bytes: ArrayBuffer;
  try {
    bytes = sea!.getAsset!(ADDON_ASSET);
  } catch {
    return undefined; // no such asset (a release built without the addon), or no getAsset
  }
  const dir = mkdtempSync(join(tmpdir(), 'pfs-native-'));
  try {
    const file = join(dir, addonFileName());
    writeFileSync(file, new Uint8Array(bytes), { mode: 0o500 });
    const mod = { exports: {} as PfsNative };
    process.dlopen(mod, file);
    return mod.exports;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** For diagnostics: the file the addon was loaded from (or undefined), the places tried, and the last load error. */
export function nativeStatus(): { path?: string; tried: string[]; error?: unknown } {
  loadNative();
  const { path, tried, error } = cached!;
  return { path, tried, error };
}

/** The addon, or a NativeUnavailableError naming `feature` (e.g. `display back-end fbdev`). */
export function requireNative(feature: string): PfsNative {
  const n = loadNative();
  if (!n) throw new NativeUnavailableError(feature, cached!.tried, cached!.error);
  return n;
}
