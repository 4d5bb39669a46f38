// The command line of a bench script: node:util's parseArgs (strict), --help, and
// one way to fail on bad input, so a mistyped flag stops the run before it builds
// namespaces or spends an hour on the wrong settings.

/**
 * Runs `parse` (a strict `parseArgs` plus whatever turns its strings into numbers)
 * on `args`. `-h`/`--help` prints `usage` and exits 0; anything `parse` throws (an
 * unknown flag, a flag without its value, a value that is not a number) is printed
 * as `NAME: message` with `usage`, and the process exits with status 2.
 */
export function benchArgs<T>(name: string, usage: string, parse: (args: string[]) => T, args = process.argv.slice(2)): T {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(usage.endsWith('\n') ? usage : `${usage}\n`);
    process.exit(0);
  }
  try {
    return parse(args);
  } catch (e) {
    process.stderr.write(`${name}: ${(e as Error).message}\n\n${usage.endsWith('\n') ? usage : `${usage}\n`}`);
    process.exit(2);
  }
}

/** `text` as a number of at least `min` (an integer unless `fractions`), or an error naming `flag`. */
export function numberArg(text: string, flag: string, { min = 0, fractions = false } = {}): number {
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || n < min || (!fractions && !Number.isInteger(n))) {
    throw new Error(`${flag} must be ${fractions ? 'a number' : 'a whole number'} of at least ${min}, got "${text}"`);
  }
  return n;
}

/** A comma-separated list of numbers (`8,16,32`), each as numberArg checks it. */
export function numberListArg(text: string, flag: string, opts: { min?: number; fractions?: boolean } = {}): number[] {
  return text.split(',').map((x) => numberArg(x, flag, opts));
}
