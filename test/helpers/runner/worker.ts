// One worker of test/run.ts: runs the test files it is sent, one after another, in
// this one process (tsx and the modules under test load once), and reports each
// file's counts back. Started as `node --import tsx worker.ts` with an IPC channel;
// its stdout and stderr are one pipe the runner reads.
//
// Messages in: { file, name, timeoutMs } to run, { quit: true } to end. Out, on
// stdout between FRAME_START and FRAME_END so the report follows the file's own
// output in order: { test } when a test starts, { done: FileResult } at the end.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { FRAME_END, FRAME_START, type FileResult, type WorkerReport, type WorkerRequest } from './protocol';

type Run = () => Promise<[errors: string | true, ran: number, skipped: number, total: number]>;

declare global {
  // eslint-disable-next-line no-var
  var UVU_DEFER: number | undefined;
  // eslint-disable-next-line no-var
  var UVU_QUEUE: Array<Array<string | Run | null>>;
  // eslint-disable-next-line no-var
  var UVU_INDEX: number | undefined;
}

function report(r: WorkerReport): void {
  process.stdout.write(`${FRAME_START}${JSON.stringify(r)}${FRAME_END}`);
}

// Tests' own problems that surface outside any test (a rejection nobody awaited, an
// error thrown from a timer) count against the file running when they happen. If the
// runner is gone (our stdout is a broken pipe) there is no one to tell: end.
let strays = 0;
function stray(kind: string, e: unknown): void {
  if ((e as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') process.exit(1);
  strays++;
  try {
    process.stdout.write(`\n  FAIL ${kind} outside any test's await: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  } catch {
    process.exit(1);
  }
}
process.on('uncaughtException', (e) => stray('uncaught exception', e));
process.on('unhandledRejection', (e) => stray('unhandled rejection', e));

async function runFile(file: string, name: string, timeoutMs: number): Promise<FileResult> {
  const started = performance.now();
  globalThis.__pfsTestTimeoutMs = timeoutMs;
  globalThis.__pfsSkipped = [];
  globalThis.__pfsTestTimes = [];
  globalThis.UVU_QUEUE = [[name]];
  globalThis.UVU_INDEX = 0;
  strays = 0;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  process.stdout.write(`${name}\n`);
  try {
    await import(pathToFileURL(file).href);
    for (const run of globalThis.UVU_QUEUE[0]!.slice(1) as Run[]) {
      const [errors, ran, skip, total] = await run();
      passed += ran;
      failed += total - ran;
      skipped += skip;
      if (errors !== true) process.stdout.write(`\n${errors}\n`);
    }
  } catch (e) {
    // The file itself did not load (a throw at its top level, a syntax error).
    failed++;
    console.error(`\n  FAIL ${name} did not load: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  failed += strays;
  return { name, passed, failed, skipped, ms: performance.now() - started, skips: globalThis.__pfsSkipped, tests: globalThis.__pfsTestTimes };
}

globalThis.UVU_DEFER = 1; // uvu queues suites for us to run instead of starting on its own
globalThis.__pfsTestStarted = (test) => report({ test });
register(new URL('./uvu-hook.mjs', import.meta.url), { data: { shim: new URL('./uvu-timed.ts', import.meta.url).href } });

let queue = Promise.resolve();
process.on('disconnect', () => process.exit(1)); // the runner is gone
process.on('message', (m: WorkerRequest) => {
  queue = queue.then(async () => {
    if ('quit' in m) {
      // Whatever a test left running (a socket, a child, a timer) must not hold the run up.
      process.exit(0);
    }
    report({ done: await runFile(m.file, m.name, m.timeoutMs) });
  });
});
