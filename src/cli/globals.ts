import { parseLevel, type Level } from '../log/level';
import { UsageError } from '../errors';

export interface Globals {
  rest: string[];
  level: Level;
  format: 'text' | 'json';
  help: boolean;
  version: boolean;
}

/** Pulls the global options out of argv wherever they stand. */
export function takeGlobals(argv: string[]): Globals {
  const rest: string[] = [];
  let level: Level = 'INF';
  let format: 'text' | 'json' = 'text';
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--log-level') level = parseLevel(value());
    else if (flag === '--log-format') {
      const f = value();
      if (f !== 'text' && f !== 'json') throw new UsageError(`--log-format must be text or json, got "${f}"`);
      format = f;
    } else if (a === '-h' || a === '--help') help = true;
    else if (a === '-V' || a === '--version') version = true;
    else if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    } else rest.push(a);
  }
  return { rest, level, format, help, version };
}
