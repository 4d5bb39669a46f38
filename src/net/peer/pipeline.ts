import { PfsError } from '../../errors';
import { BlockAssembler, BlockCorruptError, type BlockPlan } from './block-assembler';
import { Spool, type SpoolMedium } from './spool';
import type { Source } from './source';
import { verifiedPrefix } from './verified-prefix';

/** Flash refused a write while the file was coming in: the file stops at once. */
export class FlashWriteError extends PfsError {
  constructor(
    readonly file: string,
    readonly device: string,
    readonly offset: number,
    cause: Error,
  ) {
    super('PFS_ERR_FLASH_WRITE', `${file}: writing to ${device} at offset ${offset} failed: ${cause.message}`, { cause });
  }
}

export interface PipelineEvents {
  /**
   * Block `index` matched its SHA-256 and is queued for flash; `slices` are the
   * buffers it arrived in, readable from the spool until flash has them. It may go
   * to children now (cut-through), while flash writes it. Comes before its stored().
   */
  verified?(index: number, slices: Buffer[]): void;
  /**
   * Block `index` is verified and on flash, written from `slices` (the buffers it
   * arrived in): the caller tells the core (only what is on flash counts as held).
   */
  stored(index: number, slices: Buffer[]): void;
  /** A block from `source` failed its hash: nothing of it was written, the source is stopped. */
  corrupt(index: number, source: Source, error: BlockCorruptError): void;
  /** Flash refused a write: the source is stopped and the file will take no more bytes. */
  failed(error: FlashWriteError): void;
}

export interface PipelineOptions {
  /**
   * Verified blocks allowed to wait for flash before the source is paused; with the
   * block being assembled and the source's own window this bounds the memory a
   * file can hold, whatever the flash speed. Default 16 (1 MiB of 64 KiB blocks).
   */
  maxPendingBlocks?: number;
  /** Called while the prefix already on flash (a resume) is read back and checked. */
  checking?: () => void;
  /** Told of each write to flash as it starts; its result, of the bytes written as it ends (the board's SackShare learns flash's pace). */
  flashWriting?: () => (bytes: number) => void;
}

/**
 * The one data path of a file, in every mode (a peer's child, the root taking it
 * from the origin, a plain TFTP upgrade, a resume after a restart):
 *
 *   source → skip what is already verified → verify each block (SHA-256)
 *          → queue for flash (verified(): children may have it now), pausing the
 *            source while flash lags → on flash: stored()
 *
 * `open()` keeps the verified prefix already on the medium; `attach()` takes bytes
 * from a source; a block reaches `verified()` once its hash matched and `stored()`
 * only once it is on flash, both in order. Received buffers are hashed, written and
 * forwarded as they are (never joined).
 */
export class FilePipeline {
  private spoolRef?: Spool;
  private device = 'medium';
  private source?: Source;
  private assembler?: BlockAssembler;
  /** File offset of the next byte the current source delivers. */
  private pos = 0;
  /** Blocks handed to flash (written or waiting): the skip edge for any new source. */
  private queued = 0;
  private stored = 0;
  private pending = 0;
  private paused = false;
  private failure?: FlashWriteError;
  private readonly maxPending: number;
  /** Most verified bytes that waited for flash at once (memory held by the pipeline). */
  maxPendingBytes = 0;
  private pendingBytes = 0;

  constructor(
    readonly name: string,
    readonly plan: BlockPlan,
    private readonly openMedium: () => Promise<SpoolMedium>,
    private readonly on: PipelineEvents,
    private readonly opts: PipelineOptions = {},
  ) {
    this.maxPending = opts.maxPendingBlocks ?? 16;
  }

  get blocks(): number {
    return Math.ceil(this.plan.size / this.plan.blockSize);
  }

  /** Blocks verified and on flash, from the start of the file. */
  get storedBlocks(): number {
    return this.stored;
  }

  /** Every block was handed to flash (some writes may still be on their way). */
  get allQueued(): boolean {
    return this.queued >= this.blocks;
  }

  get failed(): FlashWriteError | undefined {
    return this.failure;
  }

