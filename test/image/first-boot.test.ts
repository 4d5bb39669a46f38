// An image pfs image wrote, booted: its root and boot partitions copied out (debugfs,
// mtools) into a folder that stands in for a Raspberry Pi 4's /, with the device tree
// naming the board, and pfs boot run there without --board against a TFTP origin on
// loopback. What the image carries (pfs.txt, the trust key, the flash slots) must be
// enough for the board to find itself, verify the signed load and commit it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger';
import { TftpServer } from '../../src/net/tftp/server';
import { loadModels } from '../../src/profiles';
import { prepareSite, labMac } from '../../src/lab/site';
import { bootBoard, EXIT } from '../../src/boot/boot';
import { DirFlash } from '../../src/hal/flash/dir';
import { pfs } from '../errors/cli-capture';
import { freePortRange, testIf, tmpDir } from '../helpers';
import { fakeElf, fatRead, makeDisk, missingImageTools, runProgram } from './disk';

testIf(missingImageTools(), 'a board booted from what pfs image wrote finds itself from the device tree, logs to the console pfs.txt names, takes the signed load and commits it', async () => {
  const t = await tmpDir('pfs-first-boot-');
  const models = await loadModels('boards');
  const site = await prepareSite(join(t.path, 'site'), {
    models: [{ profile: models.get('CP-7961G')!, count: 1 }],
    size: 256 << 10,
    files: 2,
    enterprisePfs: true,
    pfsOff: 0,
    server: () => ({ host: '127.0.0.1', port: 69 }),
    boardConfig: () => ({}),
  });
  const server = new TftpServer({ root: site.originDir, port: 0 });
  await server.start();
  try {
    const disk = makeDisk(t.path);
    const exe = join(t.path, 'pfs-linux-arm64');
    fakeElf(exe, 0xb7);
    const r = await pfs(['image', disk.path, '--board', 'rpi4', '--model', 'CP-7961G', '--tftp', `127.0.0.1:${server.address().port}`, '--trust', join(t.path, 'site', 'site-key.pub.pem'), '--exe', exe, '--mac', labMac(0), '--console', 'ttyAMA0']);
    assert.is(r.status, 0, r.stderr);

    // A technician's lines in pfs.txt: this "board" shares loopback, not an eth0 of its own.
    const base = await freePortRange(2);
    const txt = fatRead(disk, '/pfs.txt', t.path)!.toString() + `addr=127.0.0.1\npeer_port=${base + 1}\nbroadcast=127.255.255.255:${base}\n`;
    writeFileSync(join(t.path, 'pfs.txt'), txt);
    runProgram('mcopy', ['-o', '-i', `${disk.path}@@${disk.boot.offset}`, join(t.path, 'pfs.txt'), '::/pfs.txt']);

    // The card as the Pi sees it: root partition at /, boot partition at /boot/firmware.
    const root = join(t.path, 'pi');
    mkdirSync(join(root, 'boot', 'firmware'), { recursive: true });
    for (const top of ['/etc', '/opt', '/var']) runProgram('debugfs', ['-R', `rdump ${top} ${root}`, `${disk.path}?offset=${disk.root.offset}`]);
    runProgram('mcopy', ['-s', '-n', '-i', `${disk.path}@@${disk.boot.offset}`, '::/pfs.txt', '::/config.txt', '::/cmdline.txt', join(root, 'boot', 'firmware')]);
    mkdirSync(join(root, 'proc', 'device-tree'), { recursive: true });
    writeFileSync(join(root, 'proc', 'device-tree', 'model'), 'Raspberry Pi 4 Model B Rev 1.4\0');

    const lines: string[] = [];
    const result = await bootBoard({
      boardsDir: 'boards',
      root,
      log: createLogger('PFS', { level: 'INF', sinks: [{ writeLine: (l) => lines.push(l) }] }),
      configTries: 2,
      upgradeTimeoutMs: 30_000,
      lingerMs: 1_000,
    });
    const log = lines.join('\n');
    assert.is(result.exit, EXIT.REBOOT, log);
    assert.match(log, 'BOOT: board rpi4 (from device tree)');
    assert.match(log, 'BOOT: board rpi4, model CP-7961G (from pfs.txt)');
    assert.match(log, 'signature good');
    // pfs.txt's console= (from --console) is the port pfs logs to (in a folder, a file stands in for it).
    assert.match(readFileSync(join(root, 'dev', 'ttyAMA0'), 'utf8'), 'BOOT: board rpi4, model CP-7961G (from pfs.txt)');
    assert.not.ok(existsSync(join(root, 'dev', 'serial0')), 'not the board file\'s /dev/serial0');
    const flash = new DirFlash(join(root, 'var', 'lib', 'pfs', 'flash'));
    await flash.open();
    assert.is(await flash.activeLoad(), site.loads.get('CP-7961G'), 'the load is committed to the slots the image laid out');
  } finally {
    await server.stop();
    await t.cleanup();
  }
});

test.run();
