import { PfsError } from '../../errors';
import { isPlainName } from '../../loads/manifest';
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
import { decodeHeader, encodeRecord, RECORD_HEADER, recordIntact } from './records';

/**
 * Raw storage as the `mtd` and `block` back-ends present it to the slot protocol:
 * a partition (or image file) cut into equal units. Offsets and lengths are bytes.
 * On flash a unit is an erase block: `erase` before `program`, and programmed bytes
 * are never programmed again until the next erase; on a block device both are
 * plain writes (`canOverwrite`).
 */
export interface UnitDevice {
  /** The device or file, for messages. */
  readonly name: string;
  readonly unitSize: number;
  /** `program` starts and ends on multiples of this (a NAND page; 1 where any byte goes). */
  readonly writeSize: number;
  /** Programmed bytes may be programmed again without an erase (block devices). */
  readonly canOverwrite: boolean;
  /** The units that may be used, in order (a NAND partition's bad blocks are left out). */
  readonly units: readonly number[];
  /** Reads exactly `length` bytes at `offset` of `unit` into `buffer` at `at`. */
  read(unit: number, offset: number, buffer: Buffer, at: number, length: number): Promise<void>;
  /** Writes `data` at `offset` of an erased part of `unit`, and checks it landed. */
  program(unit: number, offset: number, data: Buffer): Promise<void>;
  erase(unit: number): Promise<void>;
  /** Everything programmed and erased so far is on the medium. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The pointer's partition and the two slots' partitions. */
export interface RawParts {
  pointer: UnitDevice;
  slots: Record<SlotName, UnitDevice>;
}

/** The pointer: which slot boots. The same fields as the `dir` back-end's state.json. */
interface State {
  active: SlotName | null;
  previous: SlotName | null;
  trial: boolean;
  boots: number;
  /** The last load given up after failing to come up; never installed again. */
  rejected: string | null;
}

interface FileEntry {
  name: string;
  size: number;
  /** The units holding the file's bytes, in order. */
  units: number[];
}

/** What a slot holds, at the start of its partition: a load being written, or complete. */
interface SlotTable {
  load: string | null;
  complete: boolean;
  files: FileEntry[];
}

/** A component being written: its units and where its bytes are. */
interface Comp {
  name: string;
  units: number[];
  length: number;
  /**
   * The last unit may be programmed past `length` (a padded page, or whatever an
   * interrupted install left): appending there first copies the unit.
   */
  sealed: boolean;
  /** Not sealed: bytes of the last unit programmed so far (a multiple of writeSize). */
  hwm: number;
  /** Not sealed: the bytes after `hwm`, waiting for a whole page. */
  pending: Buffer;
  lock: Promise<unknown>;
}

interface Install {
  slot: SlotName;
  load: string;
  comps: Map<string, Comp>;
  /** The files as the slot's table on the medium lists them. */
  durable: Map<string, FileEntry>;
  free: number[];
  /** Units no component uses any more, free once no durable entry names them. */
  dropped: number[];
}

const POINTER_MAGIC = 'PFSP';
const TABLE_MAGIC = 'PFST';
const SLOTS = ['A', 'B'] as const;
const BLANK: State = { active: null, previous: null, trial: false, boots: 0, rejected: null };
/** Names no back-end lets a component have, so a load that installs on one installs on every one. */
const RESERVED = new Set(['state.json', 'slot.json', 'installing.json'].flatMap((n) => [n, `${n}.tmp`]));
const EMPTY = Buffer.alloc(0);
const other = (s: SlotName): SlotName => (s === 'A' ? 'B' : 'A');
const isSlot = (v: unknown): v is SlotName | null => v === null || v === 'A' || v === 'B';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

// Without `rejected` while there is none: the table reads as it did before rollbacks were remembered.
const onMedium = ({ rejected, ...rest }: State) => (rejected === null ? rest : { ...rest, rejected });

function parseState(raw: unknown): State | undefined {
  const s = raw as Partial<State> | null;
  if (typeof s !== 'object' || s === null) return undefined;
  if (!isSlot(s.active) || !isSlot(s.previous) || typeof s.trial !== 'boolean' || !isCount(s.boots)) return undefined;
  // Absent in a pointer written before rollbacks were remembered.
  const rejected = s.rejected ?? null;
  if (rejected !== null && typeof rejected !== 'string') return undefined;
  return { active: s.active, previous: s.previous === s.active ? null : s.previous, trial: s.trial, boots: s.boots, rejected };
}

/** Units as runs `[first, count]`: a file written alone is one run. */
function runs(units: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const u of units) {
    const last = out.at(-1);
    if (last && last[0] + last[1] === u) last[1]++;
    else out.push([u, 1]);
  }
  return out;
}

