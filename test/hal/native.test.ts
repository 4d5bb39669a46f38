// The native addon (native/): every call against what a machine without the hardware
// has (a regular file, a bad fd, a pseudo-terminal), the argument checks, the loader
// inside the CJS bundle, and build.mjs's messages. CI builds the addon through
// `npm ci`; elsewhere, without a compiler, these tests are skipped (under CI they fail).
// Real devices are used only when named: PFS_TEST_FB=/dev/fb0, PFS_TEST_MTD=/dev/mtdN
// (it is erased!), or an mtdram test device, found by its name in /sys/class/mtd.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { suite, type Callback } from 'uvu';
import * as assert from 'uvu/assert';
import { addonFileName, loadNative, nativeStatus, type PfsNative } from '../../src/hal/native';
import { anyMissing, missingProgram, programPath, testIf, testOptional } from '../helpers/index';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PAGE = 4096;

const native = loadNative();
// CI builds the addon through npm ci: missing there is a failure, elsewhere a skip.
const missingAddon = native
  ? undefined
  : (() => {
      const { tried, error } = nativeStatus();
      return `the native addon is not built (looked in ${tried.join(', ')}${error ? `: ${(error as Error).message}` : ''}; npm run build:native builds it)`;
    })();

/** The error `fn` throws, or a failure. */
function thrown(fn: () => unknown): Error & { code?: string; path?: string; errno?: number; syscall?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  assert.unreachable('expected a throw');
  throw new Error('unreachable');
}

function assertErrno(e: ReturnType<typeof thrown>, code: string, path: string, op: string): void {
  assert.instance(e, Error);
  assert.is(e.code, code, e.message);
  assert.is(e.path, path);
  assert.is(e.syscall, op);
  assert.type(e.errno, 'number');
  assert.ok(e.errno! < 0);
  assert.ok(e.message.startsWith(`${op} ${path}: ${code} (`), e.message);
}

const n = native as PfsNative;
type Ctx = { dir: string; file: string; fd: number };
const t = suite<Ctx>('native addon', { dir: '', file: '', fd: -1 });
/** A test of the addon: skipped where it is not built, failing under CI. */
const nt = (name: string, fn: Callback<Ctx>, missing = missingAddon) => testIf(missing, name, fn, t);

t.before.each((ctx) => {
  ctx.dir = mkdtempSync(join(tmpdir(), 'pfs-native-'));
  ctx.file = join(ctx.dir, 'plain.bin');
  writeFileSync(ctx.file, Buffer.alloc(3 * PAGE));
  ctx.fd = openSync(ctx.file, 'r+');
});
t.after.each((ctx) => {
  if (ctx.fd >= 0) closeSync(ctx.fd);
  rmSync(ctx.dir, { recursive: true, force: true });
});

nt('exports every function of PfsNative', () => {
  for (const f of ['fbInfo', 'mmap', 'msync', 'mtdInfo', 'mtdErase', 'mtdIsBad', 'gpioRequestOutputs', 'gpioSetValues', 'i2cSetAddress', 'setBaud', 'startWriteback'])
    assert.type((n as unknown as Record<string, unknown>)[f], 'function', f);
});

nt('mmap of a file: writes through the Buffer reach the file, and the file’s bytes show in the Buffer', ({ file, fd }) => {
  const m = n.mmap(fd, file, 3 * PAGE);
  assert.instance(m, Buffer);
  assert.is(m.length, 3 * PAGE);
  m.write('pfs-frame', 100);
  m[3 * PAGE - 1] = 0xa5;
  n.msync!(m, file);
  n.msync!(m.subarray(5000, 5001), file);
  const back = readFileSync(file);
  assert.is(back.subarray(100, 109).toString(), 'pfs-frame');
  assert.is(back[3 * PAGE - 1], 0xa5);
  writeSync(fd, Buffer.from('from-fs'), 0, 7, 2 * PAGE);
  assert.is(m.subarray(2 * PAGE, 2 * PAGE + 7).toString(), 'from-fs');
});

