// What test/run.ts knows about each test file before it runs it: how long it took
// last time measured (the slowest start first, so the run does not end waiting for
// one long file started last), a time limit per test when the default 120 s is not
// right, and what it shares with other files. Refresh the seconds with
// `node --import tsx test/run.ts --workers 1 --timings` on a quiet machine.

export interface FilePlan {
  /** Measured wall time of the whole file, seconds (a hint for ordering only). */
  readonly seconds: number;
  /** Per-test time limit, milliseconds; default DEFAULT_TEST_TIMEOUT_MS (120 s). */
  readonly timeoutMs?: number;
  /**
   * Something two files must not use at the same time on one network stack, e.g.
   * boards broadcasting on 127.255.255.255 with port bases of their own. Only
   * consulted when the workers share this machine's network namespace (not root);
   * as root each worker has a namespace of its own.
   */
  readonly shares?: string;
}

const BROADCAST = 'loopback broadcast';

/**
 * Files not listed take `seconds: 1` (they start after the listed ones). Measured in
 * the full run at ecb7ca4 (3 workers on 2 cores: a file's time includes waiting for
 * the others).
 */
const plans: Record<string, FilePlan> = {
  'net/tftp/loss.test.ts': { seconds: 51 },
  // Builds the release first (24 s with the addons to cross-build, 13 s without), then runs arm64 under qemu: 46-70 s.
  'release/release.test.ts': { seconds: 60, timeoutMs: 240_000, shares: BROADCAST },
  'net/tftp/interop.test.ts': { seconds: 38, timeoutMs: 200_000 },
  'boot/boot-e2e.test.ts': { seconds: 29, shares: BROADCAST },
  'lab/netns.test.ts': { seconds: 22, shares: BROADCAST },
  'scenarios/sockets.test.ts': { seconds: 39 },
  // The same scenarios with the phone's exact election (issue 12: both elections run).
  'scenarios/sockets-phone.test.ts': { seconds: 40 },
  // The fault sweep's 300 seeds with each election.
  'sim/hostile.test.ts': { seconds: 8 },
  'net/peer/slow-flash.test.ts': { seconds: 15 },
  'hal/flash/block.test.ts': { seconds: 15 },
  'boot/boot-e2e-flash.test.ts': { seconds: 14, shares: BROADCAST },
  'boot/boot-e2e-refused.test.ts': { seconds: 14, shares: BROADCAST },
  // Three boards as processes, each started 7 times by a launcher loop (issue 11 item 5): 23 s alone.
  'boot/self-upgrade.test.ts': { seconds: 23, timeoutMs: 180_000, shares: BROADCAST },
  'boot/boot-http.test.ts': { seconds: 6, shares: BROADCAST },
  'boot/slow-client.test.ts': { seconds: 8, shares: BROADCAST },
  'bench/fuzz.test.ts': { seconds: 8 },
  'bench/torture.test.ts': { seconds: 9 },
  'bench/adversary.test.ts': { seconds: 14 },
  // 4 boards taking 8 MiB, then 2 taking 64 MiB, each board a pfs boot process.
  'bench/footprint.test.ts': { seconds: 15, shares: BROADCAST },
  'bench/fleet-bt.test.ts': { seconds: 8 },
  // Spawns a source, two hops and a sink per row, three rows: 3.9 s alone.
  'bench/relay.test.ts': { seconds: 5 },
  'boot/peer-fallback.test.ts': { seconds: 3.5, shares: BROADCAST },
  'hal/flash/mtd.test.ts': { seconds: 11 },
  'image/image.test.ts': { seconds: 12.5 },
  'image/first-boot.test.ts': { seconds: 5.1, shares: BROADCAST },
  'lab/apart.test.ts': { seconds: 15 },
  'readme/walkthrough.test.ts': { seconds: 17, shares: BROADCAST },
  'cli/forgiving.test.ts': { seconds: 6 },
  'tree/netns-tree.test.ts': { seconds: 17, shares: BROADCAST },
  'tree/lab-tree.test.ts': { seconds: 16 },
  'tree/status-page.test.ts': { seconds: 17 },
  'lab/cli.test.ts': { seconds: 9, shares: BROADCAST },
  'hal/flash/dir.test.ts': { seconds: 8 },
  'lab/lab.test.ts': { seconds: 7.3, shares: BROADCAST },
  'lab/http-origin.test.ts': { seconds: 15, shares: BROADCAST },
  'runner.test.ts': { seconds: 7.2 },
  'net/wan.test.ts': { seconds: 5.4 },
  'net/tftp/lifecycle.test.ts': { seconds: 10 },
  'net/tftp/window.test.ts': { seconds: 11 },
  'net/peer/pipeline.test.ts': { seconds: 4.3 },
  'hal/flash/mem.test.ts': { seconds: 3.9 },
  'net/tftp/cli.test.ts': { seconds: 3 },
  'bench/args.test.ts': { seconds: 2.3 },
  // Both elections, 1000 boards at the same instant in each.
  'dload/election.test.ts': { seconds: 6 },
  'hal/native.test.ts': { seconds: 1.2 },
  'scripts/gen-profile-validators.test.ts': { seconds: 1.1 },
  'scripts/check-layers.test.ts': { seconds: 1.1 },
  'boot/upgrade.test.ts': { seconds: 1.1 },
};

export function planOf(name: string): FilePlan {
  return plans[name] ?? { seconds: 1 };
}
