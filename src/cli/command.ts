import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors';
import type { Logger } from '../log/logger';

/** What every sub-command gets: its own arguments and the process's console logger. */
export interface CommandContext {
  readonly argv: string[];
  readonly log: Logger;
}

export interface Command {
  /** Words after `pfs`, e.g. `['tftp', 'get']`. */
  readonly path: readonly string[];
  /** One line for `pfs --help`. */
  readonly summary: string;
  /** Internal commands are left out of `pfs --help`. */
  readonly hidden?: boolean;
  /** Full help text for `pfs <command> --help`. */
  readonly usage: string;
  /** Resolves to the process exit code. */
  run(ctx: CommandContext): Promise<number>;
}

type Opts = NonNullable<ParseArgsConfig['options']>;

/** `node:util` parseArgs with errors turned into UsageError (exit 2, usage printed). */
export function parse<O extends Opts>(argv: string[], options: O, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError('missing arguments');
  if (n > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`);
  return parsed;
}

/** Parses a whole non-negative integer option with bounds, naming the option in errors. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** `HOST[:PORT]`, with `[v6]:PORT` accepted. */
export function hostPort(text: string, defaultPort: number): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new UsageError(`expected HOST[:PORT], got "${text}"`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`port must be 1..65535, got "${m[2]}"`);
  return { host: m[1]!, port };
}
