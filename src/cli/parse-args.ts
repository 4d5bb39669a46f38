// The one command-line parser every pfs command uses. It takes the options the way
// node:util's parseArgs describes them, but forgives more and explains better: a
// mistyped option gets one line naming the nearest valid one, and a value that
// starts with "-" (`--boards -3`) is taken as the value, so that the option's own
// check can say what range it wants.
import { UsageError } from '../errors';
import { nearest } from './nearest';

/** One option: `--name VALUE` (string) or `--name` (boolean); `short` is a one-letter alias. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  /** Given more than once, every value is kept (an array); otherwise the last one counts. */
  readonly multiple?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' } ? (S extends { multiple: true } ? boolean[] : boolean) : S extends { multiple: true } ? string[] : string;

/** What was given: a key only for the options on the command line. */
export type Values<O extends OptionSpecs> = { -readonly [K in keyof O]?: ValueOf<O[K]> };

/** Positional arguments missing or left over: pfs prints the command's usage line with it. */
export class PositionalError extends UsageError {}

/** Options every command accepts (main takes them out first); they are not "unknown". */
export const GLOBAL_OPTIONS = ['log-level', 'log-format', 'help', 'version'];

/**
 * Parses `argv` (the words after the command) against `options`. Throws UsageError
 * (exit 2) with one line for: an unknown option ("unknown option --bords; did you
 * mean --boards?"), a value missing or given to a flag that takes none, and
 * PositionalError for too few or too many positional arguments.
 */
export function parseArgv<O extends OptionSpecs>(argv: readonly string[], options: O, positionals: { min: number; max: number }): { values: Values<O>; positionals: string[] } {
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);
  const values: Record<string, unknown> = {};
  const rest: string[] = [];
  const set = (name: string, spec: OptionSpec, v: string | boolean) => {
    if (spec.multiple) ((values[name] ??= []) as unknown[]).push(v);
    else values[name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-' || !a.startsWith('-')) {
      rest.push(a);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let shown: string;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      inline = eq < 0 ? undefined : a.slice(eq + 1);
      shown = `--${name}`;
    } else {
      const long = byShort.get(a[1]!);
      shown = a.slice(0, 2);
      if (long === undefined) throw unknown(shown, options);
      name = long;
      inline = a.length > 2 ? a.slice(a[2] === '=' ? 3 : 2) : undefined;
    }
    const spec = Object.hasOwn(options, name) ? options[name] : undefined;
    if (!spec) throw unknown(shown, options);
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${shown} takes no value (give ${shown} alone), got "${a}"`);
      set(name, spec, true);
      continue;
    }
    let v = inline;
    if (v === undefined) {
      v = argv[i + 1];
      if (v === undefined) throw new UsageError(`${shown} needs a value`);
      // `--model --json`: the value was forgotten. Any other word, "-3" too, is the value: its own check says what is wrong with it.
      if (v.startsWith('--') && Object.hasOwn(options, v.slice(2).split('=')[0]!)) throw new UsageError(`${shown} needs a value before ${v}`);
      i++;
    }
    set(name, spec, v);
  }
  if (rest.length < positionals.min) throw new PositionalError(rest.length === 0 ? 'missing arguments' : `missing arguments after "${rest[rest.length - 1]}"`);
  if (rest.length > positionals.max) throw new PositionalError(`unexpected argument "${rest[positionals.max]}"`);
  return { values: values as Values<O>, positionals: rest };
}

function unknown(shown: string, options: OptionSpecs): UsageError {
  const long = shown.startsWith('--');
  const word = shown.replace(/^--?/, '');
  const names = [...Object.keys(options), ...GLOBAL_OPTIONS];
  const near = long ? nearest(word, names) : undefined;
  if (near !== undefined) return new UsageError(`unknown option ${shown}; did you mean --${near}?`);
  return new UsageError(`unknown option ${shown}; --help lists the options`);
}
