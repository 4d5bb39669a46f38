import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import type { Logger } from '../../log/logger';
import type { UpgradeView } from '../view';
import type { Canvas } from './canvas';
import { render, type Screen } from './layout';
import type { Display } from './types';

/**
 * The canvas as PNG bytes: 8-bit grey for a grey canvas, RGB for a colour one.
 * pngjs is handed the pixels in the PNG's own format (its fast path: no per-pixel
 * conversion from RGBA) and one filter (Sub) instead of trying all five on every
 * row: 0.5-1 ms a frame instead of 4-7 (warm), for files of 4-14 KB instead of 3-8.
 * A sim board in a fleet spent a quarter of its CPU here.
 */
export function encodePng(c: Canvas, greyScratch?: Buffer): Buffer {
  const colorType = c.color ? 2 : 0;
  const data = c.color ? Buffer.from(c.data.buffer, c.data.byteOffset, c.data.length) : c.grey(greyScratch);
  // The sync writer reads only width, height and data: a plain record, not a `new PNG()`,
  // which per frame builds a stream with its parser and a zeroed RGBA buffer (4 x w x h)
  // that is thrown away at once.
  return PNG.sync.write({ width: c.width, height: c.height, data } as PNG, { colorType, inputColorType: colorType, inputHasAlpha: false, filterType: 1 });
}

/** Time for PngDisplay: milliseconds (monotonic) and the timer for a frame held back; tests pass a fake clock. */
export interface PngClock {
  now(): number;
  /** Must not keep the process alive (unref). */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PngClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * The screen written to a PNG file (the `sim` board, docs, headless boards). Each
 * write goes to a temporary file renamed over the old one, so a reader never sees
 * half a picture. A frame identical to the file's is not written; a changing screen
 * is drawn and written at most once every `minIntervalMs`, except on a phase change,
 * and the view held back is drawn and written when the interval ends or at close.
 */
export class PngDisplay implements Display {
  readonly kind = 'png';
  /** Files written so far (for tests and the lab's statistics). */
  writes = 0;
  /** Frames rendered so far (for tests: a held-back view is not drawn until it is due). */
  draws = 0;
  private last: Canvas | undefined;
  /** The canvas the next frame is drawn on: never `last`, which the next frame is compared with. */
  private spare: Canvas | undefined;
  private greyScratch: Buffer | undefined;
  private lastPhase: string | undefined;
  private lastDrawAt = -Infinity;
  private pending: UpgradeView | undefined;
  private timer: unknown;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private lastKey = '';

  private constructor(
    readonly path: string,
    private readonly screen: Screen,
    private readonly log: Logger,
    private readonly minIntervalMs: number,
    private readonly clock: PngClock,
  ) {}

  /** `now` alone replaces the clock's time; `clock` replaces time and timer. */
  static async open(path: string, screen: Screen, log: Logger, o: { minIntervalMs?: number; now?: () => number; clock?: PngClock } = {}): Promise<PngDisplay> {
    await mkdir(dirname(path), { recursive: true });
    const clock = o.clock ?? (o.now ? { ...realClock, now: o.now } : realClock);
    return new PngDisplay(path, screen, log, o.minIntervalMs ?? 1000, clock);
  }

  private now(): number {
    return this.clock.now();
  }

  async show(view: UpgradeView): Promise<void> {
    if (this.closed) return;
    // The same view draws the same picture: not drawn again (the caller refreshes every 250 ms).
    const key = JSON.stringify(view);
    if (key === this.lastKey) return;
    this.lastKey = key;
    const phaseChanged = view.phase !== this.lastPhase;
    this.lastPhase = view.phase;
    const due = this.lastDrawAt + this.minIntervalMs;
    if (phaseChanged || this.now() >= due) {
      this.pending = undefined;
      this.clearTimer();
      await this.write(this.draw(view));
      return;
    }
    // Held back: drawn only when its interval ends (a frame a second, not one a refresh).
    this.pending = view;
    if (!this.timer) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        const v = this.pending;
        this.pending = undefined;
        if (v) void this.write(this.draw(v));
      }, Math.max(0, due - this.now()));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.clearTimer();
    const v = this.pending;
    this.pending = undefined;
    if (v) await this.write(this.draw(v));
    this.closed = true;
    await this.chain;
  }

  /** Resolves when every frame written so far is on disk. */
  settled(): Promise<void> {
    return this.chain;
  }

  private clearTimer(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private draw(view: UpgradeView): Canvas {
    this.draws++;
    this.lastDrawAt = this.now();
    this.spare = render(view, this.screen, this.spare);
    return this.spare;
  }

  /** Writes the frame unless the file already shows it. */
  private write(frame: Canvas): Promise<void> {
    if (frame.equals(this.last)) return this.chain;
    // Encoded now, not when the file writes before it are done: the canvas is drawn on
    // again by a later frame (the one before it becomes the spare).
    const grey = frame.color ? undefined : (this.greyScratch ??= Buffer.allocUnsafe(frame.width * frame.height));
    let png: Buffer;
    try {
      png = encodePng(frame, grey);
    } catch (e) {
      this.log.wrn(`display png ${this.path}: ${(e as Error).message}`);
      return this.chain;
    }
    this.spare = this.last;
    this.last = frame;
    this.chain = this.chain.then(async () => {
      const tmp = `${this.path}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, png);
        await rename(tmp, this.path);
        this.writes++;
      } catch (e) {
        this.log.wrn(`display png ${this.path}: ${(e as Error).message}`);
        await rm(tmp, { force: true }).catch(() => {});
      }
    });
    return this.chain;
  }
}
