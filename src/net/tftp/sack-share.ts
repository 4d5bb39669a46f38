// What one board lets its origin transfers have in flight, shared among those running.
// A transfer's room (TftpGetOptions.sackWindowBytes) caps its rate at room / round trip,
// and bounds what lands while the board's flash pauses. Fixed per transfer (256 KiB:
// 14 Mbit/s at 150 ms), the last component left ran alone at 14 Mbit/s; shared, a
// transfer left alone gets the whole budget.
//
// The budget is what the board's flash writes in FLASH_HORIZON_MS, between 1 and 4 MiB.
// Room past what flash takes in a round trip buys no speed, only memory: what lands
// when the pipeline pauses. A fixed 1 MiB (56 Mbit/s at 150 ms) held the root of a
// one-model site to half of a 100 Mbit/s WAN (bench/RESULTS.md, WAN window); a fixed
// 4 MiB let that much land behind a flash too slow to use it. Flash's pace is measured
// as bytes over the time flash was busy writing (any of the board's files: writes at
// once count their time once), not over the time the file took: the second falls with
// the WAN's loss, the first only with the flash. Two signals were tried
// and dropped: the consumer's pace (it is the network's under loss), and whether the
// consumer kept up for a second (on a loaded machine a slow network let a slow flash
// keep up, the budget grew, and 3.7 MB landed behind it once the network sped up).

/** The most the board's transfers may have in flight: 224 Mbit/s at 150 ms. */
export const SACK_SHARE_BYTES = 4 << 20;
/** The least, and the budget until flash's pace is known: 56 Mbit/s at 150 ms. */
export const SACK_SHARE_FLOOR = 1 << 20;
/** The budget is what flash writes in this long: what lands behind a pause waits at most this, ms. */
export const FLASH_HORIZON_MS = 250;
/** No transfer gets less than this, however many run. */
const MIN_BYTES = 128 << 10;
/** Flash's pace is trusted once this much was written, and weighs the last few MiB most. */
const PACE_MIN_BYTES = 256 << 10;
const PACE_WINDOW_BYTES = 4 << 20;

/** The board's budget for a flash that writes `bytesPerSecond` (undefined: not known yet). */
export function shareBudget(bytesPerSecond: number | undefined): number {
  if (bytesPerSecond === undefined) return SACK_SHARE_FLOOR;
  return Math.max(SACK_SHARE_FLOOR, Math.min(SACK_SHARE_BYTES, Math.floor((bytesPerSecond * FLASH_HORIZON_MS) / 1000)));
}

export class SackShare {
  private active = 0;
  private flashBytes = 0;
  private flashMs = 0;
  /** Writes under way, and since when flash's busy time was last counted. */
  private writing = 0;
  private countedAt = 0;

  /** `now`: monotonic milliseconds (tests pass their own clock). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** A transfer starts taking data; call what it returns when it ends (twice is harmless). */
  enter(): () => void {
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active--;
    };
  }

  /**
   * A write to the board's flash starts (any file's); call what it returns with the
   * bytes written when it ends (0 if it failed; twice is harmless). Flash is busy while
   * any write is under way: writes at once share that time, so four components written
   * side by side count the flash's pace, not a quarter of it. Bound, so that a
   * pipeline can be handed `share.flashWriting` itself.
   */
  readonly flashWriting = (): ((bytes: number) => void) => {
    this.countBusy();
    this.writing++;
    let ended = false;
    return (bytes) => {
      if (ended) return;
      ended = true;
      this.countBusy();
      this.writing--;
      this.flashBytes += bytes;
      if (this.flashBytes > PACE_WINDOW_BYTES) {
        this.flashBytes /= 2;
        this.flashMs /= 2;
      }
    };
  };

  private countBusy(): void {
    const t = this.now();
    if (this.writing > 0) this.flashMs += t - this.countedAt;
    this.countedAt = t;
  }

  /** Bytes per second flash takes while it writes; undefined until enough was written. */
  flashPace(): number | undefined {
    if (this.flashBytes < PACE_MIN_BYTES) return undefined;
    return this.flashMs > 0 ? (this.flashBytes * 1000) / this.flashMs : Infinity;
  }

  /** The board's budget now, bytes. */
  totalBytes(): number {
    return shareBudget(this.flashPace());
  }

  /** Each running transfer's room now, bytes. */
  perTransfer(): number {
    return Math.max(MIN_BYTES, Math.floor(this.totalBytes() / Math.max(1, this.active)));
  }
}