nt('mmap at an offset maps the file from there', ({ file, fd }) => {
  writeSync(fd, Buffer.from('second page'), 0, 11, PAGE);
  const m = n.mmap(fd, file, PAGE, PAGE);
  assert.is(m.length, PAGE);
  assert.is(m.subarray(0, 11).toString(), 'second page');
  m.write('PAGE2', 0);
  fsyncSync(fd);
  const b = Buffer.alloc(5);
  readSync(fd, b, 0, 5, PAGE);
  assert.is(b.toString(), 'PAGE2');
  // The last page alone, with an explicit zero offset spelled out too.
  assert.is(n.mmap(fd, file, PAGE, 2 * PAGE).length, PAGE);
  assert.is(n.mmap(fd, file, 1, 0).length, 1);
});

nt('mmap checks length and offset, and never maps past the end of a file', ({ file, fd }) => {
  const past = thrown(() => n.mmap(fd, file, 3 * PAGE + 1));
  assert.instance(past, RangeError);
  assert.match(past.message, file);
  assert.match(past.message, /past the end of the file \(12288 bytes\)/);
  assert.instance(thrown(() => n.mmap(fd, file, PAGE, 3 * PAGE)), RangeError);
  const unaligned = thrown(() => n.mmap(fd, file, 10, 100));
  assert.instance(unaligned, RangeError);
  assert.match(unaligned.message, /multiple of the page size/);
  for (const len of [0, -1, 1.5, NaN, Infinity, 2 ** 60]) assert.instance(thrown(() => n.mmap(fd, file, len)), RangeError, String(len));
  assert.instance(thrown(() => n.mmap(fd, file, PAGE, -PAGE)), RangeError);
  assert.instance(thrown(() => n.mmap(fd, file, '10' as unknown as number)), TypeError);
  assert.is(thrown(() => n.mmap(fd, file, undefined as unknown as number)).code, 'ERR_INVALID_ARG_TYPE');
});

nt('mmap of a read-only fd is EACCES with the path; msync takes any Buffer and nothing else', ({ file }) => {
  const ro = openSync(file, 'r');
  try {
    assertErrno(thrown(() => n.mmap(ro, file, PAGE)), 'EACCES', file, 'mmap');
  } finally {
    closeSync(ro);
  }
  // An ordinary Buffer lies in anonymous memory: msync has nothing to write back.
  n.msync!(Buffer.alloc(4 * PAGE).subarray(PAGE, 2 * PAGE), file);
  n.msync!(Buffer.alloc(0), file);
  assert.instance(thrown(() => n.msync!('x' as unknown as Buffer, file)), TypeError);
});

nt('every ioctl on a regular file is ENOTTY, with the operation and the path in the message', ({ file, fd }) => {
  assertErrno(thrown(() => n.fbInfo(fd, file)), 'ENOTTY', file, 'FBIOGET_VSCREENINFO');
  assertErrno(thrown(() => n.mtdInfo(fd, file)), 'ENOTTY', file, 'MEMGETINFO');
  assertErrno(thrown(() => n.mtdErase(fd, file, 0, PAGE)), 'ENOTTY', file, 'MEMERASE');
  assertErrno(thrown(() => n.mtdErase(fd, file, 2 ** 32, 2 ** 16)), 'ENOTTY', file, 'MEMERASE64');
  assertErrno(thrown(() => n.mtdIsBad(fd, file, 0)), 'ENOTTY', file, 'MEMGETBADBLOCK');
  assertErrno(thrown(() => n.gpioRequestOutputs(fd, file, [17, 27], 'pfs', [1, 0])), 'ENOTTY', file, 'GPIO_V2_GET_LINE_IOCTL');
  assertErrno(thrown(() => n.gpioSetValues(fd, file, [1])), 'ENOTTY', file, 'GPIO_V2_LINE_SET_VALUES_IOCTL');
  assertErrno(thrown(() => n.i2cSetAddress(fd, file, 0x3c)), 'ENOTTY', file, 'I2C_SLAVE');
  assertErrno(thrown(() => n.setBaud(fd, file, 115200)), 'ENOTTY', file, 'tcgetattr');
});

nt('startWriteback on a file with dirty pages resolves; on a bad fd it rejects with EBADF, and bad arguments throw', async ({ file, fd }) => {
  writeSync(fd, Buffer.alloc(2 * PAGE, 0x5a), 0, 2 * PAGE, 0);
  assert.is(await n.startWriteback!(fd, file, 0, 0), undefined);
  assert.is(await n.startWriteback!(fd, file, PAGE, PAGE), undefined);
  const e = await n.startWriteback!(999_999, '/flash/slotB/apps.sbn', 0, 0).then(
    () => assert.unreachable('a bad fd resolved'),
    (x: ReturnType<typeof thrown>) => x,
  );
  assertErrno(e!, 'EBADF', '/flash/slotB/apps.sbn', 'sync_file_range');
  const range = thrown(() => n.startWriteback!(fd, file, -1, 0));
  assert.instance(range, RangeError);
  assert.match(range.message, /startWriteback\(\): offset must be in/);
});

