import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirFlash } from '../../../src/hal/flash/dir';
import type { Flash } from '../../../src/hal/flash/flash';
import type { FlashFs } from '../../../src/hal/flash/fs';
import { MemFs, memFlash, PowerCut } from '../../../src/hal/flash/mem';
import { flashCompliance } from './compliance';
import { assertWholeLoad, install, upgrade } from './load-content';

flashCompliance('mem', async () => {
  const fs = new MemFs();
  return {
    async power() {
      const f = memFlash(fs);
      await f.open();
      return f;
    },
    async dispose() {},
  };
});

const isCut = (e: unknown): boolean => e instanceof PowerCut || (e instanceof Error && isCut(e.cause));

/** Seeded, so a failure names the cut and the seed that reproduce it. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/**
 * A board's life through two upgrades: L2 installed and marked good, then L3
 * committed and never coming up, so the next boots fall back to L2. `allowed` is
 * updated before each step: the loads a power cut during it may leave booting.
 */
interface Progress {
  now: string[];
  /** The load being written into the inactive slot. */
  installing?: string;
}

async function life(flash: Flash, allowed: Progress): Promise<void> {
  await flash.open();
  await flash.boot();
  allowed.now = ['L1'];
  allowed.installing = 'L2';
  const l2 = await install(flash, 'L2', { chunk: 100_000, sync: false });
  allowed.now = ['L1', 'L2'];
  await flash.commit('L2', l2);
  allowed.now = ['L2'];
  await flash.markGood();
  allowed.installing = 'L3';
  const l3 = await install(flash, 'L3', { chunk: 100_000, sync: false });
  allowed.now = ['L2', 'L3'];
  await flash.commit('L3', l3);
  // Reboots of a load that never comes up: the fourth falls back.
  allowed.now = ['L3', 'L2'];
  allowed.installing = undefined;
  for (let i = 0; i < 4; i++) await flash.boot(3);
}

/** A board with L1 installed and good, on `fs`. */
async function factory(fs: FlashFs): Promise<void> {
  const f = new DirFlash('/flash', { fs, kind: 'mem' });
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
}

/**
 * Cuts the power at every change of the board's life in turn (`seeds` times each,
 * with different choices of what unsynced data survives), powers on, and checks
 * what boots. Returns the cuts where the check failed, and how many changes a life has.
 */
async function cutEverywhere(seeds: number, wrap: (fs: MemFs) => FlashFs = (fs) => fs) {
  const dry = new MemFs();
  await factory(wrap(dry));
  const start = dry.changeCount;
  await life(new DirFlash('/flash', { fs: wrap(dry), kind: 'mem' }), { now: [] });
  const changes = dry.changeCount - start;
  const failures: string[] = [];
  const outcomes = new Map<string, number>();
  const kept = { bytes: 0 };
  for (let cut = 1; cut <= changes; cut++) {
    for (let seed = 1; seed <= seeds; seed++) {
      const fs = new MemFs();
      await factory(wrap(fs));
      fs.cutAfter(cut);
      const allowed: Progress = { now: ['L1'] };
      const died = await life(new DirFlash('/flash', { fs: wrap(fs), kind: 'mem' }), allowed).then(
        () => false,
        (e) => {
          if (!isCut(e)) throw e;
          return true;
        },
      );
      assert.ok(died, `cut ${cut} did not happen`);
      try {
        const after = wrap(fs.afterPowerCut(random(cut * 1000 + seed)));
        const f = new DirFlash('/flash', { fs: after, kind: 'mem' });
        await f.open();
        await f.boot(3);
        const load = await assertWholeLoad(f, `cut ${cut} seed ${seed}: `);
        assert.ok(load && allowed.now.includes(load), `cut ${cut} seed ${seed}: booted ${load}, expected one of ${allowed.now}`);
        outcomes.set(load!, (outcomes.get(load!) ?? 0) + 1);
        // And the board is not stuck: the upgrade that was cut goes through, keeping what is right.
        const next = allowed.installing ?? 'L4';
        if (next !== load) {
          await f.commit(next, await install(f, next, { kept }));
          await f.markGood();
          const again = new DirFlash('/flash', { fs: after, kind: 'mem' });
          await again.open();
          assert.is(await assertWholeLoad(again), next);
        }
      } catch (e) {
        failures.push((e as Error).message.split('\n')[0]!);
      }
    }
  }
  return { changes, failures, outcomes, kept: kept.bytes, runs: changes * seeds };
}

test('power cut at every change of two upgrades, losing any unsynced data: every power-on boots one whole load', async () => {
  const { changes, failures, outcomes, kept, runs } = await cutEverywhere(4);
  console.log(`      ${runs} power cuts over ${changes} changes: booted ${[...outcomes].map(([l, n]) => `${l} ×${n}`).join(', ')}; resumes kept ${(kept / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(changes > 50, `a life is only ${changes} changes`);
  assert.equal(failures, []);
  // The cuts covered both sides of every switch.
  assert.equal([...outcomes.keys()].sort(), ['L1', 'L2', 'L3']);
  assert.ok(kept > 0, 'no resume kept anything');
});

test('the cut test has teeth: on a disk that ignores fsync it finds boards that boot a broken load', async () => {
  // What the test would see if the back-end skipped a sync: nothing reaches the medium before its folder does.
  const lying = (fs: MemFs): FlashFs => ({
    ...bind(fs),
    open: async (path, mode) => ({ ...(await fs.open(path, mode)), sync: async () => {} }),
  });
  const { failures } = await cutEverywhere(2, lying);
  assert.ok(failures.length > 0, 'no cut found the missing fsync');
});

function bind(fs: MemFs): FlashFs {
  return {
    open: (p, m) => fs.open(p, m),
    readFile: (p) => fs.readFile(p),
    size: (p) => fs.size(p),
    rename: (a, b) => fs.rename(a, b),
    unlink: (p) => fs.unlink(p),
    readdir: (p) => fs.readdir(p),
    mkdir: (p) => fs.mkdir(p),
    syncDir: (p) => fs.syncDir(p),
  };
}

test.run();
