// npm run release (scripts/release.mjs): the single executables, run as a user would.
// x64 copied alone into an empty folder boots a board and runs a lab; the arm64 one,
// under Debian's qemu-user, prints its help and version, runs a 3-board lab to the
// end with one WAN copy, and loads its addon from inside itself (termios on a pty);
// armv7l prints its version under qemu-arm. The release is built once, by the first
// test that needs it (about 25 s with the runtimes already in dist/release-cache/).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { anyMissing, findProgram, freePortRange, missingProgram, programPath, testIf, tmpDir } from '../helpers/index';
import { prepareSite } from '../../src/lab/site';
import { loadModels } from '../../src/profiles';
import { TftpServer } from '../../src/net/tftp/server';
import { activeFiles } from '../boot/e2e-site';
import { VERSION } from '../../src/version';

const run = promisify(execFile);

/** Runs a program without blocking this process (the boot test's TFTP server is in it): exit status and output. */
function exec(file: string, args: string[], o: { cwd: string; timeout: number }): Promise<{ status: number | null; out: string }> {
  return new Promise((ok) => {
    execFile(file, args, { ...o, encoding: 'utf8', maxBuffer: 16 << 20 }, (e, stdout, stderr) => {
      const status = e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : null) : 0;
      ok({ status, out: `${stdout}${stderr}` });
    });
  });
}
const repo = resolve('.');
const release = join(repo, 'dist', 'release');
const exe = (target: string) => join(release, `pfs-linux-${target}`);

