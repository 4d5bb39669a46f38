/**
 * What a board shows of its upgrade: the one picture the display draws and the
 * LEDs summarise. The boot sequence keeps it up to date (src/boot/progress.ts);
 * back-ends only read it, so a screen never has to know where bytes come from.
 */

/** A component's state as the phone's upgrade screen names it. */
export type ComponentState = 'waiting' | 'downloading' | 'verifying' | 'done' | 'failed';

/**
 * How this board takes part for one file: the root fetches it from the server, a
 * parent has children below it, a child only receives, `tftp` is a direct download
 * (Peer Firmware Sharing off, or a model without it).
 */
export type ShareRole = 'root' | 'parent' | 'child' | 'tftp';

export interface ComponentView {
  name: string;
  /** Bytes in the component. */
  size: number;
  /** Bytes held and verified so far. */
  bytes: number;
  state: ComponentState;
  role: ShareRole;
  /** Children this board is sending the file to now. */
  children: number;
}

/**
 * Where the board is in its boot: `booting` (before the configuration), `config`
 * (fetching it), `upgrading`, `serving` (committed, staying up for its children),
 * `done` (new load committed: about to reboot), `current` (nothing to do), `error`.
 */
export type BoardPhase = 'booting' | 'config' | 'upgrading' | 'serving' | 'done' | 'current' | 'error';

export interface UpgradeView {
  /** The phone model, e.g. CP-7961G. */
  model: string;
  /** The load running now (null on a blank board). */
  running: string | null;
  /** The load being installed, once the configuration named one. */
  target: string | null;
  phase: BoardPhase;
  /** Peer Firmware Sharing is on for this upgrade (the PFS icon in the top-right corner). */
  pfs: boolean;
  components: ComponentView[];
  /** A short reason, with `phase: 'error'`. */
  error?: string;
}

export function initialView(model: string, running: string | null): UpgradeView {
  return { model, running, target: null, phase: 'booting', pfs: false, components: [] };
}
