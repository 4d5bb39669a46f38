import { dirname, join } from 'node:path';
import { isPlainName } from '../../loads/manifest';
import { nodeFs, stageAtomic, writeAtomic, type FlashFs, type FsFile } from './fs';
import {
  FlashError,
  type BootSelection,
  type ComponentReader,
  type ComponentStore,
  type Flash,
  type FlashErrorCode,
  type FlashStatus,
  type SlotName,
} from './flash';
import { writeBehind } from './write-behind';

/** The slot table (state.json). Only ever replaced whole, atomically. */
interface State {
  active: SlotName | null;
  /** The complete slot to fall back to; null when there is none. */
  previous: SlotName | null;
  trial: boolean;
  /** Boots of the trial load counted so far. */
  boots: number;
  /** The last load given up after failing to come up (boot() fell back from it); never installed again. */
  rejected: string | null;
}

/** What a complete slot holds (slot.json), written at commit or ahead of it (planCommit). */
interface SlotContent {
  load: string;
  files: { name: string; size: number }[];
}

const slotJson = (load: string, files: readonly { name: string; size: number }[]): string =>
  JSON.stringify({ load, files: files.map(({ name, size }) => ({ name, size })) } satisfies SlotContent) + '\n';

const STATE = 'state.json';
const MANIFEST = 'slot.json';
const INSTALLING = 'installing.json';
const RESERVED = new Set([STATE, MANIFEST, INSTALLING].flatMap((n) => [n, `${n}.tmp`]));
const SLOTS = ['A', 'B'] as const;
/**
 * A component's bytes go to the medium in the background every this many (see
 * writeBehind). On a card writing 10 MB/s, 256 KiB left the commit 0.03-0.06 s to
 * flush after the last byte, 1 MiB 0.19-0.57 s, none 0.40-1.19 s (bench/RESULTS.md).
 */
const WRITE_BEHIND_BYTES = 256 * 1024;
const BLANK: State = { active: null, previous: null, trial: false, boots: 0, rejected: null };
const other = (s: SlotName): SlotName => (s === 'A' ? 'B' : 'A');
const isSlot = (v: unknown): v is SlotName | null => v === null || v === 'A' || v === 'B';

// Without `rejected` while there is none: the table reads as it did before rollbacks were remembered.
const onMedium = ({ rejected, ...rest }: State) => (rejected === null ? rest : { ...rest, rejected });

function parseState(raw: unknown): State | undefined {
  const s = raw as Partial<State> | null;
  if (typeof s !== 'object' || s === null) return undefined;
  if (!isSlot(s.active) || !isSlot(s.previous) || typeof s.trial !== 'boolean') return undefined;
  if (typeof s.boots !== 'number' || !Number.isInteger(s.boots) || s.boots < 0) return undefined;
  // Absent in a table written before rollbacks were remembered.
  const rejected = s.rejected ?? null;
  if (rejected !== null && typeof rejected !== 'string') return undefined;
  return { active: s.active, previous: s.previous === s.active ? null : s.previous, trial: s.trial, boots: s.boots, rejected };
}

export interface DirFlashOptions {
  /** The file system to run on (default: the real one); tests pass a MemFs. */
  fs?: FlashFs;
  /** Reported as `kind` (default `dir`). */
  kind?: string;
}

/**
 * The `dir` back-end: a board in a folder. `slotA/` and `slotB/` hold the files of
 * one load each; `state.json` names the active slot. A slot is bootable only while
 * `state.json` names it, and it is named only after its files are synced and its
 * `slot.json` written (see docs/FLASH.md for the protocol).
 */
export class DirFlash implements Flash {
  readonly kind: string;
  private readonly fs: FlashFs;
  private state: State = { ...BLANK };
  private installing?: { slot: SlotName; load: string };
  /** slot.json written ahead by planCommit for this install: `written` is false until it (and the files' names) is on the medium. */
  private planned?: { slot: SlotName; json: string; written: Promise<boolean> };
  private opened = false;

  constructor(
    readonly root: string,
    options: DirFlashOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.kind = options.kind ?? 'dir';
  }

  private slotDir(s: SlotName): string {
    return join(this.root, `slot${s}`);
  }

  private fail(code: FlashErrorCode, file: string | null, reason: string): never {
    throw new FlashError(code, this.root, file, reason);
  }

