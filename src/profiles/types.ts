// What a board file and a phone-model file hold, once checked (see load.ts and docs/CONFIG.md).
// Types only: hal, boot and lab all read them, so they live below all three.

/**
 * A board's hardware (`boards/<board>.json`): which HAL back-end drives each part
 * and its parameters. Every path is taken under the board's root folder (see
 * `boardPath`): `/` on a flashed board, a folder for the `sim` board. See docs/CONFIG.md.
 */
export interface BoardProfile {
  board: string;
  description: string;
  /**
   * Firmware slots. `dir`: `path` is a folder holding both slots and the pointer.
   * `block` / `mtd` (issue 6): `path` is the pointer's partition or file, `slots`
   * the A and B partitions.
   */
  /**
   * `trials`: boots a new load gets to come up (reach the network) before the board goes
   * back to the other slot; default 3. `trialSeconds`: how long the runtime a load carries
   * may take to come up before the launcher stops it (a failed trial boot); default: no limit.
   */
  flash: { backend: 'dir' | 'mtd' | 'block'; path: string; slots?: string[]; trials?: number; trialSeconds?: number };
  /**
   * `fbdev`: `device` (/dev/fb0). `ssd1306`: `device` (/dev/i2c-1) and its I2C
   * `address` (default 0x3c). `png`: `path`, the file the screen is written to.
   */
  display: { backend: 'fbdev' | 'ssd1306' | 'terminal' | 'png' | 'none'; device?: string; address?: number; path?: string };
  /** `sysfs`: `path`, the LED's folder (/sys/class/leds/ACT). `gpio`: `device` (/dev/gpiochip0) and `line`. */
  leds: { backend: 'sysfs' | 'gpio' | 'terminal' | 'none'; path?: string; device?: string; line?: number };
  /** Serial console device (`-`: standard output) and its speed in baud. */
  console: { device: string; baud: number };
  /** The interface whose MAC names the board and whose subnet it shares with its peers. */
  network: { interface: string };
  /** The boot configuration file (pfs.txt). */
  bootConfig: string;
  /** The kernel command line (/proc/cmdline). */
  cmdline: string;
  /** Folder of the public keys the board accepts signed loads from. */
  trust: string;
  /** Scratch space that is not flash (the manifest waits here until verified). */
  tmp: string;
  /**
   * The CPU of the board's usual OS (64-bit Raspberry Pi OS: arm64): which release
   * executable `pfs image` puts on it when the image does not tell.
   */
  arch?: 'x64' | 'arm64' | 'armv7l';
  /**
   * How the board names itself in /proc/device-tree/model: each entry is the start of
   * that text (`Raspberry Pi 4` matches `Raspberry Pi 4 Model B Rev 1.4`). `pfs boot`
   * without --board takes the board whose entry matches.
   */
  deviceTree?: string[];
}

/** A phone model (`boards/models/<model>.json`) as the phone reports it, and what it can do. */
export interface ModelProfile {
  /** As the phone reports it: CP-7961G. Equal to the file name. */
  model: string;
  description: string;
  /** Prefix of this model's load names, e.g. SCCP41 for the 7941/7961. */
  loadPrefix: string;
  /** The physical display: pixels, bits per pixel, colour or grey levels. */
  screen: { width: number; height: number; depth: number; color: boolean };
  /** The phone's lights, by name (message, line, speaker, …). */
  leds: string[];
  /** Whether the model takes part in Peer Firmware Sharing (the 7940/7960 do not). */
  pfs: boolean;
  /**
   * CUCM's device type number, as in XMLDefault's `<loadInformation30018>` (7961).
   * A `loadInformation<N>` element with this N is for this model.
   */
  deviceType?: number;
  /** Other names for the model: CUCM's `model="Cisco 7961"`, `IP Phone 7961`, a bare `7961`. */
  aliases?: string[];
  /** Where the figures come from and what is assumed. */
  notes?: string;
}
