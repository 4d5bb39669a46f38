import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { encodePng, render, type Screen } from '../../../src/hal/display';
import type { UpgradeView } from '../../../src/hal/view';
import { errorView, screenOf, upgradeView } from './views';

// The reference screens under test/fixtures/screens: the same views must draw the
// same pictures. PFS_UPDATE_FIXTURES=1 writes them anew (look at them before committing).
const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', 'fixtures', 'screens');
const update = process.env.PFS_UPDATE_FIXTURES === '1';

const cases: Array<[file: string, view: UpgradeView, screen: Screen]> = [
  ['CP-7961G-upgrade.png', upgradeView('CP-7961G'), screenOf('CP-7961G')],
  ['CP-7970G-upgrade.png', upgradeView('CP-7970G', 'SCCP70', '70'), screenOf('CP-7970G')],
  ['CP-7961G-error.png', errorView('CP-7961G'), screenOf('CP-7961G')],
  ['CP-7965G-upgrade.png', upgradeView('CP-7965G', 'SCCP45', '65'), screenOf('CP-7965G')],
  ['ssd1306-upgrade.png', upgradeView('CP-7961G'), { width: 128, height: 64, depth: 1, color: false }],
];

for (const [file, view, screen] of cases) {
  test(`${file} matches its reference (${screen.width}x${screen.height}, ${screen.depth} bit ${screen.color ? 'colour' : 'grey'})`, () => {
    const c = render(view, screen);
    const path = join(dir, file);
    if (update || !existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, encodePng(c));
      if (!update) assert.unreachable(`${path} was missing: written now, look at it and commit it`);
    }
    const ref = PNG.sync.read(readFileSync(path));
    assert.equal([ref.width, ref.height], [screen.width, screen.height], 'the reference has the model geometry');
    const got = c.toRgba();
    const diff = pixelmatch(ref.data, got, undefined, ref.width, ref.height, { threshold: 0.1 });
    assert.ok(diff <= Math.ceil(ref.width * ref.height * 0.002), `${diff} pixels differ from ${file}`);
  });
}

test.run();
