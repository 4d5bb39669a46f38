import { constants, writeFileSync } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from '../../log/logger';
import { Blinker } from './blinker';
import { simpleBlink, timelineOf, type LedPattern } from './pattern';
import { LedError, type LedTimers, type Leds } from './types';

/** `none [mmc0] timer heartbeat` → the triggers offered and the one in brackets. */
export function parseTriggers(text: string): { offered: string[]; current: string | undefined } {
  let current: string | undefined;
  const offered = text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => {
      const m = /^\[(.*)\]$/.exec(w);
      if (m) current = m[1]!;
      return m ? m[1]! : w;
    });
  return { offered, current };
}

/**
 * A Linux LED class device (`/sys/class/leds/NAME`). Simple blinks are handed to
 * the kernel's `timer` trigger (`delay_on`/`delay_off`), the double flash to the
 * `pattern` trigger, so the kernel blinks and pfs spends no CPU on it; where the
 * folder offers neither, `brightness` is written at each edge from a timer. `close`
 * restores the trigger found at open (or the brightness, where there was none).
 */
export class SysfsLeds implements Leds {
  readonly kind = 'sysfs';
  private readonly name: string;
  private readonly blinker: Blinker;
  private pattern: LedPattern | undefined;
  private trigger: string | undefined;
  private failed = false;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly board: string,
    private readonly log: Logger,
    private readonly max: number,
    private readonly offered: string[],
    private readonly previousTrigger: string | undefined,
    private readonly previousBrightness: string,
    timers: LedTimers | undefined,
  ) {
    this.name = basename(dir);
    this.trigger = previousTrigger;
    this.blinker = new Blinker((l) => this.write('brightness', String(l ? this.max : 0)), (e) => this.fail(e), timers);
  }

  static async open(dir: string, board: string, log: Logger, timers?: LedTimers): Promise<SysfsLeds> {
    const st = await stat(dir).catch((e: NodeJS.ErrnoException) => {
      throw new LedError('PFS_ERR_LED_MISSING', board, dir, `no such LED (${e.code}); the kernel lists its LEDs in /sys/class/leds`, { cause: e });
    });
    if (!st.isDirectory()) throw new LedError('PFS_ERR_LED_MISSING', board, dir, 'not an LED folder (expected a folder like /sys/class/leds/ACT)');
    const brightness = await readFile(join(dir, 'brightness'), 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new LedError('PFS_ERR_LED', board, dir, `not an LED folder: cannot read brightness (${e.code})`, { cause: e });
    });
    await access(join(dir, 'brightness'), constants.W_OK).catch((e: NodeJS.ErrnoException) => {
      throw new LedError('PFS_ERR_LED', board, dir, `brightness is not writable (${e.code}): run pfs as root, or give its user the LED with a udev rule`, { cause: e });
    });
    const maxText = await readFile(join(dir, 'max_brightness'), 'utf8').catch(() => '1');
    const max = Number.parseInt(maxText, 10) > 0 ? Number.parseInt(maxText, 10) : 1;
    const triggers = await readFile(join(dir, 'trigger'), 'utf8').then(parseTriggers, () => ({ offered: [], current: undefined }));
    return new SysfsLeds(dir, board, log, max, triggers.offered, triggers.current, brightness.trim(), timers);
  }

  set(pattern: LedPattern): void {
    if (this.closed || this.failed || pattern === this.pattern) return;
    this.pattern = pattern;
    this.blinker.stop();
    const tl = timelineOf(pattern);
    const blink = simpleBlink(pattern);
    try {
      if (blink && this.offered.includes('timer')) {
        this.setTrigger('timer');
        this.write('delay_on', String(blink.on));
        this.write('delay_off', String(blink.off));
      } else if (tl.steps.length > 2 && this.offered.includes('pattern')) {
        // `B d B 0` holds B for d ms then jumps: the trigger's documented on/off form.
        const tuples = tl.steps.map((ms, i) => {
          const b = i % 2 === 0 ? this.max : 0;
          return `${b} ${ms} ${b} 0`;
        });
        this.setTrigger('pattern');
        this.write('pattern', tuples.join(' '));
        this.write('repeat', '-1');
      } else {
        if (this.trigger !== undefined && this.trigger !== 'none') this.setTrigger('none');
        this.blinker.run(pattern);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.blinker.stop();
    if (this.failed) return;
    try {
      if (this.previousTrigger !== undefined && this.previousTrigger !== 'none') {
        this.setTrigger(this.previousTrigger);
      } else {
        if (this.trigger !== undefined && this.trigger !== 'none') this.setTrigger('none');
        this.write('brightness', this.previousBrightness);
      }
    } catch (e) {
      throw new LedError('PFS_ERR_LED', this.board, this.dir, `cannot give the LED back (${(e as NodeJS.ErrnoException).code ?? e})`, { cause: e });
    }
  }

  private setTrigger(t: string): void {
    // Writing the active trigger again would restart it (and recreate its files): skip.
    if (t === this.trigger) return;
    this.write('trigger', t);
    this.trigger = t;
  }

  private write(file: string, value: string): void {
    writeFileSync(join(this.dir, file), value);
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.blinker.stop();
    this.log.wrn(`LED ${this.name}: ${this.board} ${this.dir}: cannot drive it any more (${(e as NodeJS.ErrnoException).code ?? e}); the LED is left as it is`);
  }
}