function parseTable(raw: unknown): SlotTable | undefined {
  const t = raw as { load?: unknown; complete?: unknown; files?: unknown } | null;
  if (typeof t !== 'object' || t === null || !(t.load === null || typeof t.load === 'string') || typeof t.complete !== 'boolean' || !Array.isArray(t.files)) return undefined;
  const files: FileEntry[] = [];
  for (const f of t.files as { name?: unknown; size?: unknown; runs?: unknown }[]) {
    if (typeof f?.name !== 'string' || !isCount(f.size) || !Array.isArray(f.runs)) return undefined;
    const units: number[] = [];
    for (const r of f.runs as unknown[]) {
      if (!Array.isArray(r) || !isCount(r[0]) || !isCount(r[1])) return undefined;
      for (let i = 0; i < r[1]; i++) units.push(r[0] + i);
    }
    files.push({ name: f.name, size: f.size, units });
  }
  return { load: t.load, complete: t.complete, files };
}

/** A promise chain: one at a time. */
function serial(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => {});
    return run;
  };
}

export interface RawFlashOptions {
  kind: string;
  /** For messages: the device (or set of devices) as the board file names it. */
  name: string;
  /** Opens the partitions; called by every open(). */
  connect(): Promise<RawParts>;
}

/**
 * The slot protocol on raw storage, shared by the `mtd` and `block` back-ends (see
 * docs/FLASH.md): the pointer partition holds the slot table as two alternating
 * copies; each slot partition starts with its own table (two alternating copies:
 * the load, whether it is complete, each file's size and units) followed by data
 * units given to the files as they grow. A slot is booted only while the pointer
 * names it, and the pointer names it only after its table says complete, which is
 * written only after every unit it lists is on the medium.
 */
export class RawFlash implements Flash {
  readonly kind: string;
  private parts?: RawParts;
  private state: State = { ...BLANK };
  private pointerSeq = 0;
  private readonly tables: Record<SlotName, { table: SlotTable | null; seq: number }> = { A: { table: null, seq: 0 }, B: { table: null, seq: 0 } };
  private installing?: Install;
  private opened = false;
  private readonly records = serial();

  constructor(private readonly o: RawFlashOptions) {
    this.kind = o.kind;
  }

  private fail(code: FlashErrorCode, file: string | null, reason: string, device = this.o.name): never {
    throw new FlashError(code, device, file, reason);
  }

