// A board's program is in memory only as far as it has been used. After power-on its
// executable is on flash, and a start reads in the pages it touches (with the
// kernel's readahead); a machine that has run it before keeps those pages cached. A
// program file just written or copied here (a fresh release; node itself, which the
// release build copies) sits whole in the page cache instead, and then every page
// fault also maps the cached pages around it (fault-around, 64 KiB), pages no board
// would hold: a release executable built a minute before peaked 9 MiB higher in the
// namespace fleet than the same file cached only by use (bench/RESULTS.md, "Footprint").
// So the benches drop the program's cached pages and start it once (`--version`)
// before each run: its pages are then cached by use, as on a board that has booted it
// before, and no start pays a read from the disk that the other form would not.
// Pages a live process maps are never dropped (this harness's own node among them).
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

/** The command that starts `exe`: a bundle (.cjs/.js) is run by this Node. */
export function programCommand(exe: string): [string, ...string[]] {
  return /\.[cm]?js$/.test(exe) ? [process.execPath, exe] : [exe];
}

/**
 * Drops every cached page of `exe` (and of this Node for a bundle) that no process
 * maps (coreutils dd: `iflag=nocache count=0` drops the whole file, posix_fadvise
 * DONTNEED), then starts it once, so that what stays cached is what a start uses.
 */
export function cachedByUse(exe: string): void {
  const [cmd, ...args] = programCommand(exe);
  for (const f of [cmd, ...args]) execFileSync('dd', [`if=${realpathSync(f)}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync(cmd, [...args, '--version'], { stdio: 'ignore' });
}
