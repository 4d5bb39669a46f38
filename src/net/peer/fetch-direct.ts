import type { Logger } from '../../log/logger';
import { PfsError } from '../../errors';
import type { BlockPlan } from './block-assembler';
import { FilePipeline } from './pipeline';
import { OriginSource, type OriginOptions } from './origin-source';
import type { SpoolMedium } from './spool';

export interface DirectFetch {
  name: string;
  plan: BlockPlan;
  medium: () => Promise<SpoolMedium>;
  origin: OriginOptions;
  /** TFTP messages go here. */
  log: Logger;
  /** Bytes verified on flash so far (the resumed prefix included), after every block. */
  progress?: (storedBytes: number) => void;
  /** Called while a resumed file's prefix is read back and checked. */
  checking?: () => void;
}

/**
 * A file straight from the origin, no peers, through the same pipeline as every
 * other mode (verify, flash with backpressure): the plain TFTP upgrade, the lab's
 * traditional boards. Resolves once every block is on flash and synced; returns the
 * bytes that were already there (a resume) and the most that waited for flash at once. Rejects with the pipeline's error:
 * PFS_ERR_BLOCK_CORRUPT, PFS_ERR_FLASH_WRITE, or the TFTP failure.
 */
export async function fetchDirect(f: DirectFetch): Promise<{ resumedBytes: number; maxQueuedBytes: number }> {
  const size = f.plan.size;
  const stored = (blocks: number) => Math.min(size, blocks * f.plan.blockSize);
  let settle!: { ok: () => void; fail: (e: Error) => void };
  const done = new Promise<void>((ok, fail) => (settle = { ok, fail }));
  const pipeline = new FilePipeline(
    f.name,
    f.plan,
    f.medium,
    {
      stored: (index) => {
        f.progress?.(stored(index + 1));
        if (index + 1 >= pipeline.blocks) settle.ok();
      },
      corrupt: (_index, _source, e) => settle.fail(e),
      failed: (e) => settle.fail(e),
    },
    { checking: f.checking, flashWriting: f.origin.sackShare?.flashWriting },
  );
  const kept = await pipeline.open();
  try {
    f.progress?.(stored(kept));
    if (kept < pipeline.blocks) {
      pipeline.attach(
        new OriginSource(f.origin, f.name, f.log, (e) => {
          if (e) settle.fail(e);
          else if (!pipeline.allQueued) {
            settle.fail(new PfsError('PFS_ERR_BLOCK_CORRUPT', `${f.name}: origin ${f.origin.host}:${f.origin.port} ended the file at block ${pipeline.storedBlocks} of ${pipeline.blocks}`));
          }
          // An HTTP origin is asked only for what the medium does not hold yet (TFTP starts at 0).
        }, undefined, stored(kept)),
      );
      await done;
    }
  } catch (e) {
    await pipeline.close().catch(() => {});
    throw e;
  }
  await pipeline.close(true);
  return { resumedBytes: stored(kept), maxQueuedBytes: pipeline.maxPendingBytes };
}