  private async io<T>(device: UnitDevice, file: string | null, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof FlashError) throw e;
      throw new FlashError('PFS_ERR_FLASH_IO', device.name, file, `${what}: ${(e as Error).message}`, { cause: e });
    }
  }

  private get p(): RawParts {
    if (!this.parts || !this.opened) this.fail('PFS_ERR_FLASH_SEQUENCE', null, 'used before open()');
    return this.parts;
  }

  private assertOpen(): void {
    void this.p;
  }

  // --- the two-copy records -------------------------------------------------

  /** The newest intact copy among the first two units of `dev`: its payload, sequence number, and the unit it is in. */
  private async readRecord(dev: UnitDevice, magic: string, what: string): Promise<{ value: unknown; seq: number; unit: number } | null> {
    let best: { value: unknown; seq: number; unit: number } | null = null;
    let failed: unknown;
    for (const unit of dev.units.slice(0, 2)) {
      try {
        const head = Buffer.alloc(RECORD_HEADER);
        await dev.read(unit, 0, head, 0, RECORD_HEADER);
        const h = decodeHeader(magic, head);
        if (!h || h.length > dev.unitSize - RECORD_HEADER || (best && h.seq <= best.seq)) continue;
        const payload = Buffer.alloc(h.length);
        await dev.read(unit, RECORD_HEADER, payload, 0, h.length);
        if (!recordIntact(head, payload)) continue; // torn by a cut: the other copy holds the record
        best = { value: JSON.parse(payload.toString('utf8')), seq: h.seq, unit };
      } catch (e) {
        if (!(e instanceof SyntaxError)) failed = e;
      }
    }
    // One unreadable copy is what the other is for; with none readable, a blank board must not be guessed.
    if (!best && failed) throw new FlashError('PFS_ERR_FLASH_IO', dev.name, what, `read: ${(failed as Error).message}`, { cause: failed });
    return best;
  }

  /** Writes `value` as the next copy: into the unit that does not hold the newest one, erased first. */
  private async writeRecord(dev: UnitDevice, magic: string, what: string, seq: number, newest: number | undefined, value: unknown): Promise<number> {
    const [a, b] = dev.units as [number, number];
    const unit = newest === a ? b : a;
    const rec = encodeRecord(magic, seq, Buffer.from(JSON.stringify(value)));
    if (rec.length > dev.unitSize) this.fail('PFS_ERR_FLASH_IO', what, `${rec.length} bytes do not fit in a ${dev.unitSize}-byte unit`, dev.name);
    const ws = dev.writeSize;
    const padded = rec.length % ws === 0 ? rec : Buffer.concat([rec, Buffer.alloc(ws - (rec.length % ws), 0xff)]);
    await this.io(dev, what, 'write', async () => {
      await dev.erase(unit);
      await dev.program(unit, 0, padded);
      await dev.sync();
    });
    return unit;
  }

  private pointerUnit?: number;

  private save(next: State): Promise<void> {
    return this.records(async () => {
      const seq = this.pointerSeq + 1;
      this.pointerUnit = await this.writeRecord(this.p.pointer, POINTER_MAGIC, 'pointer', seq, this.pointerUnit, onMedium(next));
      this.pointerSeq = seq;
      this.state = next;
    });
  }

  private tableUnit: Partial<Record<SlotName, number>> = {};

  private saveTable(slot: SlotName, table: SlotTable): Promise<void> {
    return this.records(async () => {
      const t = this.tables[slot];
      const seq = t.seq + 1;
      const raw = { load: table.load, complete: table.complete, files: table.files.map((f) => ({ name: f.name, size: f.size, runs: runs(f.units) })) };
      this.tableUnit[slot] = await this.writeRecord(this.p.slots[slot], TABLE_MAGIC, 'slot table', seq, this.tableUnit[slot], raw);
      this.tables[slot] = { table, seq };
    });
  }

  private content(s: SlotName): SlotTable | null {
    const t = this.tables[s].table;
    return t && t.complete && t.load !== null ? t : null;
  }

  // --- lifecycle -------------------------------------------------------------

  async open(): Promise<void> {
    await this.close();
    let parts: RawParts;
    try {
      parts = await this.o.connect();
    } catch (e) {
      if (e instanceof PfsError) throw e;
      throw new FlashError('PFS_ERR_FLASH_IO', this.o.name, null, `open: ${(e as Error).message}`, { cause: e });
    }
    this.parts = parts;
    this.opened = true;
    try {
      if (parts.pointer.units.length < 2) this.fail('PFS_ERR_FLASH_IO', 'pointer', `needs 2 good units of ${parts.pointer.unitSize} bytes, has ${parts.pointer.units.length}`, parts.pointer.name);
      for (const s of SLOTS) {
        const d = parts.slots[s];
        if (d.units.length < 3) this.fail('PFS_ERR_FLASH_IO', `slot${s}`, `needs at least 3 good units of ${d.unitSize} bytes (2 for its table), has ${d.units.length}`, d.name);
      }
      const ptr = await this.readRecord(parts.pointer, POINTER_MAGIC, 'pointer');
      const st = ptr ? parseState(ptr.value) : { ...BLANK };
      if (!st) this.fail('PFS_ERR_FLASH_STATE', 'pointer', `not a slot table: ${JSON.stringify(ptr!.value)}`, parts.pointer.name);
      this.state = st;
      this.pointerSeq = ptr?.seq ?? 0;
      this.pointerUnit = ptr?.unit;
      for (const s of SLOTS) {
        const rec = await this.readRecord(parts.slots[s], TABLE_MAGIC, 'slot table');
        const table = rec ? parseTable(rec.value) : null;
        if (rec && !table) this.fail('PFS_ERR_FLASH_STATE', 'slot table', `not a slot table: ${JSON.stringify(rec.value)}`, parts.slots[s].name);
        this.tables[s] = { table: table ?? null, seq: rec?.seq ?? 0 };
        this.tableUnit[s] = rec?.unit;
      }
      if (st.active && !this.content(st.active)) {
        this.fail('PFS_ERR_FLASH_STATE', 'pointer', `names slot ${st.active} active, but its table (${parts.slots[st.active].name}) holds no complete load`, parts.pointer.name);
      }
      // A fallback that is no longer complete is no fallback.
      if (st.previous && !this.content(st.previous)) await this.save({ ...st, previous: null });
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    this.opened = false;
    this.installing = undefined;
    const old = this.parts;
    this.parts = undefined;
    if (old) for (const d of [old.pointer, old.slots.A, old.slots.B]) await d.close().catch(() => {});
  }

  async boot(maxTrials = 3): Promise<BootSelection> {
    this.assertOpen();
    if (!Number.isInteger(maxTrials) || maxTrials < 1) this.fail('PFS_ERR_FLASH_SEQUENCE', null, `maxTrials must be a whole number ≥ 1, got ${maxTrials}`);
    const st = this.state;
    if (!st.active) return { slot: null, load: null, trial: false, fellBack: false, failedLoad: null };
    if (st.trial && st.boots >= maxTrials && st.previous) {
      const failed = st.active;
      const failedLoad = this.content(failed)?.load ?? null;
      await this.save({ active: st.previous, previous: null, trial: false, boots: 0, rejected: failedLoad });
      // Not needed for safety (the pointer no longer names it): the load is given up, so a new install starts clean.
      await this.saveTable(failed, { load: null, complete: false, files: [] });
      return { slot: st.previous, load: this.content(st.previous)?.load ?? null, trial: false, fellBack: true, failedLoad };
    }
    if (st.trial && st.boots < maxTrials) await this.save({ ...st, boots: st.boots + 1 });
    return { slot: st.active, load: this.content(st.active)?.load ?? null, trial: st.trial, fellBack: false, failedLoad: null };
  }

  async activeLoad(): Promise<string | null> {
    this.assertOpen();
    return this.state.active ? (this.content(this.state.active)?.load ?? null) : null;
  }

  async status(): Promise<FlashStatus> {
    this.assertOpen();
    const slots = { A: null, B: null } as Record<SlotName, string | null>;
    for (const s of SLOTS) if (s === this.state.active || s === this.state.previous) slots[s] = this.content(s)?.load ?? null;
    return { ...this.state, slots };
  }

  async beginInstall(load: string): Promise<void> {
    const p = this.p;
    if (!isPlainName(load)) this.fail('PFS_ERR_FLASH_NAME', null, `"${load}" is not a load name`);
    this.installing = undefined;
    const slot = this.state.active ? other(this.state.active) : 'A';
    const dev = p.slots[slot];
    const data = dev.units.slice(2);
    const t = this.tables[slot].table;
    if (t?.load === load && this.state.previous !== slot) {
      // Resume: keep what the table lists.
      const durable = new Map(t.files.map((f) => [f.name, f]));
      const used = new Set(t.files.flatMap((f) => f.units));
      this.installing = { slot, load, comps: new Map(), durable, free: data.filter((u) => !used.has(u)), dropped: [] };
      return;
    }
    // The slot may be the fallback: stop naming it before its table changes.
    if (this.state.previous === slot) await this.save({ ...this.state, previous: null });
    // One record write forgets the old load's files; their units are erased as they are reused.
    await this.saveTable(slot, { load, complete: false, files: [] });
    this.installing = { slot, load, comps: new Map(), durable: new Map(), free: data, dropped: [] };
  }

  private checkName(file: string): void {
    if (!isPlainName(file) || RESERVED.has(file)) this.fail('PFS_ERR_FLASH_NAME', null, `"${file}" is not a component name`);
  }

  async openComponent(file: string): Promise<ComponentStore> {
    this.assertOpen();
    this.checkName(file);
    const inst = this.installing;
    if (!inst) this.fail('PFS_ERR_FLASH_SEQUENCE', file, 'openComponent before beginInstall');
    let c = inst.comps.get(file);
    if (!c) {
      const d = inst.durable.get(file);
      // What an earlier power-on wrote may go on past its synced size: sealed.
      c = { name: file, units: d ? [...d.units] : [], length: d?.size ?? 0, sealed: d !== undefined, hwm: 0, pending: EMPTY, lock: Promise.resolve() };
      inst.comps.set(file, c);
    }
    const comp = c;
    const dev = this.p.slots[inst.slot];
    const run = <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      if (this.installing !== inst) this.fail('PFS_ERR_FLASH_SEQUENCE', file, `${what}: the install of ${inst.load} is over`, dev.name);
      const next = comp.lock.then(
        () => this.io(dev, file, what, fn),
        () => this.io(dev, file, what, fn),
      );
      comp.lock = next.catch(() => {});
      return next;
    };
    let closed = false;
    const open = (what: string) => {
      if (closed) this.fail('PFS_ERR_FLASH_SEQUENCE', file, `${what} after close`, dev.name);
    };
    return {
      existingBytes: comp.length,
      writev: async (buffers, position) => {
        open('write');
        const data = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers as Buffer[]);
        return run(`write at ${position}`, async () => {
          await this.write(inst, comp, data, position);
          return data.length;
        });
      },
      read: async (buffer, offset, length, position) => {
        open('read');
        return run(`read at ${position}`, () => this.readComp(dev, comp, buffer, offset, length, position));
      },
      truncate: async (length) => {
        open('truncate');
        return run(`truncate to ${length}`, () => this.truncate(inst, comp, length));
      },
      sync: async () => {
        open('sync');
        return run('sync', async () => {
          await this.flush(dev, comp);
          await dev.sync();
          inst.durable.set(comp.name, { name: comp.name, size: comp.length, units: [...comp.units] });
          await this.saveInstallTable(inst);
        });
      },
      close: async () => {
        closed = true;
      },
    };
  }

  private async saveInstallTable(inst: Install): Promise<void> {
    await this.saveTable(inst.slot, { load: inst.load, complete: false, files: [...inst.durable.values()] });
    this.release(inst);
  }

  /** Dropped units no durable entry names any more go back to the free list. */
  private release(inst: Install): void {
    const named = new Set([...inst.durable.values()].flatMap((f) => f.units));
    const keep = inst.dropped.filter((u) => named.has(u));
    inst.free.push(...inst.dropped.filter((u) => !named.has(u)));
    inst.dropped = keep;
  }

  private async alloc(inst: Install, dev: UnitDevice): Promise<number> {
    // A dropped unit still named by the table on the medium is the last resort: using it spoils only what a resume would verify anyway.
    const u = inst.free.shift() ?? inst.dropped.shift();
    if (u === undefined) this.fail('PFS_ERR_FLASH_IO', null, `slot ${inst.slot} is full: ${dev.units.length - 2} units of ${dev.unitSize} bytes`, dev.name);
    await dev.erase(u);
    return u;
  }

  private lastOffset(dev: UnitDevice, c: Comp): number {
    return c.length - (c.units.length - 1) * dev.unitSize;
  }

  /** Makes the last unit appendable: a sealed one is copied up to its last whole page into a fresh unit. */
  private async unseal(inst: Install, dev: UnitDevice, c: Comp): Promise<void> {
    const off = this.lastOffset(dev, c);
    if (c.units.length === 0 || off === dev.unitSize || dev.canOverwrite) {
      Object.assign(c, { sealed: false, hwm: c.units.length === 0 ? 0 : off, pending: EMPTY });
      return;
    }
    const old = c.units.at(-1)!;
    const bytes = Buffer.alloc(off);
    await dev.read(old, 0, bytes, 0, off);
    const keep = off - (off % dev.writeSize);
    const u = await this.alloc(inst, dev);
    if (keep > 0) await dev.program(u, 0, bytes.subarray(0, keep));
    c.units[c.units.length - 1] = u;
    inst.dropped.push(old);
    Object.assign(c, { sealed: false, hwm: keep, pending: Buffer.from(bytes.subarray(keep)) });
  }

  private async append(inst: Install, dev: UnitDevice, c: Comp, data: Buffer): Promise<void> {
    const us = dev.unitSize;
    const ws = dev.canOverwrite ? 1 : dev.writeSize;
    for (let i = 0; i < data.length; ) {
      if (c.sealed) await this.unseal(inst, dev, c);
      if (c.length === c.units.length * us) {
        c.units.push(await this.alloc(inst, dev));
        Object.assign(c, { hwm: 0, pending: EMPTY });
      }
      const off = this.lastOffset(dev, c);
      const take = Math.min(us - off, data.length - i);
      const chunk = data.subarray(i, i + take);
      const buf = c.pending.length > 0 ? Buffer.concat([c.pending, chunk]) : chunk;
      const whole = buf.length - (buf.length % ws);
      if (whole > 0) await dev.program(c.units.at(-1)!, c.hwm, buf.subarray(0, whole));
      c.hwm += whole;
      c.pending = whole === buf.length ? EMPTY : Buffer.from(buf.subarray(whole));
      c.length += take;
      i += take;
    }
  }

  private async write(inst: Install, c: Comp, data: Buffer, position: number): Promise<void> {
    const dev = this.p.slots[inst.slot];
    if (position > c.length) await this.append(inst, dev, c, Buffer.alloc(position - c.length));
    if (position === c.length) return this.append(inst, dev, c, data);
    // Over bytes already written: flash cannot write twice, so cut back and write again (rare: the engine appends).
    const end = position + data.length;
    const tail = end < c.length ? Buffer.alloc(c.length - end) : EMPTY;
    if (tail.length > 0) await this.readComp(dev, c, tail, 0, tail.length, end);
    await this.truncate(inst, c, position);
    await this.append(inst, dev, c, data);
    await this.append(inst, dev, c, tail);
  }

  private async truncate(inst: Install, c: Comp, length: number): Promise<void> {
    const dev = this.p.slots[inst.slot];
    if (length > c.length) return this.append(inst, dev, c, Buffer.alloc(length - c.length));
    if (length === c.length) return;
    const us = dev.unitSize;
    const n = Math.ceil(length / us);
    const lastKept = n === c.units.length;
    inst.dropped.push(...c.units.splice(n));
    const off = length - (n - 1) * us;
    if (n === 0) Object.assign(c, { sealed: false, hwm: 0, pending: EMPTY });
    else if (lastKept && !c.sealed && off >= c.hwm) c.pending = c.pending.subarray(0, off - c.hwm);
    else Object.assign(c, { sealed: true, pending: EMPTY });
    c.length = length;
  }

  /** Programs the bytes waiting for a whole page, padded with 0xFF: the page is then used, so the unit is sealed. */
  private async flush(dev: UnitDevice, c: Comp): Promise<void> {
    if (c.sealed || c.pending.length === 0) return;
    const ws = dev.canOverwrite ? 1 : dev.writeSize;
    const pad = (ws - (c.pending.length % ws)) % ws;
    await dev.program(c.units.at(-1)!, c.hwm, pad ? Buffer.concat([c.pending, Buffer.alloc(pad, 0xff)]) : c.pending);
    if (pad) Object.assign(c, { sealed: true, pending: EMPTY });
    else Object.assign(c, { hwm: c.hwm + c.pending.length, pending: EMPTY });
  }

  private async readComp(dev: UnitDevice, c: Comp, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const n = Math.max(0, Math.min(length, c.length - position));
    const us = dev.unitSize;
    for (let done = 0; done < n; ) {
      const pos = position + done;
      const k = Math.floor(pos / us);
      const o = pos % us;
      let seg = Math.min(us - o, n - done);
      if (k === c.units.length - 1 && !c.sealed && o >= c.hwm) {
        c.pending.copy(buffer, offset + done, o - c.hwm, o - c.hwm + seg);
      } else {
        if (k === c.units.length - 1 && !c.sealed) seg = Math.min(seg, c.hwm - o);
        await dev.read(c.units[k]!, o, buffer, offset + done, seg);
      }
      done += seg;
    }
    return n;
  }

  async readActive(file: string): Promise<ComponentReader | null> {
    const p = this.p;
    this.checkName(file);
    const s = this.state.active;
    const entry = s ? this.content(s)?.files.find((f) => f.name === file) : undefined;
    if (!s || !entry) return null;
    const dev = p.slots[s];
    const c: Comp = { name: file, units: entry.units, length: entry.size, sealed: true, hwm: 0, pending: EMPTY, lock: Promise.resolve() };
    return {
      size: entry.size,
      read: (buffer, offset, length, position) => this.io(dev, file, `read at ${position}`, () => this.readComp(dev, c, buffer, offset, length, position)),
      close: async () => {},
    };
  }

  async commit(load: string, files: readonly { name: string; size: number }[]): Promise<void> {
    this.assertOpen();
    const inst = this.installing;
    if (!inst || inst.load !== load) this.fail('PFS_ERR_FLASH_SEQUENCE', null, `commit of ${load} without beginInstall(${load})`);
    if (files.length === 0) this.fail('PFS_ERR_FLASH_INCOMPLETE', null, `cannot commit ${load}: no files`);
    const dev = this.p.slots[inst.slot];
    const seen = new Set<string>();
    for (const { name } of files) {
      this.checkName(name);
      if (seen.has(name)) this.fail('PFS_ERR_FLASH_INCOMPLETE', name, `cannot commit ${load}: listed twice`, dev.name);
      seen.add(name);
    }
    for (const { name, size } of files) {
      const have = inst.comps.get(name)?.length ?? inst.durable.get(name)?.size;
      if (have !== size) this.fail('PFS_ERR_FLASH_INCOMPLETE', name, `cannot commit ${load}: ${have === undefined ? 'missing' : `${have} bytes, expected ${size}`}`, dev.name);
    }
    // 1. Every byte of every file on the medium before the table can say complete.
    const entries: FileEntry[] = [];
    for (const { name, size } of files) {
      const c = inst.comps.get(name);
      if (c) await c.lock;
      if (c) await this.io(dev, name, 'sync', () => this.flush(dev, c));
      entries.push({ name, size, units: [...(c?.units ?? inst.durable.get(name)!.units)] });
    }
    await this.io(dev, null, 'sync', () => dev.sync());
    // 2. The slot's table says complete; 3. the pointer names the slot: the switch.
    await this.saveTable(inst.slot, { load, complete: true, files: entries });
    await this.save({ active: inst.slot, previous: this.state.active, trial: true, boots: 0, rejected: this.state.rejected });
    this.installing = undefined;
  }

  async markGood(): Promise<void> {
    this.assertOpen();
    if (this.state.trial) await this.save({ ...this.state, trial: false, boots: 0 });
  }

  async rollback(): Promise<void> {
    this.assertOpen();
    const prev = this.state.previous;
    if (!prev || !this.content(prev)) this.fail('PFS_ERR_FLASH_NO_PREVIOUS', null, 'no previous load to roll back to');
    this.installing = undefined;
    await this.save({ active: prev, previous: this.state.active, trial: false, boots: 0, rejected: this.state.rejected });
  }
}