nt('a closed or never-opened fd is EBADF', ({ file }) => {
  const bad = 999_999;
  assertErrno(thrown(() => n.fbInfo(bad, '/dev/fb0')), 'EBADF', '/dev/fb0', 'FBIOGET_VSCREENINFO');
  assertErrno(thrown(() => n.mmap(bad, '/dev/fb0', PAGE)), 'EBADF', '/dev/fb0', 'mmap');
  assertErrno(thrown(() => n.mtdInfo(bad, '/dev/mtd3')), 'EBADF', '/dev/mtd3', 'MEMGETINFO');
  assertErrno(thrown(() => n.gpioSetValues(bad, '/dev/gpiochip0', [0])), 'EBADF', '/dev/gpiochip0', 'GPIO_V2_LINE_SET_VALUES_IOCTL');
  assertErrno(thrown(() => n.setBaud(bad, '/dev/ttyS0', 9600)), 'EBADF', '/dev/ttyS0', 'tcgetattr');
  const fd = openSync(file, 'r');
  closeSync(fd);
  assertErrno(thrown(() => n.i2cSetAddress(fd, '/dev/i2c-1', 0x3c)), 'EBADF', '/dev/i2c-1', 'I2C_SLAVE');
});

nt('bad arguments are TypeError / RangeError with Node’s codes, and the process lives on', ({ file, fd }) => {
  const type = (f: () => unknown, what: RegExp) => {
    const e = thrown(f);
    assert.instance(e, TypeError, e.message);
    assert.is(e.code, 'ERR_INVALID_ARG_TYPE');
    assert.match(e.message, what);
  };
  const range = (f: () => unknown, what: RegExp) => {
    const e = thrown(f);
    assert.instance(e, RangeError, e.message);
    assert.is(e.code, 'ERR_OUT_OF_RANGE');
    assert.match(e.message, what);
  };
  const any = n as unknown as Record<string, (...a: unknown[]) => unknown>;
  type(() => any.fbInfo!('3', file), /fbInfo\(\): fd must be a number, got a string/);
  type(() => any.fbInfo!(), /fd must be a number, got undefined/);
  type(() => any.mtdInfo!(fd), /mtdInfo\(\): path must be a string, got undefined/);
  type(() => any.setBaud!(null, file, 9600), /got null/);
  range(() => n.fbInfo(-1, file), /fd must be in \[0, 2147483647\], got -1/);
  range(() => n.fbInfo(1.5, file), /fd must be an integer/);
  range(() => n.mtdErase(fd, file, 0, -4096), /length must be in/);
  range(() => n.mtdErase(fd, file, -1, 4096), /offset must be in/);
  range(() => n.mtdIsBad(fd, file, -1), /offset/);
  type(() => any.gpioRequestOutputs!(fd, file, 17, 'pfs', [1]), /offsets must be an array, got a number/);
  type(() => any.gpioRequestOutputs!(fd, file, [17], 5, [1]), /consumer must be a string/);
  type(() => any.gpioRequestOutputs!(fd, file, ['17'], 'pfs', [1]), /offsets\[0\] must be a number/);
  range(() => n.gpioRequestOutputs(fd, file, [], 'pfs', []), /at least one line/);
  range(() => n.gpioRequestOutputs(fd, file, [1, 2], 'pfs', [1]), /one entry per offset \(2\), got 1/);
  range(() => n.gpioRequestOutputs(fd, file, [1], 'pfs', [2]), /values\[0\] must be in \[0, 1\]/);
  range(() => n.gpioRequestOutputs(fd, file, Array.from({ length: 65 }, (_, i) => i), 'pfs', Array(65).fill(0)), /at most 64/);
  range(() => n.gpioSetValues(fd, file, []), /at least one line/);
  range(() => n.i2cSetAddress(fd, file, 0x80), /address must be in \[0, 127\]/);
  range(() => n.setBaud(fd, file, 12345), /12345 is not a standard baud rate/);
  range(() => n.setBaud(fd, file, 0), /baud/);
  // Booleans are accepted as line values; the ioctl then fails as it should.
  assert.is(thrown(() => n.gpioSetValues(fd, file, [true, false] as unknown as number[])).code, 'ENOTTY');
});

