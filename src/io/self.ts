import { resolve } from 'node:path';

// Where this program's code is, for what it looks for beside itself (boards/, the
// addon) and for starting more of itself (the lab's board processes). Three ways it
// runs: from the sources under tsx, as the bundle dist/pfs.cjs under node, and as a
// single executable (`npm run release`), where the bundle is inside the Node binary.

/**
 * Whether this process is a single executable application (SEA). There, Node runs the
 * injected bundle with `__filename` set to the executable itself; under node it is
 * the bundle's path, and under tsx (ESM) there is none. `node:sea`'s isSea() would say
 * the same, but Node 20.11 (the newest armv7 runtime on npm) does not have it.
 */
export function isSingleExecutable(): boolean {
  return typeof __filename === 'string' && __filename === process.execPath;
}

/**
 * The file that was started: the executable (SEA), else the script node was given.
 * In a SEA `process.argv[1]` is the command as typed (`pfs`, found on PATH), not a path.
 */
export function startedFile(): string {
  return isSingleExecutable() ? process.execPath : resolve(process.argv[1] ?? '.');
}

/**
 * The arguments that start this program again in a new process, before its own
 * arguments: `[...execArgv, script]` under node, none for a SEA (everything after the
 * executable is the program's). `entry` is a caller's choice of script (tests: the
 * sources under tsx).
 */
export function selfArgs(entry?: { script: string; execArgv: string[] }): string[] {
  if (entry) return [...entry.execArgv, entry.script];
  return isSingleExecutable() ? [] : [...process.execArgv, startedFile()];
}