  /** Runs a medium operation; its failure becomes a FlashError naming the file. */
  private async io<T>(file: string | null, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof FlashError) throw e;
      throw new FlashError('PFS_ERR_FLASH_IO', this.root, file, `${what}: ${(e as Error).message}`, { cause: e });
    }
  }

  private async readJson(rel: string): Promise<unknown> {
    const raw = await this.io(rel, 'read', () => this.fs.readFile(join(this.root, rel)));
    if (raw === null) return null;
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch (e) {
      return this.fail('PFS_ERR_FLASH_STATE', rel, `not JSON: ${(e as Error).message}`);
    }
  }

  private async content(s: SlotName): Promise<SlotContent | null> {
    const c = (await this.readJson(`slot${s}/${MANIFEST}`)) as SlotContent | null;
    if (c !== null && (typeof c.load !== 'string' || !Array.isArray(c.files))) {
      this.fail('PFS_ERR_FLASH_STATE', `slot${s}/${MANIFEST}`, 'not a slot manifest');
    }
    return c;
  }

  private async save(next: State): Promise<void> {
    await this.io(STATE, 'write', () => writeAtomic(this.fs, join(this.root, STATE), JSON.stringify(onMedium(next)) + '\n'));
    this.state = next;
  }

  private async unlink(rel: string): Promise<void> {
    await this.io(rel, 'remove', () => this.fs.unlink(join(this.root, rel)));
  }

  private assertOpen(): void {
    if (!this.opened) this.fail('PFS_ERR_FLASH_SEQUENCE', null, 'used before open()');
  }

  async open(): Promise<void> {
    this.installing = undefined;
    this.planned = undefined;
    for (const s of SLOTS) await this.io(`slot${s}`, 'create', () => this.fs.mkdir(this.slotDir(s)));
    // A first boot may have just made these folders: their names on the medium before anything goes in them.
    await this.io(null, 'sync', async () => {
      await this.fs.syncDir(dirname(this.root));
      await this.fs.syncDir(this.root);
    });
    const raw = await this.readJson(STATE);
    const st = raw === null ? { ...BLANK } : parseState(raw);
    if (!st) this.fail('PFS_ERR_FLASH_STATE', STATE, `not a slot table: ${JSON.stringify(raw)}`);
    this.state = st;
    if (st.active && !(await this.content(st.active))) {
      this.fail('PFS_ERR_FLASH_STATE', STATE, `names slot ${st.active} active, but slot${st.active}/${MANIFEST} is missing: the folder was changed by hand`);
    }
    await this.repair();
    this.opened = true;
  }

  /**
   * Puts back the invariants an interrupted step may have left broken; every
   * repair is safe to interrupt and redo. A slot not named by state.json is never
   * booted, so what it holds beyond its partial files does not matter for safety:
   * this only keeps later steps from tripping over it.
   */
  private async repair(): Promise<void> {
    const st = this.state;
    // Temporary files of an interrupted atomic write: the real file is the old or the new one.
    if ((await this.io(null, 'list', () => this.fs.readdir(this.root))).includes(`${STATE}.tmp`)) await this.unlink(`${STATE}.tmp`);
    for (const s of SLOTS) {
      const names = await this.io(`slot${s}`, 'list', () => this.fs.readdir(this.slotDir(s)));
      for (const n of names) if (n.endsWith('.tmp') && RESERVED.has(n)) await this.unlink(`slot${s}/${n}`);
    }
    if (st.previous && !(await this.content(st.previous))) await this.save({ ...st, previous: null });
    // Commit was cut after the switch, before its clean-up.
    if (st.active) await this.unlink(`slot${st.active}/${INSTALLING}`);
    // A manifest in a slot nobody names: a commit cut before the switch, or a given-up load.
    for (const s of SLOTS) {
      if (s !== this.state.active && s !== this.state.previous && (await this.content(s))) {
        await this.unlink(`slot${s}/${MANIFEST}`);
        await this.io(`slot${s}`, 'sync', () => this.fs.syncDir(this.slotDir(s)));
      }
    }
  }

  async boot(maxTrials = 3): Promise<BootSelection> {
    this.assertOpen();
    if (!Number.isInteger(maxTrials) || maxTrials < 1) this.fail('PFS_ERR_FLASH_SEQUENCE', null, `maxTrials must be a whole number ≥ 1, got ${maxTrials}`);
    const st = this.state;
    if (!st.active) return { slot: null, load: null, trial: false, fellBack: false, failedLoad: null };
    if (st.trial && st.boots >= maxTrials && st.previous) {
      const failed = st.active;
      const failedLoad = (await this.content(failed))?.load ?? null;
      await this.save({ active: st.previous, previous: null, trial: false, boots: 0, rejected: failedLoad });
      // Not needed for safety (state.json no longer names it); it keeps the slot from looking complete.
      await this.unlink(`slot${failed}/${MANIFEST}`);
      return { slot: st.previous, load: (await this.content(st.previous))?.load ?? null, trial: false, fellBack: true, failedLoad };
    }
    // A trial with no fallback left keeps booting; the count stops at the limit.
    if (st.trial && st.boots < maxTrials) await this.save({ ...st, boots: st.boots + 1 });
    return { slot: st.active, load: (await this.content(st.active))?.load ?? null, trial: st.trial, fellBack: false, failedLoad: null };
  }

  async activeLoad(): Promise<string | null> {
    this.assertOpen();
    return this.state.active ? ((await this.content(this.state.active))?.load ?? null) : null;
  }

  async status(): Promise<FlashStatus> {
    this.assertOpen();
    const slots = { A: null, B: null } as Record<SlotName, string | null>;
    for (const s of SLOTS) if (s === this.state.active || s === this.state.previous) slots[s] = (await this.content(s))?.load ?? null;
    return { ...this.state, slots };
  }

  async beginInstall(load: string): Promise<void> {
    this.assertOpen();
    if (!isPlainName(load)) this.fail('PFS_ERR_FLASH_NAME', null, `"${load}" is not a load name`);
    this.installing = undefined;
    this.planned = undefined;
    const slot = this.state.active ? other(this.state.active) : 'A';
    const marker = (await this.readJson(`slot${slot}/${INSTALLING}`)) as { load?: unknown } | null;
    if (marker?.load === load && this.state.previous !== slot) {
      this.installing = { slot, load }; // resume: keep what is there
      return;
    }
    // This slot may be the fallback: stop naming it before its files go.
    if (this.state.previous === slot) await this.save({ ...this.state, previous: null });
    for (const n of await this.io(`slot${slot}`, 'list', () => this.fs.readdir(this.slotDir(slot)))) await this.unlink(`slot${slot}/${n}`);
    // The removals on the medium before the marker names the new load: else after a
    // power cut the old load's files could come back under the new load's marker.
    await this.io(`slot${slot}`, 'sync', () => this.fs.syncDir(this.slotDir(slot)));
    await this.io(`slot${slot}/${INSTALLING}`, 'write', () => writeAtomic(this.fs, join(this.slotDir(slot), INSTALLING), JSON.stringify({ load }) + '\n'));
    this.installing = { slot, load };
  }

  private checkName(file: string): void {
    if (!isPlainName(file) || RESERVED.has(file)) this.fail('PFS_ERR_FLASH_NAME', null, `"${file}" is not a component name`);
  }

  async openComponent(file: string): Promise<ComponentStore> {
    this.assertOpen();
    this.checkName(file);
    const inst = this.installing;
    if (!inst) this.fail('PFS_ERR_FLASH_SEQUENCE', file, 'openComponent before beginInstall');
    const rel = `slot${inst.slot}/${file}`;
    const f = writeBehind(await this.io(rel, 'open', () => this.fs.open(join(this.root, rel), 'write')), WRITE_BEHIND_BYTES);
    const existingBytes = await this.io(rel, 'size', () => f.size());
    return { existingBytes, ...this.wrap(rel, f) };
  }

  private wrap(rel: string, f: FsFile) {
    return {
      writev: (buffers: readonly Buffer[], position: number) => this.io(rel, `write at ${position}`, () => f.writev(buffers, position)),
      read: (buffer: Buffer, offset: number, length: number, position: number) =>
        this.io(rel, `read at ${position}`, () => f.read(buffer, offset, length, position)),
      truncate: (length: number) => this.io(rel, `truncate to ${length}`, () => f.truncate(length)),
      sync: () => this.io(rel, 'sync', () => f.sync()),
      close: () => this.io(rel, 'close', () => f.close()),
    };
  }

  async readActive(file: string): Promise<ComponentReader | null> {
    this.assertOpen();
    this.checkName(file);
    const s = this.state.active;
    const entry = s ? (await this.content(s))?.files.find((f) => f.name === file) : undefined;
    if (!s || !entry) return null;
    const rel = `slot${s}/${file}`;
    const f = await this.io(rel, 'open', () => this.fs.open(join(this.root, rel), 'read'));
    const { read, close } = this.wrap(rel, f);
    return { size: entry.size, read, close };
  }

  async activeFilePath(file: string): Promise<string | null> {
    this.assertOpen();
    this.checkName(file);
    const s = this.state.active;
    if (this.fs !== nodeFs || !s || !(await this.content(s))?.files.some((f) => f.name === file)) return null;
    return join(this.slotDir(s), file);
  }

  /** The install `load` belongs to, once its file list is one commit can take. */
  private installOf(what: string, load: string, files: readonly { name: string; size: number }[]): { slot: SlotName; load: string } {
    this.assertOpen();
    const inst = this.installing;
    if (!inst || inst.load !== load) this.fail('PFS_ERR_FLASH_SEQUENCE', null, `${what} of ${load} without beginInstall(${load})`);
    if (files.length === 0) this.fail('PFS_ERR_FLASH_INCOMPLETE', null, `cannot commit ${load}: no files`);
    const seen = new Set<string>();
    for (const { name } of files) {
      this.checkName(name);
      if (seen.has(name)) this.fail('PFS_ERR_FLASH_INCOMPLETE', name, `cannot commit ${load}: listed twice`);
      seen.add(name);
    }
    return inst;
  }

  /**
   * slot.json, and the names of the files it lists, on the medium while they download:
   * two of the commit's five waits for the medium (a file sync and a folder sync each
   * commit the file system's journal, and on a card flush its cache) leave the time
   * between the last byte and the switch. Safe because state.json alone makes a slot
   * bootable, and only commit() writes it; a slot.json in a slot it does not name is
   * removed at open() (a cut before the switch), so a resumed install commits anew.
   */
  async planCommit(load: string, files: readonly { name: string; size: number }[]): Promise<void> {
    const inst = this.installOf('planCommit', load, files);
    const dir = this.slotDir(inst.slot);
    const json = slotJson(load, files);
    const write = async () => {
      // Created now, if the download has not yet: slot.json's folder sync then puts every name on the medium.
      await Promise.all(
        files.map(async ({ name }) => {
          const rel = `slot${inst.slot}/${name}`;
          await (await this.io(rel, 'create', () => this.fs.open(join(dir, name), 'write'))).close();
        }),
      );
      await this.io(`slot${inst.slot}/${MANIFEST}`, 'write', () => writeAtomic(this.fs, join(dir, MANIFEST), json));
    };
    const written = write();
    this.planned = { slot: inst.slot, json, written: written.then(() => true, () => false) };
    await written;
  }

  async commit(load: string, files: readonly { name: string; size: number }[]): Promise<void> {
    const inst = this.installOf('commit', load, files);
    const dir = this.slotDir(inst.slot);
    // 1. Every byte of every file on the medium before anything can name the slot complete.
    // The sizes are asked for together: each is a round trip to the thread pool, in the
    // path between the last byte and the commit.
    const sizes = await Promise.all(files.map(({ name }) => this.io(`slot${inst.slot}/${name}`, 'size', () => this.fs.size(join(dir, name)))));
    files.forEach(({ name, size }, i) => {
      const have = sizes[i];
      if (have !== size) this.fail('PFS_ERR_FLASH_INCOMPLETE', `slot${inst.slot}/${name}`, `cannot commit ${load}: ${have === null ? 'missing' : `${have} bytes, expected ${size}`}`);
    });
    // All at once: their order does not matter, only that all are done before step 2,
    // and the file system can then flush them together rather than one after the other.
    const syncs = files.map(async ({ name }) => {
      const rel = `slot${inst.slot}/${name}`;
      const f = await this.io(rel, 'open', () => this.fs.open(join(dir, name), 'read'));
      try {
        await this.io(rel, 'sync', () => f.sync());
      } finally {
        await f.close();
      }
    });
    // The switch's new state.json is staged beside them (written and synced, named by nothing), so that
    // after them the switch waits for one folder sync, not for a file sync too.
    const from = this.state;
    const next: State = { active: inst.slot, previous: from.active, trial: true, boots: 0, rejected: from.rejected };
    const staged = this.io(STATE, 'write', () => stageAtomic(this.fs, join(this.root, STATE), JSON.stringify(onMedium(next)) + '\n'));
    // Every sync settles before the first failure is thrown: none is left running past the commit's end.
    const failed = (await Promise.allSettled([...syncs, staged])).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    // 2. What the slot holds, atomically; the folder sync also puts the files' names on the medium.
    // Already there when planCommit wrote this very list for this install (and finished).
    const json = slotJson(load, files);
    const planned = this.planned;
    const ahead = planned?.slot === inst.slot && planned.json === json && (await planned.written) && this.installing === inst;
    if (!ahead) await this.io(`slot${inst.slot}/${MANIFEST}`, 'write', () => writeAtomic(this.fs, join(dir, MANIFEST), json));
    // 3. The switch: one atomic replacement of state.json (staged anew if the table changed meanwhile).
    if (this.state === from) {
      await this.io(STATE, 'write', await staged);
      this.state = next;
    } else await this.save({ active: inst.slot, previous: this.state.active, trial: true, boots: 0, rejected: this.state.rejected });
    this.installing = undefined;
    this.planned = undefined;
    // 4. Clean-up only; open() redoes it if the power goes now.
    await this.unlink(`slot${inst.slot}/${INSTALLING}`);
  }

  async markGood(): Promise<void> {
    this.assertOpen();
    if (this.state.trial) await this.save({ ...this.state, trial: false, boots: 0 });
  }

  async rollback(): Promise<void> {
    this.assertOpen();
    const prev = this.state.previous;
    if (!prev || !(await this.content(prev))) this.fail('PFS_ERR_FLASH_NO_PREVIOUS', null, 'no previous load to roll back to');
    this.installing = undefined;
    this.planned = undefined;
    await this.save({ active: prev, previous: this.state.active, trial: false, boots: 0, rejected: this.state.rejected });
  }
}