  /** The file on flash, from which children behind the live edge catch up. */
  get spool(): Spool {
    if (!this.spoolRef) throw new Error(`pipeline ${this.name} is not open`);
    return this.spoolRef;
  }

  /**
   * Opens the medium and keeps the blocks already on it that match the plan (what
   * a restart left); the rest is cut off. Returns the blocks kept.
   */
  async open(): Promise<number> {
    const medium = await this.openMedium();
    this.device = medium.device ?? this.device;
    const have = medium.existingBytes ?? 0;
    let kept = 0;
    if (have > 0) {
      this.opts.checking?.();
      try {
        kept = await verifiedPrefix(medium, have, this.plan);
      } catch (e) {
        await medium.close().catch(() => {});
        throw e;
      }
    }
    this.queued = this.stored = kept;
    this.spoolRef = new Spool(this.name, async () => medium, Math.min(this.plan.size, kept * this.plan.blockSize), this.opts.flashWriting);
    await this.spoolRef.open();
    return kept;
  }

  /** Takes the file from `source` from now on (the previous source, if any, is stopped). */
  attach(source: Source): void {
    this.detach();
    if (this.failure) return;
    this.source = source;
    this.pos = source.startsAt;
    this.assembler = undefined;
    this.paused = false;
    source.start((bytes) => this.push(source, bytes));
  }

  /** Stops the current source; blocks already verified still reach flash. */
  detach(): void {
    const s = this.source;
    this.source = undefined;
    this.assembler = undefined;
    this.paused = false;
    s?.stop();
  }

  /** Waits for queued writes, syncs if asked, and closes; throws the write error if one happened. */
  async close(sync = false): Promise<void> {
    this.detach();
    await this.spoolRef?.close(sync);
  }

  private push(source: Source, bytes: Buffer): boolean {
    if (source !== this.source) return true;
    const edge = Math.min(this.plan.size, this.queued * this.plan.blockSize);
    if (this.pos < edge) {
      // Bytes this board already holds (TFTP cannot seek; a parent may resend a block
      // still on its way to flash): skip them before anything is hashed.
      const skip = Math.min(bytes.length, edge - this.pos);
      this.pos += skip;
      if (skip === bytes.length) return true;
      bytes = bytes.subarray(skip);
    } else if (this.pos > edge && !this.assembler) {
      // A source that starts past what this board holds would leave a hole in the file.
      this.detach();
      this.on.corrupt(this.queued, source, new BlockCorruptError(this.queued, `${source.label} (starts at ${this.pos}, past ${edge})`));
      return true;
    }
    this.assembler ??= new BlockAssembler(this.plan, Math.floor(this.pos / this.plan.blockSize), source.label, {
      verified: (index, slices, length) => this.write(index, slices, length),
    });
    this.pos += bytes.length;
    try {
      this.assembler.push(bytes);
    } catch (e) {
      if (!(e instanceof BlockCorruptError)) throw e;
      this.detach();
      this.on.corrupt(e.block, source, e);
      return true;
    }
    if (this.source !== source) return true;
    if (this.pending >= this.maxPending) {
      this.paused = true;
      return false;
    }
    return true;
  }

  /** The one place a verified block goes to flash. */
  private write(index: number, slices: Buffer[], length: number): void {
    this.queued = index + 1;
    this.pending++;
    this.pendingBytes += length;
    this.maxPendingBytes = Math.max(this.maxPendingBytes, this.pendingBytes);
    const offset = index * this.plan.blockSize;
    this.spool.append(slices, length, (err) => {
      this.pending--;
      this.pendingBytes -= length;
      if (err) return this.fail(offset, err);
      if (this.failure) return;
      this.stored = index + 1;
      this.on.stored(index, slices);
      // Resume below half the bound, so a source is not woken for every single write.
      if (this.paused && this.pending <= this.maxPending / 2 && this.source) {
        this.paused = false;
        this.source.resume();
      }
    });
    // After append: the spool holds the block, so a child that falls behind can still read it.
    if (!this.failure) this.on.verified?.(index, slices);
  }

  private fail(offset: number, err: Error): void {
    if (this.failure) return;
    this.failure = new FlashWriteError(this.name, this.device, offset, err);
    this.detach();
    this.on.failed(this.failure);
  }
}
