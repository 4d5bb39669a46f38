import type { Logger } from '../../log/logger';
import { OriginSource, type OriginOptions, type PreparedOrigin } from './origin-source';
import type { ByteSink, Source } from './source';

/**
 * A small file (the manifest: one block) taken from the origin while this board is
 * still claiming its root, instead of only opening the transfer: its bytes wait here
 * until the core confirms the claim and says FetchOrigin, and are then replayed into
 * the pipeline as the origin's. `whole` gets the file the moment it is all here, so
 * the board can start on what the file names (the components) a whole election
 * earlier. It costs at most one extra copy of a small file per claimant that loses.
 */
export class AheadSource implements Source {
  readonly kind = 'origin';
  readonly startsAt = 0;
  private readonly inner: OriginSource;
  private parts: Buffer[] = [];
  private held = 0;
  private sink?: ByteSink;
  /** The origin's transfer ended before anyone took the bytes (undefined: still running). */
  private end?: { error?: Error };
  private ended?: (error?: Error) => void;
  private stopped = false;

  /** Starts taking `file` (`size` bytes) from the origin at once, on `opened` if its request went earlier. */
  constructor(origin: OriginOptions, file: string, size: number, log: Logger, whole: (bytes: Buffer) => void, opened?: PreparedOrigin) {
    this.inner = new OriginSource(origin, file, log, (error) => {
      if (this.ended && this.parts.length === 0) this.ended(error);
      else this.end = { error };
    }, opened);
    this.inner.start((b) => {
      if (this.sink && this.parts.length === 0) return this.sink(b);
      this.parts.push(b);
      this.held += b.length;
      if (this.held === size && !this.sink) whole(Buffer.concat(this.parts, size));
      return true;
    });
  }

  get label(): string {
    return this.inner.label;
  }

  /** Who hears the end of the transfer once the pipeline took it over (OriginSource's `ended`). */
  onEnded(ended: (error?: Error) => void): void {
    this.ended = ended;
  }

  start(sink: ByteSink): void {
    this.sink = sink;
    this.replay();
  }

  resume(): void {
    this.replay();
    if (this.parts.length === 0) this.inner.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.parts = [];
    this.inner.stop();
  }

  /** Hands the held bytes to the pipeline, as far as it takes them; then the end, if it came. */
  private replay(): void {
    while (this.parts.length > 0 && !this.stopped) {
      const b = this.parts.shift()!;
      if (!this.sink!(b)) return;
    }
    if (this.end && this.ended && !this.stopped) {
      const { error } = this.end;
      this.end = undefined;
      this.ended(error);
    }
  }
}
