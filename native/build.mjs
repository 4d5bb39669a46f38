#!/usr/bin/env node
// Builds the native addon with node-gyp and puts it where the bundle looks for it:
// dist/pfs-native.linux-<arch>.node (docs/NATIVE.md).
//
//   node native/build.mjs                 this machine (npm run build:native)
//   node native/build.mjs --arch arm64    cross-build with aarch64-linux-gnu-g++
//   node native/build.mjs --arch armv7    cross-build with arm-linux-gnueabihf-g++
//   node native/build.mjs --if-possible   npm's install step: never fails, warns instead
//
// A cross build runs in native/build-cross/<arch>/ (a copy of binding.gyp and src/),
// so it never overwrites native/build/, which holds this machine's build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeDir = dirname(fileURLToPath(import.meta.url));
const repo = resolve(nativeDir, '..');
const dist = join(repo, 'dist');

/** Node's arch name → the Debian cross toolchain and the ELF machine the .node must be. */
const TARGETS = {
  x64: { triplet: 'x86_64-linux-gnu', pkg: 'g++-x86-64-linux-gnu', machine: 62, elf: 'x86-64', bits: 64 },
  arm64: { triplet: 'aarch64-linux-gnu', pkg: 'g++-aarch64-linux-gnu', machine: 183, elf: 'ARM aarch64', bits: 64 },
  arm: { triplet: 'arm-linux-gnueabihf', pkg: 'g++-arm-linux-gnueabihf', machine: 40, elf: 'ARM (EABI5, hard float)', bits: 32 },
};
const ALIASES = { x64: 'x64', amd64: 'x64', x86_64: 'x64', arm64: 'arm64', aarch64: 'arm64', armv7: 'arm', armv7l: 'arm', armhf: 'arm', arm: 'arm' };

class BuildError extends Error {}

function usage() {
  return 'usage: node native/build.mjs [--arch x64|arm64|armv7] [--if-possible]';
}

function parseArgs(argv) {
  const opts = { arch: undefined, ifPossible: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--if-possible') opts.ifPossible = true;
    else if (a === '--arch') opts.arch = argv[++i];
    else if (a.startsWith('--arch=')) opts.arch = a.slice('--arch='.length);
    else if (a === '-h' || a === '--help') {
      console.log(usage());
      process.exit(0);
    } else throw new BuildError(`unknown argument ${a}\n${usage()}`);
  }
  if (opts.arch !== undefined) {
    const arch = ALIASES[opts.arch];
    if (!arch) throw new BuildError(`unknown --arch ${opts.arch}: one of x64, arm64, armv7`);
    opts.arch = arch;
  }
  return opts;
}

