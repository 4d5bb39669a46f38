// The validators are compiled at build time (src/profiles/validators.js): what a user
// reads when a profile breaks a pattern, a bound or a length stays as ajv worded it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoard, loadModels } from '../../src/profiles';

const boards = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'boards');

/** The message loading `file` gives after `change`, with the copy's folder shown as boards/. */
async function complaint(file: string, change: (j: Record<string, any>) => void, load: (dir: string) => Promise<unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boards-'));
  try {
    await cp(boards, dir, { recursive: true });
    const j = JSON.parse(await readFile(join(dir, file), 'utf8'));
    change(j);
    await writeFile(join(dir, file), JSON.stringify(j));
    const err = await load(dir).then(() => undefined, (e: Error) => e);
    assert.ok(err, `${file} loaded`);
    return err.message.replace(dir, 'boards');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a pattern, a bound, an empty string and a pair of slots are named with the field and the value', async () => {
  assert.is(await complaint('rpi4.json', (j) => (j.board = 'RPi 4'), (d) => loadBoard(d, 'rpi4')), 'boards/rpi4.json: /board must match pattern "^[a-z0-9-]+$" (got "RPi 4")');
  assert.is(await complaint('rpi4.json', (j) => (j.leds = { backend: 'gpio', device: '/dev/gpiochip0', line: -1 }), (d) => loadBoard(d, 'rpi4')), 'boards/rpi4.json: /leds/line must be >= 0 (got -1)');
  assert.is(await complaint('sim.json', (j) => (j.trust = ''), (d) => loadBoard(d, 'sim')), 'boards/sim.json: /trust must NOT have fewer than 1 characters (got "")');
  assert.is(
    await complaint('rpi4.json', (j) => (j.flash = { backend: 'block', path: '/dev/mmcblk0p5', slots: ['/dev/mmcblk0p3'] }), (d) => loadBoard(d, 'rpi4')),
    'boards/rpi4.json: /flash/slots must NOT have fewer than 2 items (got ["/dev/mmcblk0p3"])',
  );
  assert.is(await complaint('models/CP-7961G.json', (j) => (j.screen.height = 5000), loadModels), 'boards/models/CP-7961G.json: /screen/height must be <= 4096 (got 5000)');
});

test.run();
