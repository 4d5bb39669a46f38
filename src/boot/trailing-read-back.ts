import type { BlockPlan } from '../net/peer/block-assembler';
import type { SpoolMedium } from '../net/peer/spool';
import { READ_BYTES, readSpan, verifiedPrefix } from '../net/peer/verified-prefix';

/** A component's slot as the download writes it (UpgradeStore). */
type Store = SpoolMedium & { readonly existingBytes: number };

/**
 * What the trailing read-backs of one upgrade share: one read buffer, and the turn to
 * use it. Their reading is off the download's path, so taking turns costs it nothing,
 * while a buffer kept per component (four downloading at once) raised a board's peak
 * RSS by 0.9 MiB, and one allocated per read by 3.5-4.7 MiB (bench:footprint).
 */
export class ReadBackLane {
  private buf?: Buffer;
  private turn: Promise<unknown> = Promise.resolve();

  /** Runs `read` with a buffer of at least `bytes`, after every read given earlier. */
  take<T>(bytes: number, read: (buf: Buffer) => Promise<T>): Promise<T> {
    const run = this.turn.then(() => {
      if (!this.buf || this.buf.length < bytes) this.buf = Buffer.allocUnsafe(bytes);
      return read(this.buf);
    });
    this.turn = run.catch(() => {});
    return run;
  }
}

/**
 * Reads a component back from flash while it downloads, a step (READ_BYTES, one read:
 * each is a round trip to the thread pool) behind the writes,
 * each block against its SHA-256. The read-back before the commit (runUpgrade) then
 * starts where this one got to. Without it every board read back the whole of its
 * last component after its last byte, and with cut-through every board of a tree
 * gets there at the same moment: in the 32-board namespace fleet, 0.13-0.20 s (median)
 * of the time from the last byte to the commit (bench/RESULTS.md, Fleet: "The tail").
 *
 * It reads through the download's own handle, only bytes written in order from the
 * start through it, and only once their write is done. Anything else (a resume that
 * starts past byte 0, a truncation, a second handle, a read that fails or a block that
 * does not match) stops it, and the full read-back does the rest as before.
 */
export class TrailingReadBack {
  /** Whole blocks from the start that read back matching their hash. */
  private good = 0;
  /** Bytes written in order from byte 0 through the watched handle, each write done. */
  private written = 0;
  private store?: Store;
  private opened = false;
  private stopped = false;
  private reading?: Promise<void>;

  constructor(
    private readonly plan: BlockPlan,
    private readonly lane = new ReadBackLane(),
  ) {}

  /** Blocks from the start known to read back right: the full read-back starts after them. */
  get goodBlocks(): number {
    return this.good;
  }

  /** `open` (the download's medium), watched: its writes drive the reading. */
  watch(open: () => Promise<Store>): () => Promise<Store> {
    return async () => {
      const s = await open();
      if (this.opened || s.existingBytes > 0) this.stopped = true;
      this.opened = true;
      if (this.stopped) return s;
      this.store = s;
      return {
        device: s.device,
        existingBytes: s.existingBytes,
        writev: async (buffers, position) => {
          const n = await s.writev(buffers, position);
          this.wrote(position, n);
          return n;
        },
        read: (buffer, offset, length, position) => s.read(buffer, offset, length, position),
        truncate: async (length) => {
          if (length < this.written) this.stopped = true;
          await s.truncate(length);
        },
        sync: () => s.sync(),
        close: async () => {
          // Not read after its close: what is left goes to the full read-back.
          await this.reading;
          this.store = undefined;
          await s.close();
        },
      };
    };
  }

  private wrote(position: number, n: number): void {
    if (this.stopped) return;
    if (position !== this.written) {
      this.stopped = true;
      return;
    }
    this.written += n;
    const unread = Math.min(this.written, this.plan.size) - this.good * this.plan.blockSize;
    if (!this.reading && (unread >= READ_BYTES || this.written >= this.plan.size)) {
      const r = this.readOn();
      this.reading = r;
      void r.then(() => {
        if (this.reading === r) this.reading = undefined;
      });
    }
  }

  private async readOn(): Promise<void> {
    const { blockSize, size, hashes } = this.plan;
    try {
      for (;;) {
        const s = this.store;
        if (this.stopped || !s) return;
        // Whole blocks only, and the last one once it is all there.
        const to = this.written >= size ? size : Math.floor(this.written / blockSize) * blockSize;
        const whole = to >= size ? hashes.length : to / blockSize;
        if (whole <= this.good) return;
        const from = this.good;
        this.good = await this.lane.take(readSpan(this.plan), (buf) => verifiedPrefix(s, to, this.plan, from, buf));
        if (this.good < whole) {
          this.stopped = true;
          return;
        }
      }
    } catch {
      // Reported, if it lasts, by the full read-back.
      this.stopped = true;
    }
  }
}
