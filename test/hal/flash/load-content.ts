import * as assert from 'uvu/assert';
import { seededBytes } from '../../../src/lab/firmware';
import type { Flash } from '../../../src/hal/flash/flash';

export const COMPONENTS = ['apps41.sbn', 'cnu41.sbn', 'dsp41.sbn'];

/** What component `name` of load `load` (L1, L2, ...) holds: the checker knows it without being told. */
export function loadContent(load: string, name: string): Buffer {
  const n = Number(load.slice(1));
  return seededBytes(`${load}/${name}`, 200_000 + (n % 7) * 10_000 + COMPONENTS.indexOf(name) * 777);
}

export const filesOf = (load: string) => COMPONENTS.map((name) => ({ name, size: loadContent(load, name).length }));

/**
 * Writes `load` into the inactive slot the way the download engine does: in
 * chunks at positions, from the part of what is already there that is right
 * (`kept` counts those bytes). `skip`: leave that file out;
 * `short`: write only its first 1000 bytes; `sync: false`: leave syncing to commit;
 * `plan`: planCommit the whole load before writing, as the upgrade does. Does not commit.
 */
export async function install(flash: Flash, load: string, opts: { skip?: string; short?: string; chunk?: number; sync?: boolean; plan?: boolean; kept?: { bytes: number } } = {}) {
  await flash.beginInstall(load);
  if (opts.plan) await flash.planCommit!(load, filesOf(load));
  const chunk = opts.chunk ?? 65_536;
  for (const name of COMPONENTS) {
    if (name === opts.skip) continue;
    const data = loadContent(load, name);
    const end = name === opts.short ? 1000 : data.length;
    const s = await flash.openComponent(name);
    try {
      // Keep only what is really there, as the engine does with its per-block hashes.
      let from = Math.min(s.existingBytes, end);
      if (from > 0) {
        const have = Buffer.alloc(from);
        from = Math.min(from, await s.read(have, 0, from, 0));
        for (let i = 0; i < from; i++) if (have[i] !== data[i]) from = i;
      }
      if (opts.kept) opts.kept.bytes += from;
      await s.truncate(from);
      for (let off = from; off < end; off += chunk) await s.writev([data.subarray(off, Math.min(off + chunk, end))], off);
      if (opts.sync !== false) await s.sync();
    } finally {
      await s.close();
    }
  }
  return filesOf(load);
}

export async function upgrade(flash: Flash, load: string): Promise<void> {
  await flash.commit(load, await install(flash, load));
}

/** Every byte of the active load's `name`, read through the interface to its end. */
export async function readAll(flash: Flash, name: string): Promise<Buffer | null> {
  const r = await flash.readActive(name);
  if (!r) return null;
  const parts: Buffer[] = [];
  try {
    for (let pos = 0; ; ) {
      const b = Buffer.alloc(65_536);
      const n = await r.read(b, 0, b.length, pos);
      if (n === 0) break;
      parts.push(b.subarray(0, n));
      pos += n;
    }
  } finally {
    await r.close();
  }
  return Buffer.concat(parts);
}

/** The active load is one whole load: every component present, exactly its bytes. Returns its name. */
export async function assertWholeLoad(flash: Flash, context = ''): Promise<string | null> {
  const load = await flash.activeLoad();
  if (load === null) return null;
  for (const name of COMPONENTS) {
    const got = await readAll(flash, name);
    assert.ok(got, `${context}${load}: ${name} is missing`);
    assert.ok(got!.equals(loadContent(load, name)), `${context}${load}: ${name} is not that load's file (${got!.length} bytes, expected ${loadContent(load, name).length})`);
  }
  return load;
}

/** Runs `fn` and returns what it threw (fails if it did not). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    return e as Error;
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
