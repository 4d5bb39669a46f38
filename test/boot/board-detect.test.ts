// pfs boot without --board: the board file from the device tree, then pfs.txt (a fake
// root folder stands in for / of a Raspberry Pi).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBoard, matchDeviceTree } from '../../src/boot/board-detect';
import { loadBoard } from '../../src/profiles';
import { PfsError } from '../../src/errors';
import { pfs } from '../errors/cli-capture';
import { tmpDir } from '../helpers';

const BOARDS = join(process.cwd(), 'boards');

async function fakeRoot(files: Record<string, string>) {
  const t = await tmpDir();
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(t.path, p, '..'), { recursive: true });
    writeFileSync(join(t.path, p), text);
  }
  return t;
}

test('the device tree\'s model names the Raspberry Pi boards (as their firmware writes it, NUL-terminated)', async () => {
  const all = await Promise.all(['rpi4', 'rpi3', 'rpi-zero2w', 'sim'].map((n) => loadBoard(BOARDS, n)));
  const name = (m: string) => matchDeviceTree(m, all)?.board;
  assert.is(name('Raspberry Pi 4 Model B Rev 1.4\0'), 'rpi4');
  assert.is(name('Raspberry Pi 400 Rev 1.0\0'), 'rpi4');
  assert.is(name('Raspberry Pi Compute Module 4 Rev 1.0\0'), 'rpi4');
  assert.is(name('Raspberry Pi 3 Model B Plus Rev 1.3\0'), 'rpi3');
  assert.is(name('Raspberry Pi Zero 2 W Rev 1.0\0'), 'rpi-zero2w');
  assert.is(name('Raspberry Pi 5 Model B Rev 1.0\0'), undefined);
  assert.is(name('Raspberry Pi Zero W Rev 1.1\0'), undefined, 'the first Zero is not the Zero 2');
});

test('findBoard: --board first, then /proc/device-tree/model, then board= in pfs.txt', async () => {
  const t = await fakeRoot({ 'proc/device-tree/model': 'Raspberry Pi 4 Model B Rev 1.4\0', 'boot/firmware/pfs.txt': 'board=rpi3\n' });
  try {
    assert.equal(await pick({ given: 'rpi-zero2w', root: t.path }), ['rpi-zero2w', '--board']);
    assert.equal(await pick({ root: t.path }), ['rpi4', 'device tree']);
    writeFileSync(join(t.path, 'proc/device-tree/model'), 'Raspberry Pi 5 Model B Rev 1.0\0');
    assert.equal(await pick({ root: t.path }), ['rpi3', 'pfs.txt'], 'a device tree no board file names: pfs.txt says');
  } finally {
    await t.cleanup();
  }
});

test('findBoard: an older OS\'s /boot/pfs.txt, with no device tree at all', async () => {
  const t = await fakeRoot({ 'boot/pfs.txt': '# written by pfs image\nboard = rpi-zero2w\n' });
  try {
    assert.equal(await pick({ root: t.path }), ['rpi-zero2w', 'pfs.txt']);
  } finally {
    await t.cleanup();
  }
});

test('PFS_ERR_BOARD: nothing names a board: pfs boot exits 2 with one line saying what it read and the boards there are', async () => {
  const t = await fakeRoot({ 'proc/device-tree/model': 'Raspberry Pi 5 Model B Rev 1.0\0' });
  try {
    await findBoard({ boardsDir: BOARDS, root: t.path }).then(
      () => assert.unreachable('found a board'),
      (e) => {
        assert.instance(e, PfsError);
        assert.is((e as PfsError).code, 'PFS_ERR_BOARD');
      },
    );
    const r = await pfs(['boot', '--root', t.path, '--boards-dir', BOARDS]);
    assert.is(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, 'code=PFS_ERR_BOARD');
    assert.match(lines[0]!, 'Raspberry Pi 5 Model B Rev 1.0');
    assert.match(lines[0]!, 'rpi4');
  } finally {
    await t.cleanup();
  }
});

async function pick(o: { given?: string; root: string }): Promise<[string, string]> {
  const f = await findBoard({ ...o, boardsDir: BOARDS });
  return [f.board.board, f.source];
}

test.run();
