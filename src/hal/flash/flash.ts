import { PfsError } from '../../errors';

export type SlotName = 'A' | 'B';

/** What `boot()` decided: the slot to run, and whether it is a trial of a new load. */
export interface BootSelection {
  /** null on a blank board (nothing was ever committed). */
  slot: SlotName | null;
  load: string | null;
  /** A newly committed load that has not yet said it came up (markGood). */
  trial: boolean;
  /** The new load failed to come up `maxTrials` times: this boot went back to the previous one. */
  fellBack: boolean;
  /** With `fellBack`: the load that was given up (its slot is no longer bootable). */
  failedLoad: string | null;
}

/**
 * Where one component of the load being installed is written: position-addressed,
 * like a file. Positions, lengths and counts are bytes. Errors are FlashError
 * (`PFS_ERR_FLASH_IO`) naming the device and the file.
 */
export interface ComponentStore {
  /** Writes `buffers` one after the other from `position`; returns the bytes written (may be fewer). */
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; returns the bytes read (0 at the end). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * Bytes already there from an interrupted install of the same load (a resume); 0
   * for a fresh one. After a power cut these bytes may not all be what was written:
   * the caller verifies them (per-block hashes) before keeping any.
   */
  readonly existingBytes: number;
  /** Cuts (or extends with zeros) the component to `length` bytes. */
  truncate(length: number): Promise<void>;
  /** Returns once every byte written so far is on the medium. commit() syncs too. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** A component of the active load, read-only: what a board serves its peers from. */
export interface ComponentReader {
  /** Bytes, as committed. */
  readonly size: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** The slot table as it stands, for logs and tests. */
export interface FlashStatus {
  active: SlotName | null;
  /** The slot boot() or rollback() would go back to; null when there is none. */
  previous: SlotName | null;
  trial: boolean;
  /** Trial boots counted so far. */
  boots: number;
  /** The complete load each slot holds (null: empty, being written, or given up). */
  slots: Record<SlotName, string | null>;
  /**
   * The last load boot() gave up on (it failed to come up `maxTrials` times), kept
   * across power-ons so that a board does not install it again; null when none was.
   */
  rejected: string | null;
}

/**
 * A board's firmware storage with two slots: the active one it boots, and the
 * inactive one an upgrade writes. The switch is one atomic step, so a power cut at
 * any moment leaves the board booting either the old load or the whole new one.
 *
 * Lifecycle: `open()`, then `boot()` once per power-on; an upgrade is
 * `beginInstall` → `openComponent` (per file) → `commit`; the next boot runs the new
 * load on trial until `markGood()`. Every error is a FlashError (`PFS_ERR_FLASH_*`).
 */
export interface Flash {
  /** The back-end's name (`dir`, `mem`, `mtd`, `block`). */
  readonly kind: string;
  /** Reads the slot table and repairs what an interrupted commit or install left; call first. */
  open(): Promise<void>;
  /**
   * Once per boot: picks the slot to run. A newly committed load boots on trial and
   * each boot() counts one; the first boot() after `maxTrials` (default 3) counted
   * boots without markGood() goes back to the previous load (`fellBack`).
   */
  boot(maxTrials?: number): Promise<BootSelection>;
  /** The load the board runs now; null on a blank board. */
  activeLoad(): Promise<string | null>;
  /** The slot table, for logs and tests. */
  status(): Promise<FlashStatus>;
  /**
   * Starts writing `load` into the inactive slot, or resumes if that slot already
   * holds part of the same load (see ComponentStore.existingBytes). Another load
   * clears the slot first; if it was the fallback of a trial load, that load loses
   * its fallback. The slot is not bootable until commit().
   */
  beginInstall(load: string): Promise<void>;
  /** A component of the load being installed (after beginInstall), created empty if new. */
  openComponent(file: string): Promise<ComponentStore>;
  /** A component of the active load, for reading; null if the active load has no such file (or there is none). */
  readActive(file: string): Promise<ComponentReader | null>;
  /**
   * Where a file of the active load is on the board's own file system, for a back-end
   * that keeps files as files (`dir` on a real folder): the runtime a load carries is
   * started from there. Absent, or null: the back-end has no such path (raw flash, `mem`),
   * or the active load has no such file.
   */
  activeFilePath?(file: string): Promise<string | null>;
  /**
   * Makes the installed load active, on trial. Every file must be there with its
   * size (else `PFS_ERR_FLASH_INCOMPLETE` and nothing changes); they are synced to
   * the medium before the switch.
   */
  commit(load: string, files: readonly { name: string; size: number }[]): Promise<void>;
  /**
   * Puts on the medium, while the files still download, what commit() would write
   * about the slot besides their bytes (`dir`: `slot.json`, and the files' names), so
   * that a commit of the same `load` and `files` has only the bytes to sync and the
   * switch to make. The slot stays unbootable until commit(); a commit with other
   * files writes its own. Absent where it would save nothing.
   */
  planCommit?(load: string, files: readonly { name: string; size: number }[]): Promise<void>;
  /** The running load came up: it is no longer on trial. No-op when not on trial. */
  markGood(): Promise<void>;
  /** Goes back to the previous load now (`PFS_ERR_FLASH_NO_PREVIOUS` if there is none). */
  rollback(): Promise<void>;
  /** Lets go of the devices a back-end keeps open (`mtd`, `block`); open() again to use it. */
  close?(): Promise<void>;
}

/**
 * - `PFS_ERR_FLASH_STATE`: the slot table is unreadable or names a slot that is not complete (changed by hand).
 * - `PFS_ERR_FLASH_INCOMPLETE`: commit() with a missing or short file.
 * - `PFS_ERR_FLASH_SEQUENCE`: a call out of order (openComponent before beginInstall, commit of another load).
 * - `PFS_ERR_FLASH_NAME`: a load or component name that is not a plain file name, or is reserved.
 * - `PFS_ERR_FLASH_NO_PREVIOUS`: rollback() with no complete previous load.
 * - `PFS_ERR_FLASH_IO`: the medium failed (the cause is kept).
 * - `PFS_ERR_FLASH_CONFIG`: the board file's `flash` cannot work (a back-end without its partitions, a device of the wrong kind).
 */
export type FlashErrorCode =
  | 'PFS_ERR_FLASH_STATE'
  | 'PFS_ERR_FLASH_INCOMPLETE'
  | 'PFS_ERR_FLASH_SEQUENCE'
  | 'PFS_ERR_FLASH_NAME'
  | 'PFS_ERR_FLASH_NO_PREVIOUS'
  | 'PFS_ERR_FLASH_IO'
  | 'PFS_ERR_FLASH_CONFIG';

/** A flash failure; the message names the device (or folder) and, when there is one, the file. */
export class FlashError extends PfsError {
  constructor(
    code: FlashErrorCode,
    readonly device: string,
    readonly file: string | null,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(code, `flash ${device}${file ? ` ${file}` : ''}: ${reason}`, options);
  }
}
