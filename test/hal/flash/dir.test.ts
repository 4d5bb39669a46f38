import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirFlash } from '../../../src/hal/flash/dir';
import { FlashError } from '../../../src/hal/flash/flash';
import { COMPONENTS, loadContent } from './load-content';

async function install(flash: DirFlash, load: string, opts: { skip?: string; short?: boolean } = {}) {
  await flash.beginInstall(load);
  const files = [];
  for (const name of COMPONENTS) {
    const data = loadContent(load, name);
    files.push({ name, size: data.length });
    if (name === opts.skip) continue;
    const s = await flash.openComponent(name);
    await s.writev([opts.short ? data.subarray(0, 1000) : data], 0);
    await s.close();
  }
  return files;
}

/** The booted slot holds exactly the files of its load, each complete. */
async function assertBootable(root: string) {
  const flash = new DirFlash(root);
  await flash.open();
  const sel = await flash.boot();
  if (!sel.load) return null;
  const slot = JSON.parse(await readFile(join(root, `slot${sel.slot}`, 'slot.json'), 'utf8')) as { files: { name: string }[] };
  assert.equal(slot.files.map((f) => f.name), COMPONENTS);
  for (const name of COMPONENTS) {
    const got = await readFile(join(root, `slot${sel.slot}`, name));
    assert.ok(got.equals(loadContent(sel.load, name)), `${sel.load}/${name} in slot ${sel.slot} is not that load's file`);
  }
  return sel.load;
}

const temp = () => mkdtemp(join(tmpdir(), 'pfs-flash-'));

test('install + commit switches the active load; a partial install never does', async () => {
  const root = await temp();
  try {
    const flash = new DirFlash(root);
    await flash.open();
    assert.is(await flash.activeLoad(), null);
    await flash.commit('L1', await install(flash, 'L1'));
    assert.is(await flash.activeLoad(), 'L1');
    const files = await install(flash, 'L2', { short: true });
    let err: unknown;
    await flash.commit('L2', files).catch((e) => (err = e));
    assert.ok(err instanceof FlashError && /apps41.sbn is 1000 bytes, expected/.test((err as Error).message), String(err));
    assert.is(await flash.activeLoad(), 'L1');
    const missing = await install(flash, 'L3', { skip: 'dsp41.sbn' });
    await flash.commit('L3', missing).catch((e) => (err = e));
    assert.match((err as Error).message, /dsp41.sbn is missing/);
    assert.is(await assertBootable(root), 'L1');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('beginInstall of the same load resumes what was written; of another load starts clean', async () => {
  const root = await temp();
  try {
    const flash = new DirFlash(root);
    await flash.open();
    await flash.beginInstall('L5');
    const s = await flash.openComponent('apps41.sbn');
    await s.writev([Buffer.alloc(70_000, 1)], 0);
    await s.close();
    const again = new DirFlash(root);
    await again.open();
    await again.beginInstall('L5');
    const resumed = await again.openComponent('apps41.sbn');
    assert.is(resumed.existingBytes, 70_000);
    await resumed.close();
    await again.beginInstall('L6');
    const fresh = await again.openComponent('apps41.sbn');
    assert.is(fresh.existingBytes, 0);
    await fresh.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a new load that never says it came up falls back to the old one after 3 boots', async () => {
  const root = await temp();
  try {
    const f = new DirFlash(root);
    await f.open();
    await f.commit('L1', await install(f, 'L1'));
    await f.markGood();
    await f.commit('L2', await install(f, 'L2'));
    const boots = [];
    for (let i = 0; i < 4; i++) {
      const b = new DirFlash(root);
      await b.open();
      boots.push(await b.boot(3));
    }
    assert.equal(boots.map((b) => [b.load, b.trial, b.fellBack]), [
      ['L2', true, false],
      ['L2', true, false],
      ['L2', true, false],
      ['L1', false, true],
    ]);
    assert.is(await assertBootable(root), 'L1');
    // And one that does say so stays.
    const g = new DirFlash(root);
    await g.open();
    await g.commit('L3', await install(g, 'L3'));
    await g.boot();
    await g.markGood();
    for (let i = 0; i < 5; i++) assert.is(await assertBootable(root), 'L3');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a hand-broken slot table is reported with the folder, not guessed at', async () => {
  const root = await temp();
  try {
    const f = new DirFlash(root);
    await f.open();
    await writeFile(join(root, 'state.json'), '{"active":"B"');
    let err: unknown;
    await new DirFlash(root).open().catch((e) => (err = e));
    assert.ok(err instanceof FlashError && err.message.includes(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('power cut: SIGKILL at 30 random moments of endless upgrades; every reboot finds one whole load', async () => {
  const root = await temp();
  let seed = 20261124;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const seen = new Set<string | null>();
  try {
    for (let kill = 0; kill < 30; kill++) {
      const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'upgrader.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((ok, fail) => {
        child.stdout.once('data', () => ok());
        child.once('exit', (c) => fail(new Error(`upgrader exited early (${c})`)));
      });
      await new Promise((r) => setTimeout(r, rand() * 150));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      seen.add(await assertBootable(root));
    }
    // The kills landed at different points of the cycle: several loads were seen.
    assert.ok(seen.size >= 3, `only saw loads ${[...seen].join(', ')}`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
