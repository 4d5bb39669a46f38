import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startedFile } from '../io/self';

/**
 * The name of the board and model profiles built into the program, as a boards folder:
 * `--boards-dir '(built in)'` chooses them, and messages name their files
 * `(built in)/models/CP-7961G.json`.
 */
export const BUILTIN_BOARDS_DIR = '(built in)';

/**
 * Where the board and model files are when `--boards-dir` is not given: a `boards/`
 * folder beside the program (a flashed image that overrides the built-in ones), or one
 * folder up (this repository's dist/), else the profiles built into the program.
 */
export function defaultBoardsDir(): string {
  const here = dirname(startedFile());
  for (const d of [join(here, 'boards'), join(here, '..', 'boards')]) if (existsSync(join(d, 'models'))) return d;
  return BUILTIN_BOARDS_DIR;
}
