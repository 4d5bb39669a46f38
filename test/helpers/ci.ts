// Whether we run under CI, and the one way a test says it cannot run here.
//
// Off CI a test that needs something this machine lacks (a program, root, a compiler,
// a device) is registered as skipped, so uvu's summary counts it and the runner lists
// it with the reason. Under CI the same test is registered as a failing test instead:
// CI installs everything (.ci/run), so something missing there is a broken setup.
import { test as defaultTest, type Callback, type Test } from 'uvu';

/**
 * True under CI: `CI` is set to anything but "", "0" or "false" (GitHub Actions,
 * GitLab and .ci/run set CI=true). The one place the tests decide it.
 */
export function inCI(): boolean {
  const v = (process.env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== '0' && v !== 'false';
}

/** A test registered as skipped, with why: read by test/run.ts for its summary. */
export interface SkippedTest {
  readonly name: string;
  readonly why: string;
  /** Skipped under CI too (testOptional); otherwise it would fail there. */
  readonly optional: boolean;
}

declare global {
  // eslint-disable-next-line no-var
  var __pfsSkipped: SkippedTest[] | undefined;
}

/**
 * Registers `fn` as test `name` on `on` (the file's `test` or a suite) when `missing`
 * is undefined. `missing` says what this machine lacks ("in.tftpd not found (tried
 * /usr/sbin/in.tftpd)"); then, off CI the test is skipped (uvu counts it) and one line
 * says why; under CI it is a failing test that names what is missing.
 */
export function testIf<T>(missing: string | undefined, name: string, fn: Callback<T>, on?: Test<T>): void {
  const t = on ?? (defaultTest as unknown as Test<T>);
  if (missing === undefined) {
    t(name, fn);
  } else if (inCI()) {
    t(name, () => {
      throw new Error(`cannot run under CI: ${missing} (.ci/run installs what the tests need)`);
    });
  } else {
    skip(t, name, fn, missing, false);
  }
}

/** Why this process cannot do what needs root (undefined when it is root). */
export function missingRoot(): string | undefined {
  return process.getuid?.() === 0 ? undefined : 'needs root (run as root, as CI does)';
}

/** The reasons that apply, joined; undefined when none does. */
export function anyMissing(...reasons: Array<string | undefined>): string | undefined {
  const r = reasons.filter((x): x is string => x !== undefined);
  return r.length > 0 ? r.join('; ') : undefined;
}

/**
 * Like testIf, for a test that by design runs only on some machines (a device named
 * in PFS_TEST_MTD, a machine without the native addon): where `missing` is set it is
 * skipped with the reason everywhere, CI included, since CI cannot provide it either.
 */
export function testOptional<T>(missing: string | undefined, name: string, fn: Callback<T>, on?: Test<T>): void {
  const t = on ?? (defaultTest as unknown as Test<T>);
  if (missing === undefined) t(name, fn);
  else skip(t, name, fn, missing, true);
}

function skip<T>(t: Test<T>, name: string, fn: Callback<T>, why: string, optional: boolean): void {
  t.skip(name, fn);
  (globalThis.__pfsSkipped ??= []).push({ name, why, optional });
  console.log(`  skipped: "${name}": ${why}`);
}
