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

/** Files not listed take `seconds: 1` (they start after the listed ones). */
const plans: Record<string, FilePlan> = {
  'lab/lab.test.ts': { seconds: 60, shares: BROADCAST },
  'lab/netns.test.ts': { seconds: 45, shares: BROADCAST },
  'boot/boot-e2e.test.ts': { seconds: 40, shares: BROADCAST },
  'lab/cli.test.ts': { seconds: 15, shares: BROADCAST },
  'net/peer/peer-node.test.ts': { seconds: 10, shares: BROADCAST },
  'net/tftp/interop.test.ts': { seconds: 40, timeoutMs: 200_000 },
  'net/tftp/lifecycle.test.ts': { seconds: 20 },
  'net/tftp/loss.test.ts': { seconds: 20 },
  'net/tftp/cli.test.ts': { seconds: 10 },
  'hal/native.test.ts': { seconds: 10 },
};

export function planOf(name: string): FilePlan {
  return plans[name] ?? { seconds: 1 };
}
