// The profiles built into the program ('(built in)', src/profiles/builtin.ts): what a
// release executable or pfs.cjs copied alone reads when no boards/ folder is beside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir } from 'node:fs/promises';
import { BUILTIN_BOARDS_DIR, loadBoard, loadModels, ProfileError } from '../../src/profiles';
import { listBoards } from '../../src/profiles/load';

test('the built-in profiles are every board and model file of boards/', async () => {
  const boards = (await readdir('boards')).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  const models = (await readdir('boards/models')).filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)).sort();
  assert.equal(await listBoards(BUILTIN_BOARDS_DIR), boards);
  assert.equal([...(await loadModels(BUILTIN_BOARDS_DIR)).keys()].sort(), models);
  const sim = await loadBoard(BUILTIN_BOARDS_DIR, 'sim');
  assert.equal(sim, await loadBoard('boards', 'sim'));
});

test('an unknown board among the built-in ones names them', async () => {
  try {
    await loadBoard(BUILTIN_BOARDS_DIR, 'rpi9');
    assert.unreachable('rpi9 is not a board');
  } catch (e) {
    assert.instance(e, ProfileError);
    assert.match((e as Error).message, /unknown board "rpi9": boards in \(built in\) are .*rpi4.*sim/);
  }
});

test.run();
