import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const profiles = join(repo, 'src', 'profiles');

function genCheck(dir?: string): { status: number | null; out: string } {
  const args = ['--import', 'tsx', join(repo, 'scripts', 'gen-profile-validators.mjs'), '--check', ...(dir ? ['--dir', dir] : [])];
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('the committed validators are what schema.ts compiles to (else: npm run gen:profiles)', () => {
  const r = genCheck();
  assert.is(r.status, 0, r.out);
});

test('a validator that no longer matches its schema is caught', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-validators-'));
  try {
    for (const f of ['validators.js', 'validators.d.ts']) copyFileSync(join(profiles, f), join(dir, f));
    assert.is(genCheck(dir).status, 0);
    const js = readFileSync(join(dir, 'validators.js'), 'utf8');
    writeFileSync(join(dir, 'validators.js'), js.replace('"enum": ["dir", "mtd", "block"]', '"enum": ["dir", "mtd", "block", "nfs"]'));
    const r = genCheck(dir);
    assert.is(r.status, 1);
    assert.match(r.out, `${join(dir, 'validators.js')} is not what src/profiles/schema.ts compiles to: run npm run gen:profiles and commit it`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
