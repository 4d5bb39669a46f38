import { createLogger } from '../log/logger';
import { parseLevel, type Level } from '../log/level';
import { exitCodeOf, PfsError, UsageError } from '../errors';
import type { Command } from './command';
import { commands } from './commands/index';
import { VERSION } from '../version';

const GLOBAL_HELP = `Global options (before or after the command):
  --log-level LEVEL    err, wrn, not, inf (default) or dbg
  --log-format FORMAT  text (default: "LVL HH:MM:SS.micro MODULE: text") or json (one object a line)
  -h, --help           help for pfs or for a command
  -V, --version        print the version`;

function mainHelp(): string {
  const shown = commands.filter((c) => !c.hidden);
  const width = Math.max(...shown.map((c) => c.path.join(' ').length));
  const lines = shown.map((c) => `  ${c.path.join(' ').padEnd(width)}  ${c.summary}`);
  return `pfs ${VERSION} — Peer Firmware Sharing runtime for small Linux boards

Usage: pfs <command> [options]

Commands:
${lines.join('\n')}

${GLOBAL_HELP}

Run "pfs <command> --help" for a command's options.`;
}

/** Pulls the global options out of argv wherever they stand. */
function takeGlobals(argv: string[]): { rest: string[]; level: Level; format: 'text' | 'json'; help: boolean; version: boolean } {
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

function findCommand(words: string[]): { cmd?: Command; used: number } {
  let best: { cmd?: Command; used: number } = { used: 0 };
  for (const c of commands) {
    if (c.path.every((w, i) => words[i] === w) && c.path.length > best.used) best = { cmd: c, used: c.path.length };
  }
  return best;
}

export async function main(argv: string[]): Promise<number> {
  let g;
  try {
    g = takeGlobals(argv);
  } catch (e) {
    process.stderr.write(`pfs: ${(e as Error).message}\n`);
    return 2;
  }
  if (g.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { cmd, used } = findCommand(g.rest);
  if (!cmd) {
    if (g.rest.length === 0 || g.help) {
      process.stdout.write(mainHelp() + '\n');
      return g.help ? 0 : 2;
    }
    const group = commands.filter((c) => c.path[0] === g.rest[0]);
    if (group.length > 0) {
      process.stderr.write(`pfs: "${g.rest.join(' ')}" is not a command; did you mean one of:\n${group.map((c) => `  pfs ${c.path.join(' ')}  ${c.summary}`).join('\n')}\n`);
    } else {
      process.stderr.write(`pfs: unknown command "${g.rest[0]}". Run "pfs --help" for the list.\n`);
    }
    return 2;
  }
  if (g.help) {
    process.stdout.write(`${cmd.usage}\n\n${GLOBAL_HELP}\n`);
    return 0;
  }
  const log = createLogger('PFS', { level: g.level, format: g.format });
  try {
    return await cmd.run({ argv: g.rest.slice(used), log });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`pfs ${cmd.path.join(' ')}: ${e.message}\n\n${cmd.usage}\n`);
      return 2;
    }
    if (e instanceof PfsError) {
      log.err(e.message, { code: e.code });
      return exitCodeOf(e.code);
    }
    throw e;
  }
}
