// A board's program starts cold: after power-on its executable is on flash, not in
// memory, and only the pages it touches are read in (with the kernel's readahead).
// A program file just written or copied here (a fresh release, a `cp` of node, the
// release build reading node to copy it) sits whole in the page cache, and then every
// page fault also maps the cached pages around it (fault-around, 64 KiB): a release
// executable built a minute before peaked 5-7 MiB higher than the same file out of
// the cache (bench/RESULTS.md, "Footprint"). So the benches drop the program's pages
// from the cache before each run. Pages a live process maps stay (this harness's own
// node among them), so `node BUNDLE` is never quite as cold as a release executable.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/** The files a board program's start reads: the executable, and for a bundle also this Node and the bundle. */
export function programFiles(exe: string): string[] {
  return /\.[cm]?js$/.test(exe) ? [process.execPath, exe] : [exe];
}

/**
 * Drops every cached page of `files` that no process maps (coreutils dd: `iflag=nocache
 * count=0` asks the kernel to drop the whole file's cache, posix_fadvise DONTNEED).
 */
export function dropFromPageCache(files: readonly string[]): void {
  for (const f of files) execFileSync('dd', [`if=${realpathSync(f)}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
