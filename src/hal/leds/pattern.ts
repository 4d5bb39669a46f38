import type { UpgradeView } from '../view';

/**
 * What the board's LED says to a technician standing in front of it (docs/LEDS.md):
 *
 * | pattern       | the LED                                  | means                                            |
 * |---------------|------------------------------------------|--------------------------------------------------|
 * | `off`         | dark                                     | pfs is not running (before start, after close)   |
 * | `idle`        | short flash once a second (1 Hz)         | booting or fetching the configuration            |
 * | `downloading` | even blink, twice a second (2 Hz)        | fetching the new load: do not power off          |
 * | `serving`     | double flash once a second               | has the whole load, sending it to other boards   |
 * | `error`       | fast flicker (8 Hz)                      | stopped on an error: read the console            |
 * | `done`        | steady on                                | up to date (or committed and about to reboot)    |
 */
export type LedPattern = 'off' | 'idle' | 'downloading' | 'serving' | 'error' | 'done';

export const LED_PATTERNS: readonly LedPattern[] = ['off', 'idle', 'downloading', 'serving', 'error', 'done'];

/**
 * The pattern for a board's upgrade view:
 * - phase `error` → `error`;
 * - `booting`, `config` → `idle`;
 * - `upgrading` → `downloading` while any of this board's own components is not yet
 *   `done` (downloading, verifying, but also waiting for its parent or an election:
 *   the board is busy with its upgrade); once every component is `done` and some are
 *   being sent to children → `serving`. So a board that both fetches and serves shows
 *   `downloading` until it holds the whole load: the blink a technician must not
 *   interrupt wins over the one that only helps others;
 * - `serving` (committed, staying up for its children) → `serving`;
 * - `done`, `current` → `done`.
 *
 * `off` is never returned: it is what the LED shows when pfs does not drive it.
 */
export function patternOf(view: UpgradeView): LedPattern {
  switch (view.phase) {
    case 'error':
      return 'error';
    case 'booting':
    case 'config':
      return 'idle';
    case 'serving':
      return 'serving';
    case 'done':
    case 'current':
      return 'done';
    case 'upgrading': {
      const cs = view.components;
      const allHeld = cs.length > 0 && cs.every((c) => c.state === 'done');
      return allHeld && cs.some((c) => c.children > 0) ? 'serving' : 'downloading';
    }
  }
}

/**
 * A pattern as light over time. `steps` are durations in milliseconds, alternately
 * on and off, starting with on, repeated for ever; empty means steady at `steady`.
 */
export interface LedTimeline {
  readonly steps: readonly number[];
  readonly steady: 0 | 1;
  /** How a technician would describe it: `blink 2 Hz`. */
  readonly text: string;
}

const TIMELINES: Record<LedPattern, LedTimeline> = {
  off: { steps: [], steady: 0, text: 'off' },
  idle: { steps: [100, 900], steady: 0, text: 'flash 1 Hz' },
  downloading: { steps: [250, 250], steady: 0, text: 'blink 2 Hz' },
  serving: { steps: [100, 150, 100, 650], steady: 0, text: 'double flash 1 Hz' },
  error: { steps: [62, 63], steady: 0, text: 'fast blink 8 Hz' },
  done: { steps: [], steady: 1, text: 'steady on' },
};

export function timelineOf(pattern: LedPattern): LedTimeline {
  return TIMELINES[pattern];
}

/** A single on/off cycle (what the kernel's `timer` trigger can do by itself), else undefined. */
export function simpleBlink(pattern: LedPattern): { on: number; off: number } | undefined {
  const s = TIMELINES[pattern].steps;
  return s.length === 2 ? { on: s[0]!, off: s[1]! } : undefined;
}

/** Milliseconds in one cycle (0 for a steady pattern). */
export function periodOf(pattern: LedPattern): number {
  return TIMELINES[pattern].steps.reduce((a, b) => a + b, 0);
}

/** Where `tMs` (≥ 0, from the start of the pattern) falls: the step's index and its end within the cycle. */
function stepAt(steps: readonly number[], period: number, tMs: number): { index: number; end: number; cycleT: number } {
  const cycleT = ((tMs % period) + period) % period;
  let end = 0;
  for (let i = 0; i < steps.length; i++) {
    end += steps[i]!;
    if (cycleT < end) return { index: i, end, cycleT };
  }
  return { index: 0, end: steps[0]!, cycleT: 0 };
}

/** The LED's level `tMs` milliseconds after the pattern started (steps are [start, end)). */
export function levelAt(pattern: LedPattern, tMs: number): 0 | 1 {
  const tl = TIMELINES[pattern];
  if (tl.steps.length === 0) return tl.steady;
  return stepAt(tl.steps, periodOf(pattern), tMs).index % 2 === 0 ? 1 : 0;
}

/** Whole milliseconds (≥ 1) from `tMs` until the level next changes; undefined for a steady pattern. */
export function msToNextChange(pattern: LedPattern, tMs: number): number | undefined {
  const tl = TIMELINES[pattern];
  if (tl.steps.length === 0) return undefined;
  const { end, cycleT } = stepAt(tl.steps, periodOf(pattern), tMs);
  return Math.max(1, Math.ceil(end - cycleT));
}
