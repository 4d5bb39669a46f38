import { setFlagsFromString } from 'node:v8';

/**
 * Sets this process's V8 heap for a board: the young generation stays at its first
 * size (two 1 MiB semi-spaces here) instead of doubling up to 16 MiB each while
 * blocks stream through. A board's garbage is short-lived (datagrams, blocks once
 * written), so it dies in a small nursery as well; measured on a board taking 64 MiB
 * (bench/footprint.ts) it keeps about 8 MiB of peak RSS off at the same CPU time.
 * Only --semi-space-growth-factor can be changed once the heap exists (it is read at
 * each growth); --max-semi-space-size is read at start-up and would need a second
 * process, or NODE_OPTIONS, with which the release executable rejects its code cache
 * (V8 checks the flags it was made with) and warns at every start. It stops growth
 * only from the moment it is set, so a board process sets it first thing, before the
 * rest of pfs loads (src/cli/board-heap-first.ts).
 */
export function useBoardHeap(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
