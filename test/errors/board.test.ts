// The codes a board meets before it talks to anyone: its identity, its network
// interface, and a back-end that needs the native addon where the addon is missing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PfsError } from '../../src/errors';
import { macOf, normaliseMac } from '../../src/boot/identity';
import { subnetOf } from '../../src/boot/subnet';
import { tmpDir } from '../helpers/index';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function pfsThrow(fn: () => unknown): PfsError {
  try {
    fn();
  } catch (e) {
    assert.instance(e, PfsError, String(e));
    return e as PfsError;
  }
  assert.unreachable('expected a throw');
  throw new Error('unreachable');
}

test('PFS_ERR_IDENTITY: a malformed MAC, or an interface that is not there, names what was given', async () => {
  let e = pfsThrow(() => normaliseMac('00:1b:d5:08:00'));
  assert.is(e.code, 'PFS_ERR_IDENTITY');
  assert.match(e.message, '"00:1b:d5:08:00" is not a MAC address');
  const sys = await tmpDir('pfs-errors-board-');
  try {
    e = pfsThrow(() => macOf('pfsnosuch0', { sysfsRoot: sys.path }));
    assert.is(e.code, 'PFS_ERR_IDENTITY');
    assert.match(e.message, 'network interface pfsnosuch0 not found');
  } finally {
    await sys.cleanup();
  }
});

test('PFS_ERR_NETWORK: the board file naming an interface this machine lacks', () => {
  const e = pfsThrow(() => subnetOf('pfsnosuch0'));
  assert.is(e.code, 'PFS_ERR_NETWORK');
  assert.match(e.message, 'network interface pfsnosuch0 not found');
});

test('PFS_ERR_NATIVE: where the addon is not built, a back-end that needs it names itself and the places looked', async () => {
  // The loader looks beside its own file and the script started; a copy of it in an
  // empty folder is a machine without the addon, whatever this checkout has built.
  const dir = await tmpDir('pfs-errors-native-');
  try {
    mkdirSync(join(dir.path, 'src', 'hal'), { recursive: true });
    mkdirSync(join(dir.path, 'src', 'io'), { recursive: true });
    for (const f of ['errors.ts', 'error-codes.ts', 'hal/native.ts', 'io/self.ts']) copyFileSync(join(repo, 'src', f), join(dir.path, 'src', f));
    const script = join(dir.path, 'probe.ts');
    writeFileSync(
      script,
      `import { requireNative } from './src/hal/native';
try {
  requireNative('display back-end fbdev (board rpi4)');
  console.log(JSON.stringify({ loaded: true }));
} catch (e) {
  console.log(JSON.stringify({ code: (e as { code?: string }).code, message: (e as Error).message }));
}
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repo, encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as { code?: string; message?: string; loaded?: boolean };
    assert.is(out.code, 'PFS_ERR_NATIVE', r.stdout);
    assert.match(out.message!, 'display back-end fbdev (board rpi4) needs the native addon');
    assert.match(out.message!, dir.path);
    assert.match(out.message!, 'npm run build:native');
  } finally {
    await dir.cleanup();
  }
});

test.run();
