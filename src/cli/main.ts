import { createLogger } from '../log/logger';
import { exitCodeOf, PfsError, UsageError } from '../errors';
import type { Command } from './command';
import { commands } from './commands/index';
import { VERSION } from '../version';
import { nearest } from './nearest';
import { PositionalError } from './parse-args';
import { takeGlobals } from './globals';

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

function findCommand(words: string[]): { cmd?: Command; used: number } {
  let best: { cmd?: Command; used: number } = { used: 0 };
  for (const c of commands) {
    if (c.path.every((w, i) => words[i] === w) && c.path.length > best.used) best = { cmd: c, used: c.path.length };
  }
  return best;
}

/** One line for words that name no command: the nearest command, or the list. */
function unknownCommand(words: string[]): string {
  const shown = commands.filter((c) => !c.hidden);
  const group = shown.filter((c) => c.path.length > 1 && c.path[0] === words[0]);
  if (group.length > 0) {
    const subs = group.map((c) => c.path[1]!);
    if (words[1] === undefined || words[1].startsWith('-')) return `"pfs ${words[0]}" needs one of: ${subs.join(', ')} (e.g. "pfs ${group[0]!.path.join(' ')} --help")`;
    const near = nearest(words[1], subs);
    return `unknown command "pfs ${words[0]} ${words[1]}"; ${near ? `did you mean "pfs ${words[0]} ${near}"?` : `"pfs ${words[0]}" takes ${subs.join(', ')}`}`;
  }
  if (words[0]!.startsWith('-')) return `unknown option ${words[0]} before the command; run "pfs --help" for the commands and options`;
  const near = nearest(words[0]!, new Set(shown.map((c) => c.path[0]!)));
  return `unknown command "${words[0]}"; ${near ? `did you mean "pfs ${near}"?` : 'run "pfs --help" for the list'}`;
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
    process.stderr.write(`pfs: ${unknownCommand(g.rest)}\n`);
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
      // One line: what is wrong and what to do. The whole usage would bury it.
      const synopsis = e instanceof PositionalError ? `; usage: ${cmd.usage.split('\n')[0]!.replace(/^Usage:\s*/, '')}` : '';
      process.stderr.write(`pfs ${cmd.path.join(' ')}: ${e.message}${synopsis}\n`);
      return 2;
    }
    if (e instanceof PfsError) {
      log.err(e.message, { code: e.code });
      return exitCodeOf(e.code);
    }
    throw e;
  }
}
