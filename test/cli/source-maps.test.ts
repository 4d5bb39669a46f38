import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const sourceMaps = join(repo, 'src/cli/source-maps.ts');

// A bundle of its own with a deliberate throw on a known line of a .ts file, laid
// out as the real one is (dist/x.cjs and its map, the sources in src/).
function deliberateBundle(dir: string): string {
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/deliberate.ts'), ['// line 1', 'export function deliberate(): never {', "  throw new Error('deliberate');", '}', ''].join('\n'));
  writeFileSync(
    join(dir, 'src/entry.ts'),
    [`import { mapBundleStacks } from ${JSON.stringify(sourceMaps)};`, "import { deliberate } from './deliberate';", 'mapBundleStacks(__filename);', 'setTimeout(deliberate, 1);', ''].join('\n'),
  );
  const out = join(dir, 'dist/x.cjs');
  buildSync({ entryPoints: [join(dir, 'src/entry.ts')], bundle: true, platform: 'node', format: 'cjs', sourcemap: true, outfile: out, logLevel: 'silent' });
  return out;
}

test('a crash in the bundle names the .ts file and line, from the map beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-source-maps-'));
  try {
    const bundle = deliberateBundle(dir);
    const mapped = spawnSync(process.execPath, [bundle], { encoding: 'utf8' });
    assert.is(mapped.status, 1);
    assert.match(mapped.stderr, /at \S*deliberate.* \(src\/deliberate\.ts:3:9\)/);
    assert.not.match(mapped.stderr, /x\.cjs:\d+:\d+\)/, 'no frame left unmapped in the bundle');
    // Without the map (a board given pfs.cjs alone) the stack still comes out, as the bundle's lines.
    rmSync(`${bundle}.map`);
    const bare = spawnSync(process.execPath, [bundle], { encoding: 'utf8' });
    assert.is(bare.status, 1);
    assert.match(bare.stderr, /at \S*deliberate.* \(.*x\.cjs:\d+:\d+\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the build writes dist/pfs.cjs.map and the CLI maps its own frames (needs npm run build)', () => {
  const bundle = join(repo, 'dist/pfs.cjs');
  assert.ok(existsSync(`${bundle}.map`), 'dist/pfs.cjs.map is missing: npm run build');
  assert.match(readFileSync(bundle, 'utf8').slice(-100), '//# sourceMappingURL=pfs.cjs.map');
  // A stack taken while `pfs --version` writes its line holds main's frame in the bundle.
  const probe = `
    const write = process.stdout.write.bind(process.stdout);
    let taken = false;
    process.stdout.write = (chunk, ...rest) => {
      if (!taken) { taken = true; process.stderr.write(new Error('probe').stack + '\\n'); }
      return write(chunk, ...rest);
    };
    process.argv = [process.argv[0], ${JSON.stringify(bundle)}, '--version'];
    require(${JSON.stringify(bundle)});`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stderr, /at main \(src\/cli\/main\.ts:\d+:\d+\)/);
});

test.run();
