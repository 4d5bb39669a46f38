// What a board process runs with beyond what its code can set for itself: its systemd
// unit writes it (src/image/unit.ts), and a lab starts its board processes with it
// (src/lab/board-env.ts), so that a lab measures what a board runs.

/**
 * - `MALLOC_ARENA_MAX=1`: glibc gives each thread that allocates an arena of its own (up
 *   to eight per core), and a board's Node runs nine threads (its main one, four libuv
 *   workers, four V8 platform workers): one arena for them all. A board's peak RSS in
 *   `npm run bench:footprint`, 3 runs: 62.1 → 59.3 MiB taking 8 MiB and 66.1 → 62.8 MiB
 *   taking 64 MiB, for the same CPU (bench/RESULTS.md, Footprint). glibc reads it once,
 *   at start: a process cannot set it for itself.
 */
export const BOARD_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
