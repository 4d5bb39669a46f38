/**
 * The fields of a `timing:` DBG line (a board's milestones, read back by
 * bench/first-byte.ts and bench/fleet.ts): when, and how much CPU it had cost.
 *
 * `ms` is milliseconds since the process started. `cpuMs` is the process's CPU
 * so far (user + system, all threads). It is one board's own only where the
 * process holds one board (`pfs boot`, a board of `pfs lab --per-process 1`).
 * It is there because on a shared machine the wall clock says when a board got
 * the CPU, not what its work cost: 16 boards starting on 2 cores reach their
 * configuration late because each spends about 0.19 s of CPU on the way
 * (bench/RESULTS.md, Fleet).
 */
export function timingFields(): { ms: number; cpuMs: number } {
  const { user, system } = process.cpuUsage();
  return { ms: Math.round(performance.now()), cpuMs: Math.round((user + system) / 1000) };
}
