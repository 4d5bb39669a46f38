// What `pfs pack` refuses (issue 14): a model no board knows, a load named for another
// family, and — without --force — replacing what another load in the folder needs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packCommand } from '../../src/cli/commands/pack';
import { UsageError } from '../../src/errors';
import { loadTrust } from '../../src/loads/keys';
import { openSignedManifest } from '../../src/loads/manifest';
import { rejection, runCaptured, workspace } from './helpers';

const pack = (argv: string[]) => runCaptured((log) => packCommand.run({ argv: [...argv, '--boards-dir', 'boards'], log }));

test('regression: --model CP-0000 (no profile) and a load outside the model family are refused, nothing written', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'a.sbn'), 'a');
    const out = join(w.dir, 'srv');
    const noModel = await rejection(pack(['--load', 'SCCP41.1', '--model', 'CP-0000', '--key', w.key, join(w.build, 'a.sbn'), '-o', out]));
    assert.instance(noModel, UsageError);
    assert.match(noModel.message, /--model CP-0000: no such phone model \(models: .*CP-7961G/);
    const family = await rejection(pack(['--load', 'SCCP70.9-4-2SR2-2S', '--model', 'CP-7961G', '--key', w.key, join(w.build, 'a.sbn'), '-o', out]));
    assert.instance(family, UsageError);
    assert.match(family.message, '--load SCCP70.9-4-2SR2-2S: a load for CP-7961G starts with SCCP41');
    assert.equal(await readdir(out).catch(() => []), []);
  } finally {
    await w.close();
  }
});

test('regression: a second model packed under the same load name into the same folder is refused (it silently replaced the first model\'s manifest); --force replaces it', async () => {
  const w = await workspace();
  try {
    await writeFile(join(w.build, 'a.sbn'), 'a');
    const out = join(w.dir, 'srv');
    const args = (model: string, ...more: string[]) => ['--load', 'SCCP41.9-4-2SR2-2S', '--model', model, '--key', w.key, join(w.build, 'a.sbn'), '-o', out, ...more];
    assert.is((await pack(args('CP-7961G'))).status, 0);
    assert.is((await pack(args('CP-7961G'))).status, 0, 'the same load and model again is no conflict');
    const e = await rejection(pack(args('CP-7941G')));
    assert.instance(e, UsageError);
    assert.match(e.message, /SCCP41\.9-4-2SR2-2S\.loads is the manifest of SCCP41\.9-4-2SR2-2S for CP-7961G: packing SCCP41\.9-4-2SR2-2S for CP-7941G would replace it .*\(e\.g\. SCCP41\.9-4-2SR2-2S-7941G/);
    assert.is(openSignedManifest(await readFile(join(out, 'SCCP41.9-4-2SR2-2S.loads')), await loadTrust(w.trust), 'x').model, 'CP-7961G', 'untouched');
    assert.is((await pack(args('CP-7941G', '--force'))).status, 0);
    assert.is(openSignedManifest(await readFile(join(out, 'SCCP41.9-4-2SR2-2S.loads')), await loadTrust(w.trust), 'x').model, 'CP-7941G');
  } finally {
    await w.close();
  }
});

test('a component that another load in the folder lists with other content is refused without --force; the same content is shared', async () => {
  const w = await workspace();
  try {
    const out = join(w.dir, 'srv');
    await writeFile(join(w.build, 'apps.sbn'), 'for the 7961');
    assert.is((await pack(['--load', 'SCCP41.A-7961G', '--model', 'CP-7961G', '--key', w.key, join(w.build, 'apps.sbn'), '-o', out])).status, 0);
    assert.is((await pack(['--load', 'SCCP41.A-7941G', '--model', 'CP-7941G', '--key', w.key, join(w.build, 'apps.sbn'), '-o', out])).status, 0, 'same bytes: shared');
    await writeFile(join(w.build, 'apps.sbn'), 'rebuilt for the 7941');
    const e = await rejection(pack(['--load', 'SCCP41.B-7941G', '--model', 'CP-7941G', '--key', w.key, join(w.build, 'apps.sbn'), '-o', out]));
    assert.instance(e, UsageError);
    assert.match(e.message, /component apps\.sbn differs from the apps\.sbn that SCCP41\.A-79[46]1G \(CP-79[46]1G\)/);
    assert.is(await readFile(join(out, 'apps.sbn'), 'utf8'), 'for the 7961', 'not replaced');
    assert.not.ok((await readdir(out)).includes('SCCP41.B-7941G.loads'));
  } finally {
    await w.close();
  }
});

test.run();
