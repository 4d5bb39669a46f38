import { takeGlobals } from './globals';

/**
 * The commands whose process is one board for as long as it is up, and so takes a
 * board's heap (src/boot/board-heap.ts): `pfs boot`, and a lab process hosting one
 * board (`pfs lab-host board`, as `pfs lab` starts it for --per-process 1 and --netns).
 */
export const BOARD_COMMANDS: readonly (readonly string[])[] = [['boot'], ['lab-host', 'board']];

/** Whether `argv` (after `pfs`) runs a board. Bad global options are main's to report: not a board. */
export function isBoardProcess(argv: string[]): boolean {
  let rest: string[];
  try {
    rest = takeGlobals(argv).rest;
  } catch {
    return false;
  }
  return BOARD_COMMANDS.some((path) => path.every((w, i) => rest[i] === w));
}