const qemu = { arm64: { bin: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu' }, armv7l: { bin: 'qemu-arm', sysroot: '/usr/arm-linux-gnueabihf' } };
function missingQemu(target: keyof typeof qemu): string | undefined {
  const q = qemu[target];
  return anyMissing(
    findProgram(q.bin) ? undefined : `${q.bin} not found (Debian's qemu-user; .ci/run installs it)`,
    existsSync(join(q.sysroot, 'lib')) ? undefined : `${q.sysroot} is missing (the cross libc of g++-${q.sysroot.slice(5)}; .ci/run installs it)`,
  );
}
const x64Missing = process.arch === 'x64' ? undefined : `the release's x64 executable runs on x64 only (this is ${process.arch})`;
const arm64Missing = missingQemu('arm64');
const armv7Missing = missingQemu('armv7l');

/** The command line that runs a release executable here: natively, or under qemu-user. */
function cmd(target: 'x64' | 'arm64' | 'armv7l', file = exe(target)): [string, string[]] {
  if (target === 'x64') return [file, []];
  const q = qemu[target];
  return [findProgram(q.bin)!, ['-L', q.sysroot, file]];
}

let built: Promise<void> | undefined;
/** Builds the release once (npm test built dist/pfs.cjs already: --no-build; and fetched the runtimes). */
function buildRelease(): Promise<void> {
  const targets = ['x64', ...(arm64Missing ? [] : ['arm64']), ...(armv7Missing ? [] : ['armv7l'])];
  // --offline: npm test fetched the runtimes before the workers started (they have no network).
  built ??= run(process.execPath, ['scripts/release.mjs', '--no-build', '--offline', '--targets', targets.join(',')], { cwd: repo, maxBuffer: 16 << 20 }).then(
    () => undefined,
    (e: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`npm run release failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    },
  );
  return built;
}

/** ELF class and machine from the header, as `file` reads them. */
async function elf(file: string): Promise<string> {
  const b = await readFile(file);
  assert.is(b.readUInt32BE(0), 0x7f454c46, `${file} is an ELF file`);
  const machine = b.readUInt16LE(18);
  const name = machine === 62 ? 'x86-64' : machine === 183 ? 'ARM aarch64' : machine === 40 ? 'ARM' : `machine ${machine}`;
  return `${b[4] === 2 ? 64 : 32}-bit ${name}${machine === 40 && (b.readUInt32LE(36) >>> 24) === 5 ? ' EABI5' : ''}`;
}

test('--targets host is the release this machine runs (bench:fleet builds it for its boards)', async () => {
  const { hostTarget, TARGETS } = (await import(join(repo, 'scripts', 'release.mjs'))) as { hostTarget(): string; TARGETS: Record<string, { arch: string }> };
  assert.is(TARGETS[hostTarget()]!.arch, process.arch);
  const r = spawnSync(process.execPath, ['scripts/release.mjs', '--targets', 'host,sparc'], { cwd: repo, encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /--targets: one or more of x64, arm64, armv7l/);
});

testIf(x64Missing, 'npm run release: one ELF executable per CPU, as file(1) names them', async () => {
  await buildRelease();
  assert.is(await elf(exe('x64')), '64-bit x86-64');
  if (!arm64Missing) assert.is(await elf(exe('arm64')), '64-bit ARM aarch64');
  if (!armv7Missing) assert.is(await elf(exe('armv7l')), '32-bit ARM EABI5');
  const file = findProgram('file');
  if (file) {
    const { stdout } = await run(file, [exe('x64')]);
    assert.match(stdout, /ELF 64-bit LSB .*x86-64/);
  }
});

/** A folder holding the x64 executable and nothing else, as a user would copy it. */
async function alone() {
  const dir = await tmpDir('pfs-release-');
  const bin = join(dir.path, 'bin');
  await mkdir(bin);
  await copyFile(exe('x64'), join(bin, 'pfs'));
  return { dir, pfs: join(bin, 'pfs'), bin };
}

testIf(x64Missing, 'x64 copied alone into an empty folder: pfs boot takes a new load by TFTP, draws its screen, logs, and exits 10', async () => {
  await buildRelease();
  const { dir, pfs, bin } = await alone();
  const server = new TftpServer({ root: join(dir.path, 'origin'), port: 0 });
  try {
    const models = await loadModels('boards');
    let port = 0;
    // The broadcast port, then the board's peer port, free when asked.
    const base = await freePortRange(2);
    const site = await prepareSite(join(dir.path), {
      models: [{ profile: models.get('CP-7961G')!, count: 1 }],
      size: 256 * 1024,
      files: 2,
      enterprisePfs: false,
      pfsOff: 0,
      server: () => ({ host: '127.0.0.1', port }),
      boardConfig: () => ({ addr: '127.0.0.1', peer_port: String(base + 1), broadcast: `127.255.255.255:${base}` }),
    });
    await server.start();
    port = server.address().port;
    const root = site.boards[0]!.root;
    // cwd is the executable's own folder: nothing there but pfs.
    const { status, out } = await exec(pfs, ['boot', '--board', 'sim', '--root', root, '--server', `127.0.0.1:${port}`], { cwd: bin, timeout: 60_000 });
    assert.is(status, 10, `exit 10 (new load committed):\n${out}`);
    assert.match(out, /BOOT: board sim, model CP-7961G/, `the console log, with the built-in board and model profiles:\n${out}`);
    assert.match(out, /HAL: LED ACT: done/);
    assert.match(out, /committed load/);
    assert.not.match(out, /PFS_ERR_NATIVE|no native addon|cannot read the folder/);
    const png = await stat(join(root, 'screen.png'));
    assert.ok(png.size > 0, 'screen.png drawn');
    const active = await activeFiles(root);
    assert.is(active, site.loads.get('CP-7961G'), 'the new load is active');
  } finally {
    await server.stop();
    await dir.cleanup();
  }
});

/** `pfs lab --json`'s summary line from a run's output. */
function summary(out: string): { allVerified: boolean; boards: number; originBytes: number; fileBytes: number; models: number } {
  const line = out.split('\n').find((l) => l.startsWith('{"boards"'));
  assert.ok(line, `a JSON summary in:\n${out.slice(-3000)}`);
  return JSON.parse(line!);
}

testIf(x64Missing, 'x64 copied alone: pfs lab of 3 boards (board processes started from the executable) ends all verified with one WAN copy', async () => {
  await buildRelease();
  const { dir, pfs, bin } = await alone();
  try {
    const r = spawnSync(pfs, ['lab', '--boards', '3', '--size', '1M', '--per-process', '1', '--json'], { cwd: bin, encoding: 'utf8', timeout: 90_000 });
    const s = summary(`${r.stdout}`);
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.ok(s.allVerified);
    assert.is(s.boards, 3);
    assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes * 1.05, `one WAN copy: origin sent ${s.originBytes} for ${s.fileBytes}`);
  } finally {
    await dir.cleanup();
  }
});

testIf(arm64Missing, 'arm64 under qemu-aarch64: --help and --version', async () => {
  await buildRelease();
  const [q, args] = cmd('arm64');
  const v = await run(q, [...args, '--version']);
  assert.is(v.stdout.trim(), VERSION);
  const h = await run(q, [...args, '--help']);
  assert.match(h.stdout, /^pfs .* Peer Firmware Sharing/);
  assert.match(h.stdout, /\bboot\b.*\n/);
});

// qemu-user runs one program: a child it starts is started by the kernel, which cannot
// run an ARM binary here (no binfmt_misc). So the lab's boards share its process.
testIf(arm64Missing, 'arm64 under qemu-aarch64: a lab of 3 boards on a 1 MiB image ends all verified with one WAN copy', async () => {
  await buildRelease();
  const [q, args] = cmd('arm64');
  const dir = await tmpDir('pfs-release-');
  try {
    const r = spawnSync(q, [...args, 'lab', '--boards', '3', '--size', '1M', '--per-process', '0', '--json'], { cwd: dir.path, encoding: 'utf8', timeout: 110_000 });
    const s = summary(`${r.stdout}`);
    assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.ok(s.allVerified);
    assert.is(s.boards, 3);
    assert.ok(s.originBytes >= s.fileBytes && s.originBytes < s.fileBytes * 1.05, `one WAN copy: origin sent ${s.originBytes} for ${s.fileBytes}`);
  } finally {
    await dir.cleanup();
  }
});

// The console device is the pty `script` gives its child as /dev/tty: pfs boot opens it,
// and the addon inside the executable sets 9600 baud on it (a pty starts at 38400);
// stty, run after pfs in the same session, reads the speed back. pfs's own standard
// streams are files: Node puts a terminal on them back as it found it when it exits.
// The boot itself then stops (no trust folder), which is not what this test is about.
testIf(anyMissing(arm64Missing, missingProgram('script', 'stty')), 'arm64 under qemu-aarch64: the addon inside the executable loads and sets the console speed on a pty (termios)', async () => {
  await buildRelease();
  const dir = await tmpDir('pfs-release-');
  try {
    const boards = join(dir.path, 'boards');
    await mkdir(join(boards, 'models'), { recursive: true });
    const sim = JSON.parse(await readFile('boards/sim.json', 'utf8'));
    const under = (p: string) => join(dir.path, 'root', p);
    const board = { ...sim, board: 'pty', flash: { ...sim.flash, path: under('flash') }, display: { backend: 'none' }, console: { device: '/dev/tty', baud: 9600 }, bootConfig: under('boot/pfs.txt'), cmdline: under('boot/cmdline.txt'), trust: under('trust'), tmp: under('tmp') };
    await writeFile(join(boards, 'pty.json'), JSON.stringify(board));
    for (const m of ['CP-7961G']) await copyFile(`boards/models/${m}.json`, join(boards, 'models', `${m}.json`));
    await mkdir(under('boot'), { recursive: true });
    await writeFile(under('boot/pfs.txt'), 'model=CP-7961G\nmac=001BD5000001\n');
    const [q, args] = cmd('arm64');
    const line = [q, ...args, 'boot', '--board', 'pty', '--boards-dir', boards, '--root', '/', '--server', '127.0.0.1:9', '--config-tries', '1'].join(' ');
    const r = spawnSync(programPath('script'), ['-qec', `${line} </dev/null >pfs.out 2>&1; echo; echo "speed $(stty speed)"`, '/dev/null'], { cwd: dir.path, encoding: 'utf8', timeout: 90_000 });
    const out = `${r.stdout}${r.stderr}\n${await readFile(join(dir.path, 'pfs.out'), 'utf8').catch(() => '')}`;
    assert.not.match(out, /no native addon|PFS_ERR_NATIVE|cannot set 9600 baud/, out);
    assert.match(out, /DLoad|PFS/, `console lines on the pty:\n${out}`);
    assert.match(out, /speed 9600/, `stty reads 9600 back:\n${out}`);
  } finally {
    await dir.cleanup();
  }
});

testIf(armv7Missing, 'armv7l under qemu-arm: --version', async () => {
  await buildRelease();
  const [q, args] = cmd('armv7l');
  const v = await run(q, [...args, '--version']);
  assert.is(v.stdout.trim(), VERSION);
});

test.run();
