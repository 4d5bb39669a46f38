// Module hook for test/run.ts's workers: a test file's `import ... from 'uvu'` gets
// uvu-timed.ts (uvu with a per-test time limit) instead; uvu-timed.ts itself, and
// everything else, get the real uvu. Registered by worker.ts with module.register.
let shim;

export function initialize(data) {
  shim = data.shim;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'uvu' && context.parentURL !== shim) return next(shim, context);
  return next(specifier, context);
}
