// pfs image against disk images made from scratch: every file read back (mtools,
// debugfs) byte-equal, the unit accepted by systemd-analyze, a second run that changes
// nothing, and each refusal leaving the image as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateKeys } from '../../src/loads/keys';
import { parseBootConfig } from '../../src/boot/select-model';
import { unitText } from '../../src/image/unit';
import { pfs } from '../errors/cli-capture';
import { findProgram, testIf, tmpDir } from '../helpers';
import { extRead, fakeElf, fatRead, fsckRoot, makeDisk, missingImageTools, sha256 } from './disk';

const missing = missingImageTools();
const ARM64 = 0xb7;
const X64 = 0x3e;
const ARM = 0x28;

async function site() {
  const t = await tmpDir('pfs-image-');
  const key = (await generateKeys(join(t.path, 'site-key'))).publicPath;
  const exePath = join(t.path, 'pfs-linux-arm64');
  const exe = fakeElf(exePath, ARM64);
  const args = (img: string, ...more: string[]) => ['image', img, '--board', 'rpi4', '--model', 'CP-7961G', '--tftp', '192.0.2.10:6969', '--trust', key, '--exe', exePath, ...more];
  return { t, key, exePath, exe, args };
}

/** systemd-analyze verify on the unit as read back, in a root folder holding what it names (the executable from the image, the host's sh and units). */
function verifyUnit(scratch: string, unit: Buffer, exe: Buffer): { status: number; out: string } {
  const root = join(scratch, 'verify-root');
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  mkdirSync(join(root, 'opt/pfs'), { recursive: true });
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  writeFileSync(join(root, 'etc/systemd/system/pfs.service'), unit);
  writeFileSync(join(root, 'opt/pfs/pfs'), exe, { mode: 0o755 });
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, dereference: false });
  copyFileSync(findProgram('sh')!, join(root, 'usr/bin/sh'));
  chmodSync(join(root, 'usr/bin/sh'), 0o755);
  symlinkSync('usr/bin', join(root, 'bin'));
  // spawnSync, not execFileSync: a warning comes on stderr with exit status 0, and must count.
  const r = spawnSync(findProgram('systemd-analyze')!, ['verify', `--root=${root}`, '/etc/systemd/system/pfs.service'], { encoding: 'utf8' });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

