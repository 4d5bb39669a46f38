// What one board lets its origin transfers have in flight, shared among those running.
// A transfer's room (TftpGetOptions.sackWindowBytes) caps its rate at room / round trip
// (256 KiB at 150 ms: 14 Mbit/s), and bounds what lands while the board's flash
// pauses. Fixed per transfer, four components at once could fill a 56 Mbit/s WAN, but
// the last one left ran alone at 14 Mbit/s (at 100 Mbit/s the fleet's last seconds
// crawled). Shared, the board's total stays the same and a transfer left alone gets it.

/** The board's total: what four transfers of the former 256 KiB each had. */
export const SACK_SHARE_BYTES = 1 << 20;
/** No transfer gets less than this, however many run. */
const MIN_BYTES = 128 << 10;

export class SackShare {
  private active = 0;

  constructor(readonly totalBytes = SACK_SHARE_BYTES) {}

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

  /** Each running transfer's room now, bytes. */
  perTransfer(): number {
    return Math.max(MIN_BYTES, Math.floor(this.totalBytes / Math.max(1, this.active)));
  }
}
