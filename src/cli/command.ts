import { UsageError } from '../errors';
import type { Logger } from '../log/logger';
import { parseArgv, type OptionSpecs, type Values } from './parse-args';

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

/**
 * Parses a command's arguments with the one pfs parser (src/cli/parse-args.ts):
 * options as node:util's parseArgs describes them (`{ type: 'string' | 'boolean',
 * short?, multiple? }`), positionals counted. Every mistake is a UsageError: one
 * line, exit 2 (an unknown option names the nearest valid one).
 */
export function parse<O extends OptionSpecs>(argv: string[], options: O, positionals: { min: number; max: number }): { values: Values<O>; positionals: string[] } {
  return parseArgv(argv, options, positionals);
}

/** A whole-number option within [min, max]; the message names the option and its range. */
export function intOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
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
