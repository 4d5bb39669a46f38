import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isPlainName } from '../../loads/manifest';
import { syncDir, writeAtomic } from './atomic';
import { FlashError, type BootSelection, type ComponentStore, type Flash, type SlotName } from './flash';

/** The slot table (state.json). Only ever replaced whole, atomically. */
interface State {
  active: SlotName | null;
  /** The slot to fall back to while `active` is on trial or after a rollback; null when overwritten. */
  previous: SlotName | null;
  trial: boolean;
  /** Boots of the trial load so far. */
  boots: number;
}

/** What a complete slot holds (slot.json), written only at commit. */
interface SlotContent {
  load: string;
  files: { name: string; size: number }[];
}

const other = (s: SlotName): SlotName => (s === 'A' ? 'B' : 'A');
const BLANK: State = { active: null, previous: null, trial: false, boots: 0 };

/**
 * The `dir` back-end: a board in a folder. `slotA/` and `slotB/` hold the files of
 * one load each; `state.json` names the active slot. A slot counts as bootable only
 * with its `slot.json`, written at commit after every file is synced, and the
 * switch is the atomic replacement of `state.json`.
 */
export class DirFlash implements Flash {
  readonly kind = 'dir';
  private state: State = { ...BLANK };
  private installing?: { slot: SlotName; load: string };

  constructor(readonly root: string) {}

  private slotDir(s: SlotName): string {
    return join(this.root, `slot${s}`);
  }

  async open(): Promise<void> {
    for (const s of ['A', 'B'] as const) await mkdir(this.slotDir(s), { recursive: true });
    try {
      const raw = JSON.parse(await readFile(join(this.root, 'state.json'), 'utf8')) as State;
      this.state = { ...BLANK, ...raw };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FlashError(this.root, `state.json unreadable: ${(e as Error).message}`);
      this.state = { ...BLANK };
    }
    // A slot named active must be complete; state.json is only written after slot.json, so this holds.
    if (this.state.active && !(await this.content(this.state.active))) {
      throw new FlashError(this.root, `active slot ${this.state.active} has no slot.json: the folder was changed by hand`);
    }
  }

  private async content(s: SlotName): Promise<SlotContent | null> {
    try {
      return JSON.parse(await readFile(join(this.slotDir(s), 'slot.json'), 'utf8')) as SlotContent;
    } catch {
      return null;
    }
  }

  private async save(next: State): Promise<void> {
    await writeAtomic(join(this.root, 'state.json'), JSON.stringify(next) + '\n');
    this.state = next;
  }

  async boot(maxTrials = 3): Promise<BootSelection> {
    const st = this.state;
    if (!st.active) return { slot: null, load: null, trial: false, fellBack: false };
    if (st.trial) {
      if (st.boots >= maxTrials && st.previous) {
        const failed = st.active;
        await this.save({ active: st.previous, previous: null, trial: false, boots: 0 });
        // The failed slot is no longer bootable: drop its marker so it is never mistaken for good.
        await rm(join(this.slotDir(failed), 'slot.json'), { force: true });
        return { slot: this.state.active, load: (await this.content(this.state.active!))?.load ?? null, trial: false, fellBack: true };
      }
      await this.save({ ...st, boots: st.boots + 1 });
    }
    return { slot: st.active, load: (await this.content(st.active))?.load ?? null, trial: this.state.trial, fellBack: false };
  }

  async activeLoad(): Promise<string | null> {
    return this.state.active ? ((await this.content(this.state.active))?.load ?? null) : null;
  }

  async beginInstall(load: string): Promise<void> {
    const slot = this.state.active ? other(this.state.active) : 'A';
    const dir = this.slotDir(slot);
    let marker: { load?: string } = {};
    try {
      marker = JSON.parse(await readFile(join(dir, 'installing.json'), 'utf8'));
    } catch {
      // not an interrupted install
    }
    this.installing = { slot, load };
    if (marker.load === load) return; // resume: keep what is there
    // This slot may be the fallback: stop pointing at it before its files go.
    if (this.state.previous === slot) await this.save({ ...this.state, previous: null });
    await rm(join(dir, 'slot.json'), { force: true });
    for (const n of await readdir(dir)) await rm(join(dir, n), { recursive: true, force: true });
    await syncDir(dir);
    await writeAtomic(join(dir, 'installing.json'), JSON.stringify({ load }) + '\n');
  }

  async openComponent(file: string): Promise<ComponentStore> {
    const inst = this.installing;
    if (!inst) throw new FlashError(this.root, `openComponent(${file}) before beginInstall`);
    if (!isPlainName(file) || file === 'slot.json' || file === 'installing.json' || file === 'state.json') {
      throw new FlashError(this.root, `"${file}" is not a component name`);
    }
    const path = join(this.slotDir(inst.slot), file);
    await (await open(path, 'a')).close();
    const h = await open(path, 'r+');
    const existingBytes = (await h.stat()).size;
    return {
      existingBytes,
      writev: async (buffers, position) => (await h.writev(buffers as Buffer[], position)).bytesWritten,
      read: async (buffer, offset, length, position) => (await h.read(buffer, offset, length, position)).bytesRead,
      truncate: (length) => h.truncate(length),
      sync: () => h.sync(),
      close: () => h.close(),
    };
  }

  async commit(load: string, files: { name: string; size: number }[]): Promise<void> {
    const inst = this.installing;
    if (!inst || inst.load !== load) throw new FlashError(this.root, `commit of ${load} without beginInstall(${load})`);
    const dir = this.slotDir(inst.slot);
    for (const f of files) {
      const st = await stat(join(dir, f.name)).catch(() => undefined);
      if (!st || st.size !== f.size) {
        throw new FlashError(this.root, `cannot commit ${load}: ${f.name} is ${st ? `${st.size} bytes, expected ${f.size}` : 'missing'}`);
      }
      // Every byte on the medium before the slot can be named bootable.
      const h = await open(join(dir, f.name), 'r');
      await h.sync();
      await h.close();
    }
    await writeAtomic(join(dir, 'slot.json'), JSON.stringify({ load, files } satisfies SlotContent) + '\n');
    await rm(join(dir, 'installing.json'), { force: true });
    await this.save({ active: inst.slot, previous: this.state.active, trial: true, boots: 0 });
    this.installing = undefined;
  }

  async markGood(): Promise<void> {
    if (this.state.trial) await this.save({ ...this.state, trial: false, boots: 0 });
  }

  async rollback(): Promise<void> {
    const prev = this.state.previous;
    if (!prev || !(await this.content(prev))) throw new FlashError(this.root, 'no previous load to roll back to');
    await this.save({ active: prev, previous: this.state.active, trial: false, boots: 0 });
  }
}
