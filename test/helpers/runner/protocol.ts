// What test/run.ts and its workers (worker.ts) say to each other. No side effects:
// the runner imports this, never worker.ts itself.
import type { SkippedTest } from '../ci';

/** Per-test limit, milliseconds, unless the file's plan (schedule.ts) or --timeout says otherwise. */
export const DEFAULT_TEST_TIMEOUT_MS = 120_000;

/** A worker's reports travel on its stdout between these, so they stay in order with the file's own output. */
export const FRAME_START = '\x1e';
export const FRAME_END = '\x1f';

/** What a worker reports for one file. */
export interface FileResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Wall time, milliseconds. */
  readonly ms: number;
  readonly skips: SkippedTest[];
  /** Each test's wall time, milliseconds. */
  readonly tests: Array<{ name: string; ms: number }>;
}

/** Runner to worker (IPC): run a file (its per-test limit in ms), or end. */
export type WorkerRequest = { file: string; name: string; timeoutMs: number } | { quit: true };
/** Worker to runner (framed on stdout): a test started, or a file is done. */
export type WorkerReport = { test: string } | { done: FileResult };
