import { join } from 'node:path';

/**
 * A board file's path under the board's root folder: absolute paths too, so a Pi's
 * board file can run against a folder laid out like its root (tests, dry runs).
 * `-` (standard output) stays as it is.
 */
export function boardPath(root: string, p: string): string {
  return p === '-' ? p : join(root, p);
}
