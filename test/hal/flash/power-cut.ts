// The power-cut test, for every back-end whose medium can sit on a MemFs: `mem`
// (the dir protocol on it), `block` (image files on it), `mtd` (the emulated chip's
// file on it). MemFs keeps apart what was written and what is on the medium, and
// cuts the power at a chosen change.
import * as assert from 'uvu/assert';
import type { Flash } from '../../../src/hal/flash/flash';
import type { FlashFs } from '../../../src/hal/flash/fs';
import { MemFs, PowerCut } from '../../../src/hal/flash/mem';
import { assertWholeLoad, install, upgrade } from './load-content';

/** How to put a back-end on a MemFs. */
export interface CutRig {
  /** Makes a blank board's medium (image files, erased partitions); its changes are not cut. */
  format(fs: MemFs): Promise<void>;
  /** A Flash on `fs`, not yet opened: one power-on. */
  flash(fs: FlashFs): Flash;
}

export const isCut = (e: unknown): boolean => e instanceof PowerCut || (e instanceof Error && isCut(e.cause));

/** Seeded, so a failure names the cut and the seed that reproduce it. */
export function random(seed: number): () => number {
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
  // L2 as the upgrade writes it on a back-end that plans its commit (slot.json ahead), L3 without.
  const l2 = await install(flash, 'L2', { chunk: 100_000, sync: false, plan: !!flash.planCommit });
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

/** A blank medium, then L1 installed and good. */
async function factory(rig: CutRig, fs: MemFs, wrap: (fs: MemFs) => FlashFs): Promise<void> {
  await rig.format(fs);
  const f = rig.flash(wrap(fs));
  await f.open();
  await upgrade(f, 'L1');
  await f.markGood();
}

export interface CutResult {
  /** Changes of the medium in one life: each is cut `seeds` times. */
  changes: number;
  runs: number;
  failures: string[];
  /** How often each load booted after a cut. */
  outcomes: Map<string, number>;
  /** Bytes the resumed upgrades kept (verified) rather than wrote again. */
  kept: number;
}

/**
 * Cuts the power at every change of the board's life in turn (`seeds` times each,
 * with different choices of what unsynced data survives), powers on, and checks
 * what boots: one whole load of those allowed at that point. Then the upgrade that
 * was cut must go through, keeping what is right. `wrap` misbehaves the medium, to
 * show the test notices.
 */
export async function cutEverywhere(rig: CutRig, seeds: number, wrap: (fs: MemFs) => FlashFs = (fs) => fs): Promise<CutResult> {
  const dry = new MemFs();
  await factory(rig, dry, wrap);
  const start = dry.changeCount;
  await life(rig.flash(wrap(dry)), { now: [] });
  const changes = dry.changeCount - start;
  const failures: string[] = [];
  const outcomes = new Map<string, number>();
  const kept = { bytes: 0 };
  for (let cut = 1; cut <= changes; cut++) {
    for (let seed = 1; seed <= seeds; seed++) {
      const fs = new MemFs();
      await factory(rig, fs, wrap);
      fs.cutAfter(cut);
      const allowed: Progress = { now: ['L1'] };
      const died = await life(rig.flash(wrap(fs)), allowed).then(
        () => false,
        (e) => {
          if (!isCut(e)) throw e;
          return true;
        },
      );
      assert.ok(died, `cut ${cut} did not happen`);
      try {
        const after = wrap(fs.afterPowerCut(random(cut * 1000 + seed)));
        const f = rig.flash(after);
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
          const again = rig.flash(after);
          await again.open();
          assert.is(await assertWholeLoad(again), next);
        }
      } catch (e) {
        failures.push(`cut ${cut} seed ${seed}: ${(e as Error).message.split('\n')[0]!}`);
      }
    }
  }
  return { changes, failures, outcomes, kept: kept.bytes, runs: changes * seeds };
}

/** The checks every back-end's cut test makes, with a line for the log. */
export function assertSurvived(kind: string, r: CutResult): void {
  console.log(
    `      ${kind}: ${r.runs} power cuts over ${r.changes} changes: booted ${[...r.outcomes].map(([l, n]) => `${l} ×${n}`).join(', ')}; resumes kept ${(r.kept / 2 ** 20).toFixed(1)} MiB`,
  );
  assert.ok(r.changes > 50, `a life is only ${r.changes} changes`);
  assert.equal(r.failures, []);
  // The cuts covered both sides of every switch.
  assert.equal([...r.outcomes.keys()].sort(), ['L1', 'L2', 'L3']);
  assert.ok(r.kept > 0, 'no resume kept anything');
}

/** A MemFs whose files' sync does nothing: a disk that ignores fsync. */
export function ignoringFsync(fs: MemFs): FlashFs {
  return {
    open: async (path, mode) => ({ ...(await fs.open(path, mode)), sync: async () => {} }),
    readFile: (p) => fs.readFile(p),
    size: (p) => fs.size(p),
    rename: (a, b) => fs.rename(a, b),
    unlink: (p) => fs.unlink(p),
    readdir: (p) => fs.readdir(p),
    mkdir: (p) => fs.mkdir(p),
    syncDir: (p) => fs.syncDir(p),
  };
}
