// uvu as the test files know it, with one addition: every test has a time limit.
// A test still running when it expires fails with its name and the limit, so a hung
// transfer fails that test instead of holding the whole run. test/run.ts's workers
// give test files this module for 'uvu' (uvu-hook.mjs); run alone, a file gets the
// real uvu and no limit.
import { suite as uvuSuite, type Callback, type Test } from 'uvu';
import { DEFAULT_TEST_TIMEOUT_MS } from './protocol';

export { exec, type Callback, type Test } from 'uvu';

declare global {
  // eslint-disable-next-line no-var
  var __pfsTestTimeoutMs: number | undefined;
  // eslint-disable-next-line no-var
  var __pfsTestStarted: ((name: string) => void) | undefined;
  // eslint-disable-next-line no-var
  var __pfsTestTimes: Array<{ name: string; ms: number }> | undefined;
}

function limited<T>(suiteName: string, name: string, fn: Callback<T>): Callback<T> {
  return async (ctx) => {
    const ms = globalThis.__pfsTestTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
    const full = suiteName ? `${suiteName} › ${name}` : name;
    globalThis.__pfsTestStarted?.(full);
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`"${name}" did not finish within its ${ms / 1000} s time limit`)), ms);
    });
    try {
      await Promise.race([fn(ctx), expired]);
    } finally {
      clearTimeout(timer);
      globalThis.__pfsTestTimes?.push({ name: full, ms: performance.now() - started });
    }
  };
}

export function suite<T = Record<string, unknown>>(title = '', context?: T): Test<T> {
  const real = uvuSuite<T>(title, context);
  const t = ((name: string, fn: Callback<T>) => real(name, limited(title, name, fn))) as Test<T>;
  t.only = (name, fn) => real.only(name, limited(title, name, fn));
  t.skip = real.skip;
  t.before = real.before;
  t.after = real.after;
  t.run = real.run;
  return t;
}

export const test = suite();
