/**
 * Resolves after `ms` milliseconds. For pacing and for a bound on a wait
 * (`Promise.race([event, sleep(2000)])`), never to wait for an event itself.
 * `unref: true` lets the process exit while it is pending (a cleanup's time limit
 * must not hold a finished process up).
 */
export function sleep(ms: number, opts: { unref?: boolean } = {}): Promise<void> {
  return new Promise((ok) => {
    const t = setTimeout(ok, ms);
    if (opts.unref) t.unref();
  });
}
