// What one board lets its origin transfers have in flight, shared among those running.
// A transfer's room (TftpGetOptions.sackWindowBytes) caps its rate at room / round trip,
// and bounds what lands while the board's flash pauses. Fixed per transfer (256 KiB:
// 14 Mbit/s at 150 ms), the last component left ran alone at 14 Mbit/s; shared, a
// transfer left alone gets the whole budget.
//
// The budget depends on whether the board's consumer (its pipeline, paced by flash)
// keeps up: 4 MiB once it has taken everything it was handed for a second without
// pausing, 1 MiB from the start and again for a second after any pause. A fixed 1 MiB
// (56 Mbit/s at 150 ms) held the root of a one-model site to half of a 100 Mbit/s WAN
// (64 MiB: 2.3 x the limit against 1.4 x; bench/RESULTS.md, WAN window); a fixed 4 MiB
// let that much land in memory behind a flash too slow to use the rate (the slow-flash
// test's root: 5.2 MB waiting for flash against 2.0). The pace the consumer took at was
// tried as the signal and dropped: under loss the pace falls with the window, and the
// budget with it (one model, 100 Mbit/s, 5 % loss: 4.4 x the limit against 2.9 x).

/** The most the board's transfers may have in flight: 224 Mbit/s at 150 ms. */
export const SACK_SHARE_BYTES = 4 << 20;
/** The least, the budget until the consumer has kept up for `KEPT_UP_MS`: 56 Mbit/s at 150 ms. */
export const SACK_SHARE_FLOOR = 1 << 20;
/** No transfer gets less than this, however many run. */
const MIN_BYTES = 128 << 10;
/** How long the consumer must take without pausing before the board gets the most, ms. */
export const KEPT_UP_MS = 1000;

export interface SackShareOptions {
  /** Monotonic milliseconds (tests pass a fake clock). */
  now?: () => number;
}

export class SackShare {
  private active = 0;
  private readonly now: () => number;
  /** Since when the consumer has taken without pausing (undefined: it has taken nothing yet, or is paused). */
  private keptUpSince: number | undefined;

  constructor(o: SackShareOptions = {}) {
    this.now = o.now ?? (() => performance.now());
  }

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

  /** The board's consumer took bytes and asks for more (`more`), or paused (false). */
  took(more: boolean): void {
    if (!more) this.keptUpSince = undefined;
    else this.keptUpSince ??= this.now();
  }

  /**
   * `sink` as the share watches it: each time it takes, whether it asks for more.
   * While it has paused, what lands (the window that was in flight) says nothing of its
   * pace; `resumed` (call it when the consumer asks for more again) starts the count anew.
   */
  meter(sink: (b: Buffer) => boolean): { sink: (b: Buffer) => boolean; resumed: () => void } {
    let taking = true;
    return {
      sink: (b) => {
        const more = sink(b);
        if (taking || !more) this.took(more);
        taking = more;
        return more;
      },
      resumed: () => {
        taking = true;
        this.took(true);
      },
    };
  }

  /** The board's budget now, bytes. */
  totalBytes(): number {
    const since = this.keptUpSince;
    return since !== undefined && this.now() - since >= KEPT_UP_MS ? SACK_SHARE_BYTES : SACK_SHARE_FLOOR;
  }

  /** Each running transfer's room now, bytes. */
  perTransfer(): number {
    return Math.max(MIN_BYTES, Math.floor(this.totalBytes() / Math.max(1, this.active)));
  }
}
