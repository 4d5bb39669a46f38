import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { DirFlash } from '../../../src/hal/flash/dir';
import { sleep } from '../../helpers/net';
import { FlashError } from '../../../src/hal/flash/flash';
import type { FlashFs } from '../../../src/hal/flash/fs';
import { MemFs } from '../../../src/hal/flash/mem';
import { flashCompliance } from './compliance';
import { assertWholeLoad, COMPONENTS, filesOf, install, rejection, upgrade } from './load-content';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-flash-'));

async function opened(root: string): Promise<DirFlash> {
  const f = new DirFlash(root);
  await f.open();
  return f;
}

flashCompliance('dir', async () => {
  const root = await temp();
  return { power: () => opened(root), dispose: () => rm(root, { recursive: true, force: true }) };
});

test('the folder holds the layout docs/FLASH.md describes', async () => {
  const root = await temp();
  try {
    const f = await opened(root);
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    assert.equal(JSON.parse(await readFile(join(root, 'state.json'), 'utf8')), { active: 'B', previous: 'A', trial: true, boots: 0 });
    const slot = JSON.parse(await readFile(join(root, 'slotB', 'slot.json'), 'utf8'));
    assert.equal([slot.load, slot.files.map((x: { name: string }) => x.name)], ['L2', COMPONENTS]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a hand-broken slot table is reported with the folder and the file, not guessed at', async () => {
  const root = await temp();
  try {
    await opened(root);
    await writeFile(join(root, 'state.json'), '{"active":"B"');
    const bad = await rejection(() => opened(root));
    assert.ok(bad instanceof FlashError && bad.code === 'PFS_ERR_FLASH_STATE', String(bad));
    assert.ok(bad.message.startsWith(`flash ${root} state.json: not JSON`), bad.message);
    await writeFile(join(root, 'state.json'), '{"active":"B","previous":null,"trial":false,"boots":0}');
    const empty = await rejection(() => opened(root));
    assert.match(empty.message, /names slot B active, but slotB\/slot.json is missing/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('what an interrupted commit leaves is repaired at open, and the same load resumes whole', async () => {
  const root = await temp();
  try {
    const f = await opened(root);
    await upgrade(f, 'L1');
    await f.markGood();
    await upgrade(f, 'L2');
    await f.markGood();
    // As if cut between writing slotA's manifest and the switch: slotA complete but not named.
    await install(f, 'L3');
    await writeFile(join(root, 'slotA', 'slot.json'), JSON.stringify({ load: 'L3', files: [] }));
    await writeFile(join(root, 'state.json.tmp'), 'half');
    const g = await opened(root);
    assert.equal((await g.status()).slots, { A: null, B: 'L2' });
    await assert.not.throws(() => readFile(join(root, 'slotA', 'installing.json')));
    await g.beginInstall('L3');
    const s = await g.openComponent(COMPONENTS[0]!);
    assert.ok(s.existingBytes > 0, 'the written files were kept for the resume');
    await s.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('commit syncs the components at once, and a failed one fails it only after every other sync is done', async () => {
  const mem = new MemFs();
  let running = 0;
  let most = 0;
  // The commit's syncs (on files it opens to read): cnu41.sbn fails at once, the others take a while.
  const fs: FlashFs = Object.create(mem, {
    open: {
      value: async (path: string, mode: 'read' | 'write') => {
        const f = await mem.open(path, mode);
        if (mode === 'write') return f;
        return {
          ...f,
          async sync() {
            most = Math.max(most, ++running);
            try {
              await sleep(path.endsWith('cnu41.sbn') ? 0 : 30);
              if (path.endsWith('cnu41.sbn')) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
              await f.sync();
            } finally {
              running--;
            }
          },
        };
      },
    },
  });
  const flash = new DirFlash('/flash', { fs, kind: 'mem' });
  await flash.open();
  const e = await rejection(async () => flash.commit('L1', await install(flash, 'L1', { sync: false })));
  assert.instance(e, FlashError);
  assert.match(String((e as Error).message), /cnu41\.sbn.*EIO/);
  assert.is(running, 0, 'commit failed while a sync of another component was still running');
  assert.is(most, COMPONENTS.length, 'the component syncs ran one after the other');
  assert.is(await flash.activeLoad(), null, 'a commit whose sync failed made its load active');
});

/**
 * A MemFs whose syncs (file and folder) each take a moment, counted while `on` is set:
 * `syncs` in all, and `rounds`, the waits one after another (a sync that starts while
 * none runs begins a round): what the time from the last byte to the switch is made of.
 */
function countingSyncs(mem: MemFs): { fs: FlashFs; count: { on: boolean; syncs: number; rounds: number } } {
  const count = { on: false, syncs: 0, rounds: 0 };
  let running = 0;
  const timed = async (sync: () => Promise<void>) => {
    if (count.on) {
      count.syncs++;
      if (running++ === 0) count.rounds++;
    }
    try {
      await sleep(5);
      await sync();
    } finally {
      if (count.on) running--;
    }
  };
  const fs: FlashFs = Object.create(mem, {
    open: {
      value: async (path: string, mode: 'read' | 'write') => {
        const f = await mem.open(path, mode);
        return { ...f, sync: () => timed(() => f.sync()) };
      },
    },
    syncDir: { value: (path: string) => timed(() => mem.syncDir(path)) },
  });
  return { fs, count };
}

test('a commit planned during the download waits for the medium twice: the bytes with the new table, then the switch', async () => {
  const waits = async (plan: boolean) => {
    const mem = new MemFs();
    const { fs, count } = countingSyncs(mem);
    const flash = new DirFlash('/flash', { fs, kind: 'mem' });
    await flash.open();
    const files = await install(flash, 'L1', { sync: false, plan });
    count.on = true;
    await flash.commit('L1', files);
    count.on = false;
    // And it is the whole load, on the medium: what a power cut right after the commit leaves.
    const after = new DirFlash('/flash', { fs: mem.afterPowerCut(() => 0), kind: 'mem' });
    await after.open();
    assert.is(await assertWholeLoad(after), 'L1');
    return [count.syncs, count.rounds];
  };
  // Each file and state.json's staged copy at once; then, without the plan, slot.json (file, then
  // folder); then the rename of state.json and its folder's sync, the switch.
  assert.equal(await waits(false), [COMPONENTS.length + 4, 4]);
  assert.equal(await waits(true), [COMPONENTS.length + 2, 2]);
});

test('a commit of other files than were planned writes its own slot.json', async () => {
  const root = await temp();
  try {
    const f = await opened(root);
    await f.beginInstall('L1');
    // Planned with one component too many and another of the wrong size.
    const real = filesOf('L1');
    await f.planCommit('L1', [...real.slice(1), { name: real[0]!.name, size: 1 }, { name: 'extra.sbn', size: 5 }]);
    const files = await install(f, 'L1');
    await f.commit('L1', files);
    const slot = JSON.parse(await readFile(join(root, 'slotA', 'slot.json'), 'utf8'));
    assert.equal(slot, { load: 'L1', files: real });
    const g = await opened(root);
    assert.is(await assertWholeLoad(g), 'L1');
    // A plan for a load other than the one being installed is a program error, as such a commit is.
    await g.beginInstall('L2');
    const wrong = await rejection(() => g.planCommit('L3', filesOf('L3')));
    assert.ok(wrong instanceof FlashError && wrong.code === 'PFS_ERR_FLASH_SEQUENCE', String(wrong));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('power cut: SIGKILL at 40 random moments of endless upgrades; every reboot finds one whole load', async () => {
  const root = await temp();
  let seed = 20261124;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const seen = new Map<string, number>();
  const at = new Map<string, number>();
  const started = Date.now();
  // Built once to plain JavaScript: 40 starts under tsx would cost ~0.3 s of CPU each.
  const upgrader = join(root, '..', `${root.split('/').pop()}-upgrader.mjs`);
  await build({ entryPoints: [join(import.meta.dirname, 'upgrader.ts')], outfile: upgrader, bundle: true, platform: 'node', format: 'esm', logLevel: 'error' });
  try {
    for (let kill = 0; kill < 40; kill++) {
      const child = spawn(process.execPath, [upgrader, root], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let step = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((ok, fail) => {
        child.stdout.on('data', (d: string) => {
          // `ready` and the first `write` can come in one chunk (a loaded machine): look at every line.
          const lines = d.trimEnd().split('\n');
          step = lines.at(-1)!;
          if (lines.includes('ready')) ok();
        });
        child.once('exit', (c) => fail(new Error(`upgrader exited early (${c})`)));
      });
      await sleep(rand() * 50); // the scenario: power lost at a random moment
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      at.set(step, (at.get(step) ?? 0) + 1);
      // Reboot: open, boot, and read the active load through the interface.
      const flash = await opened(root);
      await flash.boot();
      const load = await assertWholeLoad(flash, `kill ${kill} (during ${step}): `);
      seen.set(String(load), (seen.get(String(load)) ?? 0) + 1);
    }
    const s = ((Date.now() - started) / 1000).toFixed(1);
    const list = (m: Map<string, number>) => [...m].map(([k, n]) => `${k} ×${n}`).join(', ');
    console.log(`      40 kills in ${s} s, during ${list(at)}; ${seen.size} different loads booted, each whole`);
    // The kills landed at different points of the cycle: several loads were seen.
    assert.ok(seen.size >= 3, `only saw loads ${list(seen)}`);
    assert.ok((at.get('write') ?? 0) > 0, 'no kill landed while writing');
  } finally {
    await rm(root, { recursive: true, force: true });
    await rm(upgrader, { force: true });
  }
});

test.run();