/** Whether `cmd` is an executable on PATH (or a path to one). */
function onPath(cmd) {
  if (cmd.includes('/')) return existsSync(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

/** node-gyp: this checkout's (a devDependency), else npm's own. */
function nodeGyp() {
  try {
    return createRequire(join(repo, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const fromNpm = process.env.npm_config_node_gyp;
    if (fromNpm && existsSync(fromNpm)) return fromNpm;
    throw new BuildError('node-gyp is not installed: run npm ci (it is a devDependency)');
  }
}

/** Node's headers: npm's nodedir, else the prefix of this node if it ships them (Debian's nodejs: /usr). node-gyp would otherwise download them. */
function nodeDir() {
  const configured = process.env.npm_config_nodedir;
  if (configured) return configured;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined;
}

/** The ELF header's class and machine, to check that the .node is for the wanted CPU. */
function elfMachine(file) {
  const b = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (b.readUInt32BE(0) !== 0x7f454c46) throw new BuildError(`${file} is not an ELF file`);
  return { bits: b[4] === 2 ? 64 : 32, machine: b.readUInt16LE(18) };
}

function run(cmd, args, cwd, env, quiet) {
  const r = spawnSync(cmd, args, { cwd, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new BuildError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const out = quiet ? `\n${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-40).join('\n')}` : '';
    throw new BuildError(`node-gyp failed (exit ${r.status ?? r.signal})${out}`);
  }
}

function build(opts) {
  if (process.platform !== 'linux') throw new BuildError(`the addon is Linux-only (this is ${process.platform})`);
  const host = process.arch;
  const arch = opts.arch ?? host;
  const target = TARGETS[arch];
  if (!target) throw new BuildError(`no build for arch ${arch}`);
  const cross = arch !== host;
  const env = { ...process.env };

  if (cross) {
    const cxx = `${target.triplet}-g++`;
    if (!onPath(cxx))
      throw new BuildError(`the cross compiler ${cxx} is missing: apt-get install ${target.pkg} (Debian/Ubuntu)`);
    Object.assign(env, { CC: `${target.triplet}-gcc`, CXX: cxx, LINK: cxx, AR: `${target.triplet}-ar` });
  } else {
    const missing = [];
    const cxx = process.env.CXX ?? (onPath('g++') ? 'g++' : 'c++');
    if (!onPath(cxx.split(' ')[0])) missing.push('a C++ compiler (g++)');
    if (!onPath('make')) missing.push('make');
    if (!onPath('python3') && !process.env.PYTHON) missing.push('python3');
    if (missing.length)
      throw new BuildError(`${missing.join(', ')} not found: apt-get install g++ make python3 (Debian/Ubuntu)`);
  }

  let workDir = nativeDir;
  if (cross) {
    // A copy of the sources, so that native/build (this machine's addon) stays.
    workDir = join(nativeDir, 'build-cross', arch);
    rmSync(join(workDir, 'src'), { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    copyFileSync(join(nativeDir, 'binding.gyp'), join(workDir, 'binding.gyp'));
    cpSync(join(nativeDir, 'src'), join(workDir, 'src'), { recursive: true });
  }

  const args = [nodeGyp(), 'rebuild', `--arch=${arch}`, '--jobs=2'];
  const dir = nodeDir();
  if (dir) args.push(`--nodedir=${dir}`);
  if (opts.ifPossible) args.push('--loglevel=warn');

  const started = Date.now();
  console.log(`pfs: building the native addon for linux-${arch}${cross ? ` with ${env.CXX}` : ''}`);
  run(process.execPath, args, workDir, env, opts.ifPossible);

  const built = join(workDir, 'build', 'Release', 'pfs_native.node');
  if (!existsSync(built)) throw new BuildError(`node-gyp reported success but ${built} is missing`);
  const elf = elfMachine(built);
  if (elf.machine !== target.machine || elf.bits !== target.bits)
    throw new BuildError(`${built} is ELF machine ${elf.machine}/${elf.bits}-bit, not ${target.elf}: is ${env.CXX ?? 'g++'} the right compiler?`);
  if (!cross) smokeTest(built);

  mkdirSync(dist, { recursive: true });
  const out = join(dist, `pfs-native.linux-${arch}.node`);
  copyFileSync(built, out);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`pfs: ${relative(process.cwd(), out) || out}: ELF ${elf.bits}-bit ${target.elf}, ${(statSync(out).size / 1024).toFixed(0)} KiB, built in ${secs} s`);
}

/** Loads this machine's build and checks that every function of PfsNative is there. */
function smokeTest(file) {
  const want = ['fbInfo', 'mmap', 'msync', 'mtdInfo', 'mtdErase', 'mtdIsBad', 'gpioRequestOutputs', 'gpioSetValues', 'i2cSetAddress', 'setBaud'];
  const addon = createRequire(import.meta.url)(file);
  const missing = want.filter((f) => typeof addon[f] !== 'function');
  if (missing.length) throw new BuildError(`${file} lacks ${missing.join(', ')}`);
}

let opts = { ifPossible: process.argv.includes('--if-possible') };
try {
  opts = parseArgs(process.argv.slice(2));
  if (opts.ifPossible && process.env.PFS_SKIP_NATIVE) {
    console.log('pfs: PFS_SKIP_NATIVE is set: the native addon is not built');
  } else {
    build(opts);
  }
} catch (e) {
  if (!(e instanceof BuildError) && !opts.ifPossible) throw e;
  if (opts.ifPossible) {
    console.warn(
      `\npfs: WARNING: the native addon was not built: ${e.message}\n` +
        'pfs: pfs itself works without it; the back-ends that need it (fbdev and ssd1306 displays, gpio LEDs,\n' +
        'pfs: mtd flash, the serial console speed) say so when they start. Build it later with: npm run build:native\n',
    );
    process.exit(0);
  }
  console.error(`pfs: ${e.message}`);
  process.exit(1);
}