testIf(missing, 'writes every file into a fresh image, each read back byte-equal; the unit passes systemd-analyze; a second run changes nothing', async () => {
  const s = await site();
  try {
    const d = makeDisk(s.t.path);
    const r = await pfs(s.args(d.path));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /15 written/);

    const back = (p: string) => extRead(d, p, s.t.path);
    const exe = back('/opt/pfs/pfs')!;
    assert.equal({ type: exe.type, mode: exe.mode, uid: exe.uid }, { type: 'regular', mode: 0o755, uid: 0 });
    assert.ok(exe.data!.equals(s.exe), 'the executable, byte-equal');
    assert.ok(back('/etc/pfs/trust/site-key.pub.pem')!.data!.equals(readFileSync(s.key)), 'the trust key, byte-equal');
    const unit = back('/etc/systemd/system/pfs.service')!;
    assert.equal([unit.type, unit.mode], ['regular', 0o644]);
    assert.is(unit.data!.toString(), unitText('/opt/pfs/pfs'));
    assert.equal(back('/etc/systemd/system/multi-user.target.wants/pfs.service'), { type: 'symlink', mode: 0o777, uid: 0, target: '/etc/systemd/system/pfs.service' });
    for (const tty of ['ttyS0', 'ttyAMA0']) assert.is(back(`/etc/systemd/system/serial-getty@${tty}.service`)?.target, '/dev/null', `getty on ${tty} masked`);
    for (const p of ['/var/lib/pfs/flash', '/var/lib/pfs/flash/slotA', '/var/lib/pfs/flash/slotB']) assert.is(back(p)?.type, 'directory', p);

    const txt = parseBootConfig(fatRead(d, '/pfs.txt', s.t.path)!.toString());
    assert.equal([txt.get('board'), txt.get('model'), txt.get('tftp')], ['rpi4', 'CP-7961G', '192.0.2.10:6969']);
    const config = fatRead(d, '/config.txt', s.t.path)!.toString();
    assert.ok(config.startsWith('dtparam=audio=on\n[pi4]\narm_boost=1\n'), config);
    assert.match(config, /\[all\]\n(#.*\n)?enable_uart=1\n$/);
    assert.is(fatRead(d, '/cmdline.txt', s.t.path)!.toString(), 'console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
    assert.is(fsckRoot(d), '', 'e2fsck finds the root file system clean');

    const v = verifyUnit(s.t.path, unit.data!, exe.data!);
    assert.equal(v, { status: 0, out: '' }, 'systemd-analyze verify: no error, no warning');

    const before = sha256(d.path);
    const again = await pfs(s.args(d.path));
    assert.is(again.status, 0, again.stderr);
    assert.match(again.stdout, /nothing to change \(15 already as wanted\)/);
    assert.is(sha256(d.path), before, 'the image is byte for byte the same after a second run');
  } finally {
    await s.t.cleanup();
  }
});

testIf(missing, 'the unit check has teeth: systemd-analyze reports a unit with a bad setting or a missing executable', async () => {
  const s = await site();
  try {
    const good = Buffer.from(unitText('/opt/pfs/pfs'));
    assert.equal(verifyUnit(join(s.t.path, 'a'), good, s.exe), { status: 0, out: '' });
    assert.match(verifyUnit(join(s.t.path, 'b'), Buffer.from(good.toString().replace('Type=exec', 'Type=bogus')), s.exe).out, /Type|bogus/);
    assert.match(verifyUnit(join(s.t.path, 'c'), Buffer.from(good.toString().replace('ExecStart=/opt/pfs/pfs', 'ExecStart=/opt/pfs/gone')), s.exe).out, /gone/);
  } finally {
    await s.t.cleanup();
  }
});

testIf(missing, '--dry-run lists what it would write and leaves the image as it was', async () => {
  const s = await site();
  try {
    const d = makeDisk(s.t.path);
    const before = sha256(d.path);
    const r = await pfs(s.args(d.path, '--dry-run'));
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /root {2}\/opt\/pfs\/pfs {2}file 200000 bytes {2}new \(would write\)/);
    assert.match(r.stdout, /boot {2}\/pfs\.txt .* new \(would write\)/);
    assert.match(r.stdout, /dry run: 15 of 15 to write .*nothing written/);
    assert.is(sha256(d.path), before);
  } finally {
    await s.t.cleanup();
  }
});

testIf(missing, 'a board\'s own pfs.txt lines survive a run; --mac and --console land in pfs.txt; a changed --tftp is the one change', async () => {
  const s = await site();
  try {
    const d = makeDisk(s.t.path, { boot: { 'config.txt': 'enable_uart=1\n', 'pfs.txt': 'model=CP-7941G\npeer_port=4052\n' } });
    let r = await pfs(s.args(d.path, '--mac', '00:1b:d5:08:00:27', '--console', 'ttyAMA0'));
    assert.is(r.status, 0, r.stderr);
    const txt = parseBootConfig(fatRead(d, '/pfs.txt', s.t.path)!.toString());
    assert.equal(Object.fromEntries(txt), { model: 'CP-7961G', peer_port: '4052', board: 'rpi4', tftp: '192.0.2.10:6969', mac: '00:1b:d5:08:00:27', console: '/dev/ttyAMA0' });
    assert.is(fatRead(d, '/config.txt', s.t.path)!.toString(), 'enable_uart=1\n', 'config.txt that enables the UART is left alone');
    assert.is(extRead(d, '/etc/systemd/system/serial-getty@ttyAMA0.service', s.t.path)?.target, '/dev/null');
    assert.is(extRead(d, '/etc/systemd/system/serial-getty@ttyS0.service', s.t.path), null, 'only the console pfs logs to loses its getty');
    r = await pfs(['image', d.path, '--board', 'rpi4', '--model', 'CP-7961G', '--tftp', '192.0.2.99', '--trust', s.key, '--exe', s.exePath, '--mac', '00:1b:d5:08:00:27', '--console', 'ttyAMA0']);
    assert.is(r.status, 0, r.stderr);
    assert.is(r.stdout.trim().split('\n').length, 2, r.stdout);
    assert.match(r.stdout, /boot {2}\/pfs\.txt .* changed\n.*1 written/);
    assert.is(fsckRoot(d), '');
  } finally {
    await s.t.cleanup();
  }
});

/** Each refusal: its code, exit status, one line, and the image unchanged. */
const refusals: { name: string; code: string; status: number; make: (s: Awaited<ReturnType<typeof site>>) => { img: string; argv: string[]; env?: Record<string, string> } }[] = [
  {
    name: 'not an MBR disk',
    code: 'PFS_ERR_IMAGE_FORMAT',
    status: 1,
    make: (s) => {
      const img = join(s.t.path, 'blank.img');
      writeFileSync(img, Buffer.alloc(4 << 20));
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'FAT + FAT, no ext4 root',
    code: 'PFS_ERR_IMAGE_FORMAT',
    status: 1,
    make: (s) => ({ img: makeDisk(s.t.path, { rootAs: 'fat' }).path, argv: s.args(join(s.t.path, 'disk.img')) }),
  },
  {
    name: 'a read-only image',
    code: 'PFS_ERR_IMAGE_ACCESS',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      chmodSync(img, 0o444);
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'an image shorter than its partitions (truncated)',
    code: 'PFS_ERR_IMAGE_SPACE',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      truncateSync(img, 20 << 20);
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'a root partition without room for the executable',
    code: 'PFS_ERR_IMAGE_SPACE',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path, { rootMiB: 2 }).path;
      fakeElf(s.exePath, ARM64, 3 << 20);
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'a model without Peer Firmware Sharing',
    code: 'PFS_ERR_IMAGE_MODEL',
    status: 2,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img).map((a) => (a === 'CP-7961G' ? 'CP-7940G' : a)) };
    },
  },
  {
    name: 'an unknown model',
    code: 'PFS_ERR_MODEL',
    status: 3,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img).map((a) => (a === 'CP-7961G' ? 'CP-9999G' : a)) };
    },
  },
  {
    name: 'a missing trust key',
    code: 'PFS_ERR_KEY',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img).map((a) => (a === s.key ? join(s.t.path, 'gone.pub.pem') : a)) };
    },
  },
  {
    name: 'a private key given as the trust key',
    code: 'PFS_ERR_KEY',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img).map((a) => (a === s.key ? s.key.replace('.pub.pem', '.pem') : a)) };
    },
  },
  {
    name: 'an executable for another CPU',
    code: 'PFS_ERR_IMAGE_EXE',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      fakeElf(s.exePath, X64);
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'an arm64 executable for an image whose own programs are 32-bit ARM',
    code: 'PFS_ERR_IMAGE_EXE',
    status: 1,
    make: (s) => {
      const env = fakeElf(join(s.t.path, 'env'), ARM, 4096);
      const img = makeDisk(s.t.path, { root: { '/etc/fstab': 'x /boot/firmware vfat defaults 0 2\n', '/usr/bin/env': env } }).path;
      return { img, argv: s.args(img) };
    },
  },
  {
    name: 'a board that lives in a folder (sim)',
    code: 'PFS_ERR_IMAGE_BOARD',
    status: 2,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img).map((a) => (a === 'rpi4' ? 'sim' : a)) };
    },
  },
  {
    name: 'a missing image file',
    code: 'PFS_ERR_IMAGE_ACCESS',
    status: 1,
    make: (s) => ({ img: join(s.t.path, 'gone.img'), argv: s.args(join(s.t.path, 'gone.img')) }),
  },
  {
    name: 'no debugfs or mtools on PATH',
    code: 'PFS_ERR_IMAGE_TOOL',
    status: 1,
    make: (s) => {
      const img = makeDisk(s.t.path).path;
      return { img, argv: s.args(img), env: { PATH: join(s.t.path, 'no-programs-here') } };
    },
  },
];

for (const r of refusals) {
  testIf(missing, `refuses ${r.name}: ${r.code}, exit ${r.status}, one line, the image unchanged`, async () => {
    const s = await site();
    const path = process.env.PATH;
    try {
      const { img, argv, env } = r.make(s);
      const before = (() => {
        try {
          return sha256(img);
        } catch {
          return 'absent';
        }
      })();
      if (env?.PATH) process.env.PATH = env.PATH;
      const out = await pfs(argv);
      process.env.PATH = path;
      assert.is(out.status, r.status, out.stderr);
      const lines = out.stderr.trim().split('\n');
      assert.is(lines.length, 1, out.stderr);
      assert.match(lines[0]!, `code=${r.code}`);
      assert.is(out.stdout, '');
      let after = 'absent';
      try {
        after = sha256(img);
      } catch {
        /* still absent */
      }
      assert.is(after, before, 'the image is unchanged');
    } finally {
      process.env.PATH = path;
      await s.t.cleanup();
    }
  });
}

test.run();
