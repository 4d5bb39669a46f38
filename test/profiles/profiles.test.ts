import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardPath, isModelName, loadBoard, loadModels, ProfileError } from '../../src/profiles';

const boards = 'boards';
const PFS_MODELS = ['CP-7961G', 'CP-7941G', 'CP-7911G', 'CP-7906G', 'CP-7931G', 'CP-7970G', 'CP-7971G-GE', 'CP-7941G-GE', 'CP-7961G-GE', 'CP-7942G', 'CP-7962G', 'CP-7965G', 'CP-7975G'];

/** A copy of boards/ to spoil, and the error loading `what` then gives. */
async function spoiled(file: string, change: (j: Record<string, any>) => void, load: (dir: string) => Promise<unknown>): Promise<ProfileError> {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boards-'));
  try {
    await cp(boards, dir, { recursive: true });
    const j = JSON.parse(await readFile(join(dir, file), 'utf8'));
    change(j);
    await writeFile(join(dir, file), JSON.stringify(j));
    const err = await load(dir).then(() => undefined, (e) => e);
    assert.ok(err instanceof ProfileError, `expected a ProfileError for ${file}`);
    assert.is(err.code, 'PFS_ERR_PROFILE');
    return Object.assign(err, { message: err.message.replace(dir, 'boards') });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('every shipped board file passes its schema', async () => {
  for (const b of ['sim', 'rpi4', 'rpi3', 'rpi-zero2w']) assert.is((await loadBoard(boards, b)).board, b);
  const sim = await loadBoard(boards, 'sim');
  assert.is(sim.console.device, '-');
  assert.is((await loadBoard(boards, 'rpi-zero2w')).network.interface, 'wlan0');
  assert.is((await loadBoard(boards, 'rpi4')).leds.path, '/sys/class/leds/ACT');
});

test('every shipped model file passes its schema; 7940/7960 do not share', async () => {
  const models = await loadModels(boards);
  for (const m of PFS_MODELS) assert.ok(models.get(m)?.pfs, m);
  for (const m of ['CP-7960G', 'CP-7940G']) assert.is(models.get(m)?.pfs, false, m);
  assert.equal(
    [...models.values()].map((m) => `${m.model} ${m.loadPrefix}`).sort(),
    [
      'CP-7906G SCCP11', 'CP-7911G SCCP11', 'CP-7931G SCCP31', 'CP-7940G P003', 'CP-7941G SCCP41', 'CP-7941G-GE SCCP41', 'CP-7942G SCCP42', 'CP-7960G P003',
      'CP-7961G SCCP41', 'CP-7961G-GE SCCP41', 'CP-7962G SCCP42', 'CP-7965G SCCP45', 'CP-7970G SCCP70', 'CP-7971G-GE SCCP70', 'CP-7975G SCCP75',
    ],
  );
  // The later PFS models: the gigabit 7941/7961 and the 7942/7962 as their grey screen, the 7965/7975 a 16-bit colour one.
  for (const m of ['CP-7941G-GE', 'CP-7961G-GE', 'CP-7942G', 'CP-7962G']) assert.equal(models.get(m)!.screen, { width: 320, height: 222, depth: 4, color: false }, m);
  for (const m of ['CP-7965G', 'CP-7975G']) assert.equal(models.get(m)!.screen, { width: 320, height: 240, depth: 16, color: true }, m);
  assert.equal(models.get('CP-7961G')!.screen, { width: 320, height: 222, depth: 4, color: false });
  assert.equal(models.get('CP-7970G')!.screen, { width: 320, height: 234, depth: 12, color: true });
  assert.equal(models.get('CP-7911G')!.screen, { width: 192, height: 64, depth: 1, color: false });
});

test('a bad enum names the file, the field, the allowed values and what it got', async () => {
  const err = await spoiled('rpi4.json', (j) => (j.flash.backend = 'ssd'), (d) => loadBoard(d, 'rpi4'));
  assert.is(err.message, 'boards/rpi4.json: /flash/backend must be one of dir, mtd, block (got "ssd")');
});

test('a wrong type, a missing field and an unknown field are each named', async () => {
  const type = await spoiled('models/CP-7961G.json', (j) => (j.screen.width = 'wide'), loadModels);
  assert.is(type.message, 'boards/models/CP-7961G.json: /screen/width must be an integer (got "wide")');
  const missing = await spoiled('sim.json', (j) => delete j.console.baud, (d) => loadBoard(d, 'sim'));
  assert.is(missing.message, 'boards/sim.json: /console/baud is required');
  const extra = await spoiled('sim.json', (j) => (j.display.colour = 'red'), (d) => loadBoard(d, 'sim'));
  assert.is(extra.message, 'boards/sim.json: /display/colour is not a known field');
  const baud = await spoiled('rpi3.json', (j) => (j.console.baud = 115201), (d) => loadBoard(d, 'rpi3'));
  assert.match(baud.message, /^boards\/rpi3\.json: \/console\/baud must be one of 9600, .*115200.* \(got 115201\)$/);
});

test('back-end parameters the schema cannot express are checked too', async () => {
  const fb = await spoiled('rpi4.json', (j) => delete j.display.device, (d) => loadBoard(d, 'rpi4'));
  assert.is(fb.message, 'boards/rpi4.json: /display/device is required for display backend fbdev');
  const blk = await spoiled('rpi4.json', (j) => (j.flash = { backend: 'block', path: '/dev/mmcblk0p5' }), (d) => loadBoard(d, 'rpi4'));
  assert.match(blk.message, /^boards\/rpi4\.json: \/flash\/slots is required for flash backend block/);
  const ok = await spoiled('rpi4.json', (j) => (j.flash = { backend: 'block', path: '/dev/mmcblk0p5', slots: ['/dev/mmcblk0p3', '/dev/mmcblk0p4'] }), async (d) => {
    await loadBoard(d, 'rpi4');
    throw new ProfileError('loaded');
  });
  assert.is(ok.message, 'loaded');
});

test('a board file must carry its own name; a model file its model', async () => {
  const b = await spoiled('rpi3.json', (j) => (j.board = 'rpi4'), (d) => loadBoard(d, 'rpi3'));
  assert.is(b.message, 'boards/rpi3.json: /board must be "rpi3", the file\'s name (got "rpi4")');
  const m = await spoiled('models/CP-7941G.json', (j) => (j.model = 'CP-7961G'), loadModels);
  assert.is(m.message, 'boards/models/CP-7941G.json: /model must be "CP-7941G", the file\'s name (got "CP-7961G")');
});

test('two models answering to one alias are refused', async () => {
  const err = await spoiled('models/CP-7941G.json', (j) => j.aliases.push('Cisco 7961'), loadModels);
  assert.match(err.message, /^boards\/models\/CP-7961G\.json: \/aliases: "CISCO 7961" also names CP-7941G$/);
});

test('not JSON, and an unknown board listing the available ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pfs-boards-'));
  try {
    await cp(boards, dir, { recursive: true });
    await writeFile(join(dir, 'rpi4.json'), '{ "board": "rpi4", }');
    assert.match((await loadBoard(dir, 'rpi4').catch((e) => e)).message, /rpi4\.json: not valid JSON/);
    const unknown = await loadBoard(dir, 'rpi9').catch((e) => e);
    assert.ok(unknown instanceof ProfileError);
    assert.match(unknown.message, /^unknown board "rpi9": boards in .* are rpi-zero2w, rpi3, rpi4, sim$/);
    assert.match((await loadBoard(join(dir, 'nowhere'), 'sim').catch((e) => e)).message, /nowhere: cannot read the folder \(ENOENT\)/);
    assert.match((await loadBoard(dir, '../boards/sim').catch((e) => e)).message, /^unknown board "\.\.\/boards\/sim"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('model names: the name, without CP-, and the aliases, in any case', async () => {
  const m = (await loadModels(boards)).get('CP-7961G')!;
  for (const n of ['CP-7961G', 'cp-7961g', '7961G', '7961', 'Cisco 7961', 'cisco  7961', 'IP Phone 7961']) assert.ok(isModelName(m, n), n);
  for (const n of ['CP-7961G-GE', '7941', 'Cisco 7961G-GE', '']) assert.not.ok(isModelName(m, n), n);
});

test('board paths are under the root folder, absolute ones too', () => {
  assert.is(boardPath('/', '/dev/fb0'), '/dev/fb0');
  assert.is(boardPath('/tmp/b1', 'boot/pfs.txt'), '/tmp/b1/boot/pfs.txt');
  assert.is(boardPath('/tmp/b1', '/sys/class/leds/ACT'), '/tmp/b1/sys/class/leds/ACT');
  assert.is(boardPath('/tmp/b1', '-'), '-');
});

test.run();
