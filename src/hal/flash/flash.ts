import { PfsError } from '../../errors';

export type SlotName = 'A' | 'B';

/** What `boot()` decided: the slot to run, and whether it is a trial of a new load. */
export interface BootSelection {
  slot: SlotName | null;
  load: string | null;
  /** A newly committed load that has not yet said it came up (markGood). */
  trial: boolean;
  /** The new load failed to come up too often: this boot went back to the previous one. */
  fellBack: boolean;
}

/** Where one component of the load being installed is written: position-addressed, like a file. */
export interface ComponentStore {
  writev(buffers: readonly Buffer[], position: number): Promise<number>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Bytes already there from an interrupted install of the same load (a resume); 0 for a fresh one. */
  readonly existingBytes: number;
  truncate(length: number): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A board's firmware storage with two slots: the active one it boots, and the
 * inactive one an upgrade writes. The switch is one atomic step, so a power cut at
 * any moment leaves the board booting either the old load or the whole new one.
 */
export interface Flash {
  readonly kind: string;
  /** Reads the slot table; call first. */
  open(): Promise<void>;
  /**
   * Once per boot: picks the slot to run. A newly committed load boots on trial;
   * after `maxTrials` boots without markGood() the board falls back to the previous load.
   */
  boot(maxTrials?: number): Promise<BootSelection>;
  /** The load the board runs now; null on a blank board. */
  activeLoad(): Promise<string | null>;
  /** Starts writing `load` into the inactive slot, or resumes if that slot already holds part of the same load. */
  beginInstall(load: string): Promise<void>;
  /** A component of the load being installed (after beginInstall). */
  openComponent(file: string): Promise<ComponentStore>;
  /** Makes the installed load active, on trial. Every file must be there with its size, or nothing changes. */
  commit(load: string, files: { name: string; size: number }[]): Promise<void>;
  /** The new load came up: it is no longer on trial. */
  markGood(): Promise<void>;
  /** Goes back to the previous load now (if there is one). */
  rollback(): Promise<void>;
}

export class FlashError extends PfsError {
  constructor(where: string, reason: string) {
    super('PFS_ERR_FLASH', `flash ${where}: ${reason}`);
  }
}