// `script` (util-linux) runs a child on a fresh pty: its stdin is the terminal.
nt('setBaud on a pseudo-terminal: raw 8N1 at the speed asked for, as stty reads it back', () => {
  const child = [
    `const n = require(${JSON.stringify(nativeStatus().path)});`,
    `const { execFileSync } = require('node:child_process');`,
    `const stty = (...a) => execFileSync('stty', a, { stdio: [0, 'pipe', 'inherit'] }).toString();`,
    `n.setBaud(0, '/dev/stdin', 115200); let out = 'A ' + stty('-a');`,
    `n.setBaud(0, '/dev/stdin', 9600); out += 'B ' + stty('speed');`,
    `process.stdout.write(out);`,
  ].join('\n');
  const r = spawnSync(programPath('script'), ['-qec', `${process.execPath} -e ${shellQuote(child)}`, '/dev/null'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  const [a, b] = r.stdout.split(/\r?\nB /);
  assert.match(a!, /speed 115200 baud/);
  for (const flag of ['cs8', '-parenb', '-cstopb', 'cread', 'clocal', '-crtscts', '-icanon', '-echo', '-isig', '-icrnl', '-ixon', '-opost', 'min = 1', 'time = 0'])
    assert.ok(a!.split(/[\s;]+/).includes(flag) || a!.includes(flag), `stty lacks ${flag}:\n${a}`);
  assert.is(b!.trim(), '9600');
}, anyMissing(missingAddon, missingProgram('script', 'stty')));

nt('the CJS bundle finds the addon beside itself, also started through a symlink, and says where it looked when it is not there', async () => {
  const loaded = nativeStatus().path!;
  const work = mkdtempSync(join(tmpdir(), 'pfs-native-bundle-'));
  try {
    const entry = join(work, 'entry.ts');
    const nativeTs = join(repo, 'src', 'hal', 'native.ts');
    writeFileSync(
      entry,
      `import { nativeStatus, requireNative } from ${JSON.stringify(nativeTs)};\n` +
        `const s = nativeStatus();\n` +
        `let error = '';\n` +
        `try { requireNative('display back-end fbdev'); } catch (e) { error = (e as Error).message; }\n` +
        `console.log(JSON.stringify({ path: s.path ?? null, tried: s.tried, error }));\n`,
    );
    const bundleDir = join(work, 'opt', 'pfs');
    mkdirSync(bundleDir, { recursive: true });
    const bundle = join(bundleDir, 'pfs.cjs');
    const { rollup } = await import('rollup');
    const config = (await import(pathToFileURL(join(repo, 'rollup.config.mjs')).href)).default;
    const build = await rollup({ ...config, input: entry, onwarn: () => {} });
    await build.write({ ...config.output, file: bundle });
    await build.close();

    const run = (script: string) => {
      const r = spawnSync(process.execPath, [script], { cwd: work, encoding: 'utf8', timeout: 20_000 });
      assert.is(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { path: string | null; tried: string[]; error: string };
    };
    const none = run(bundle);
    assert.is(none.path, null);
    assert.is(none.tried[0], join(realpathSync(bundleDir), addonFileName()));
    assert.match(none.error, `display back-end fbdev needs the native addon ${addonFileName()}`);
    assert.match(none.error, 'npm run build:native');

    copyFileSync(loaded, join(bundleDir, addonFileName()));
    assert.is(run(bundle).path, join(realpathSync(bundleDir), addonFileName()));
    mkdirSync(join(work, 'bin'));
    symlinkSync(bundle, join(work, 'bin', 'pfs'));
    const viaLink = run(join(work, 'bin', 'pfs'));
    assert.is(viaLink.path, join(realpathSync(bundleDir), addonFileName()));
    assert.is(viaLink.error, '');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

// Real devices only when named (or an mtdram test device): skipped elsewhere, CI included.
const mtd = mtdTestDevice();
const noMtd = mtd ? undefined : 'no MTD test device (no mtdram in /sys/class/mtd, PFS_TEST_MTD unset): the MTD success path is not exercised here';
testOptional(anyMissing(missingAddon, noMtd), `an MTD device (${mtd ?? 'PFS_TEST_MTD'}): info, erase to 0xff, bad-block query`, () => {
  const dev = mtd!;
  const fd = openSync(dev, 'r+');
  try {
    const info = n.mtdInfo(fd, dev);
    assert.ok(info.size > 0 && info.eraseSize > 0 && info.size % info.eraseSize === 0, JSON.stringify(info));
    const block = Buffer.alloc(info.eraseSize, 0x5a);
    writeSync(fd, Buffer.alloc(info.writeSize || 1, 0x00), 0, info.writeSize || 1, 0);
    n.mtdErase(fd, dev, 0, info.eraseSize);
    readSync(fd, block, 0, block.length, 0);
    assert.ok(block.every((x) => x === 0xff), 'the erased block reads 0xff');
    assert.is(n.mtdIsBad(fd, dev, 0), false);
    assert.is(thrown(() => n.mtdErase(fd, dev, 1, info.eraseSize)).code, 'EINVAL');
  } finally {
    closeSync(fd);
  }
}, t);

const fb = process.env.PFS_TEST_FB;
const noFb = fb ? undefined : 'no framebuffer named (PFS_TEST_FB unset)';
testOptional(anyMissing(missingAddon, noFb), `a framebuffer (${fb ?? 'PFS_TEST_FB'}): geometry, and a mapping of its memory`, () => {
  const dev = fb!;
  const fd = openSync(dev, 'r+');
  try {
    const info = n.fbInfo(fd, dev);
    assert.ok(info.xres > 0 && info.yres > 0 && info.lineLength >= (info.xres * info.bitsPerPixel) / 8, JSON.stringify(info));
    const m = n.mmap(fd, dev, info.smemLen);
    assert.is(m.length, info.smemLen);
  } finally {
    closeSync(fd);
  }
}, t);

/** PFS_TEST_MTD, or an mtdram device ("mtdram test device"): memory, safe to erase. */
function mtdTestDevice(): string | undefined {
  if (process.env.PFS_TEST_MTD) return process.env.PFS_TEST_MTD;
  const sys = '/sys/class/mtd';
  if (!existsSync(sys)) return undefined;
  for (const d of readdirSync(sys)) {
    if (!/^mtd\d+$/.test(d)) continue;
    try {
      if (readFileSync(join(sys, d, 'name'), 'utf8').trim() === 'mtdram test device' && existsSync(`/dev/${d}`)) return `/dev/${d}`;
    } catch {
      // not readable: not ours
    }
  }
  return undefined;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

t('build.mjs --if-possible warns and succeeds where there is no compiler', () => {
  const r = spawnSync(process.execPath, [join(repo, 'native', 'build.mjs'), '--if-possible'], {
    encoding: 'utf8',
    env: { ...process.env, CXX: '/nonexistent/g++', PFS_SKIP_NATIVE: '' },
    timeout: 20_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /WARNING: the native addon was not built: a C\+\+ compiler \(g\+\+\) not found: apt-get install g\+\+ make python3/);
  assert.match(r.stderr, /npm run build:native/);
});

t('build.mjs --arch names the Debian package of a missing cross compiler, and fails', () => {
  const cross = [
    ['x64', 'x64', 'g++-x86-64-linux-gnu'],
    ['arm64', 'arm64', 'g++-aarch64-linux-gnu'],
    ['armv7', 'arm', 'g++-arm-linux-gnueabihf'],
  ].filter(([, nodeArch]) => nodeArch !== process.arch);
  assert.is(cross.length, 2);
  for (const [arch, , pkg] of cross) {
    const r = spawnSync(process.execPath, [join(repo, 'native', 'build.mjs'), '--arch', arch!], {
      encoding: 'utf8',
      env: { ...process.env, PATH: '/nonexistent' },
      timeout: 20_000,
    });
    assert.is(r.status, 1, r.stdout);
    assert.match(r.stderr, `apt-get install ${pkg}`);
  }
  const bad = spawnSync(process.execPath, [join(repo, 'native', 'build.mjs'), '--arch', 'sparc'], { encoding: 'utf8', timeout: 20_000 });
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /unknown --arch sparc: one of x64, arm64, armv7/);
});

t.run();
