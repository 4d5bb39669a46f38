import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = join(repo, 'scripts', 'check-layers.mjs');

/** Runs the check on a tree of `files` (path under src/ -> text), or on the repository's src/ when none. */
function check(files?: Record<string, string>): { status: number | null; out: string[] } {
  let dir: string | undefined;
  const args = [script];
  if (files) {
    dir = mkdtempSync(join(tmpdir(), 'pfs-layers-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'src', path)), { recursive: true });
      writeFileSync(join(dir, 'src', path), text);
    }
    args.push(join(dir, 'src'));
  }
  try {
    const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
    return { status: r.status, out: (r.stdout + r.stderr).trim().split('\n') };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** A small tree that obeys the order: cli -> boot -> hal -> loads -> dload -> log -> errors.ts. */
const clean: Record<string, string> = {
  'errors.ts': 'export class PfsError extends Error {}\n',
  'log/logger.ts': "import { PfsError } from '../errors';\nexport const log = PfsError;\n",
  'dload/index.ts': "export { log } from '../log/logger';\n",
  'loads/manifest.ts': "import type { log } from '../dload';\nexport type M = typeof log;\n",
  'hal/flash.ts': "import {\n  type M,\n} from '../loads/manifest';\nexport type F = M;\n",
  'boot/boot.ts': "export * from '../hal/flash';\nimport '../log/logger';\n",
  'cli/main.ts': "// import { x } from '../nowhere';\nconst boot = await import('../boot/boot');\nexport { boot };\n",
};

test('the repository itself: every import goes down, no cycle', () => {
  const r = check();
  assert.is(r.status, 0, r.out.join('\n'));
  assert.match(r.out.at(-1)!, /^layers: \d+ files, every import goes down, no cycle$/);
});

test('a tree in order passes; an import in a comment is not an import', () => {
  const r = check(clean);
  assert.is(r.status, 0, r.out.join('\n'));
});

test('an upward import fails the check, naming both files and the layers', () => {
  const r = check({ ...clean, 'hal/display.ts': "import type { BoardProfile } from '../boot/profiles';\nexport type D = BoardProfile;\n", 'boot/profiles.ts': 'export interface BoardProfile {}\n' });
  assert.is(r.status, 1);
  assert.equal(r.out.slice(0, -1), ['src/hal/display.ts -> src/boot/profiles.ts (hal may not import boot: it is a higher layer)']);
  assert.match(r.out.at(-1)!, /^layers: 1 problem; the order, bottom first: src\/\*\.ts <- log\/units.* <- dload <- .* <- cli$/);
});

test('every form of import is seen: type, multi-line, re-export, side effect, dynamic', () => {
  const forms = [
    "import type { B } from '../boot/b';",
    "import {\n  b,\n  type B,\n} from '../boot/b';",
    "export { b } from '../boot/b';",
    "export * from '../boot/b';",
    "import '../boot/b';",
    "const m = await import('../boot/b');",
    'import { b } from "../boot/b.ts";',
  ];
  for (const form of forms) {
    const r = check({ ...clean, 'boot/b.ts': 'export const b = 1;\nexport type B = number;\n', 'hal/a.ts': `${form}\nexport {};\n` });
    assert.is(r.status, 1, form);
    assert.is(r.out[0], 'src/hal/a.ts -> src/boot/b.ts (hal may not import boot: it is a higher layer)', form);
  }
});

test('a file-level cycle fails the check, even through type-only imports', () => {
  const r = check({
    ...clean,
    'loads/keys.ts': "import type { TrustedKey } from './manifest';\nexport const keyId = (k: TrustedKey) => k;\n",
    'loads/manifest.ts': "import { keyId } from './keys';\nexport interface TrustedKey {}\nexport const id = keyId;\n",
  });
  assert.is(r.status, 1);
  assert.equal(r.out.slice(0, -1), ['import cycle: src/loads/keys.ts -> src/loads/manifest.ts -> src/loads/keys.ts']);
});

test('sideways between folders of one layer, a folder in no layer, and an import that names no file', () => {
  const r = check({
    ...clean,
    'net/wan.ts': "import { M } from '../sim/model';\nexport const w = M;\n",
    'sim/model.ts': 'export const M = 1;\n',
    'misc/x.ts': "import { nothing } from './gone';\nexport const x = nothing;\n",
  });
  assert.is(r.status, 1);
  assert.equal(r.out.slice(0, -1).sort(), [
    'src/misc/ is in no layer: add it to LAYERS in scripts/check-layers.mjs',
    "src/misc/x.ts imports './gone', which names no file",
    'src/net/wan.ts -> src/sim/model.ts (net may not import sim: they are one layer, independent of each other)',
  ]);
});

test.run();
