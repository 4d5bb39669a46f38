import { createHash, type Hash } from 'node:crypto';
import { PfsError } from '../../errors';
import { blockHashes, blockLength } from '../../dload/integrity';

/** What a receiver knows in advance about a file: its size and one SHA-256 per block. */
export interface BlockPlan {
  readonly size: number;
  /** Bytes per block; the last block may be shorter. */
  readonly blockSize: number;
  /** SHA-256 of each block, in order. */
  readonly hashes: readonly Buffer[];
}

/** The plan for a whole buffer: what the origin side computes once per file. */
export function planFor(data: Buffer, blockSize: number): BlockPlan {
  return { size: data.length, blockSize, hashes: blockHashes(data, blockSize) };
}

/** A block that does not match its SHA-256 (or bytes past the end): nothing of it was passed on. */
export class BlockCorruptError extends PfsError {
  constructor(
    readonly block: number,
    source: string,
  ) {
    super('PFS_ERR_BLOCK_CORRUPT', `block ${block} from ${source} does not match its SHA-256`);
  }
}

export interface AssemblerEvents {
  /** A block whose hash matched: `slices` are views of the received buffers, in order. */
  verified(index: number, slices: Buffer[], length: number): void;
}

/**
 * Cuts an arriving byte stream into the plan's blocks and checks each block's
 * SHA-256 before anyone sees it. Received buffers are never copied or joined: a
 * block is handed on as the list of views that make it up.
 */
export class BlockAssembler {
  private index: number;
  private filled = 0;
  private slices: Buffer[] = [];
  private hash: Hash;

  /** `fromBlock`: the first block the stream carries (a resume starts mid-file). */
  constructor(
    private readonly plan: BlockPlan,
    fromBlock: number,
    private readonly source: string,
    private readonly on: AssemblerEvents,
  ) {
    this.index = fromBlock;
    this.hash = createHash('sha256');
  }

  /** Bytes of the file verified so far, counting from its start. */
  get verifiedBytes(): number {
    return Math.min(this.plan.size, this.index * this.plan.blockSize);
  }

  get complete(): boolean {
    return this.verifiedBytes >= this.plan.size;
  }

  /**
   * Takes the next piece of the stream. Throws BlockCorruptError on a bad block (and
   * nothing of that block was passed on) or on bytes past the end of the file.
   */
  push(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) {
      if (this.complete) throw new BlockCorruptError(this.index, `${this.source} (data past the end of the file)`);
      const want = blockLength(this.index, this.plan.size, this.plan.blockSize) - this.filled;
      const take = Math.min(want, buf.length - off);
      // A buffer that lies inside one block is kept whole: no view is made.
      const piece = off === 0 && take === buf.length ? buf : buf.subarray(off, off + take);
      this.hash.update(piece);
      this.slices.push(piece);
      this.filled += take;
      off += take;
      if (take === want) this.finishBlock();
    }
  }

  private finishBlock(): void {
    const digest = this.hash.digest();
    const index = this.index;
    if (!digest.equals(this.plan.hashes[index]!)) throw new BlockCorruptError(index, this.source);
    const slices = joinedIfAdjacent(this.slices, this.filled);
    const length = this.filled;
    this.slices = [];
    this.filled = 0;
    this.index++;
    this.hash = createHash('sha256');
    this.on.verified(index, slices, length);
  }
}

/**
 * The pieces of a block that lie one after the other in one buffer (a source that
 * reads each block into a buffer of its own) as one view of them: flash and the
 * children then take the block in one piece. Other pieces are returned as they are.
 */
function joinedIfAdjacent(slices: Buffer[], length: number): Buffer[] {
  if (slices.length < 2) return slices;
  const first = slices[0]!;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < slices.length; i++) {
    const s = slices[i]!;
    if (s.buffer !== first.buffer || s.byteOffset !== end) return slices;
    end += s.length;
  }
  return [Buffer.from(first.buffer, first.byteOffset, length)];
}
