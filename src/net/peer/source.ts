/**
 * Where a file's bytes come from, as the pipeline sees it. A source delivers the file
 * in order from `startsAt`, as the buffers it received (never copied), and stops
 * reading when the sink says so until `resume()`.
 *
 * - `origin`: the far server (the root's fetch, or a board upgrading without peers):
 *   the HTTP load server when the site has one, else or once it failed the TFTP
 *   server (origin-source.ts). It starts at 0; the pipeline skips what it holds.
 * - `parent`: a peer's TCP stream, from the offset this board asked for.
 *
 * The third way bytes reach a file, the verified prefix already on flash after a
 * restart, is not a source: the pipeline checks it when it opens (see pipeline.ts).
 */
export interface Source {
  readonly kind: 'origin' | 'parent';
  /** For messages: `origin 198.18.0.1:69`, `parent XID00000102 at 198.18.0.3:4051`. */
  readonly label: string;
  /** File offset of the first byte it delivers. */
  readonly startsAt: number;
  /** Starts delivering to `sink`; a `false` from the sink pauses the source until resume(). */
  start(sink: ByteSink): void;
  resume(): void;
  /** Stops for good; no more bytes reach the sink, no end is reported. */
  stop(): void;
}

/** Takes the next piece of the file; returns false when the source must pause. */
export type ByteSink = (bytes: Buffer) => boolean;
