import { PfsError } from '../errors';

/** Log levels, most severe first, spelled as the phone's serial console spells them. */
export const LEVELS = ['ERR', 'WRN', 'NOT', 'INF', 'DBG'] as const;
export type Level = (typeof LEVELS)[number];

/** A log level no one knows (PFS_ERR_LOG_LEVEL): the command line's fault, exit 2. */
export class BadLogLevelError extends PfsError {
  constructor(given: string) {
    super('PFS_ERR_LOG_LEVEL', `unknown log level "${given}": expected one of ${LEVELS.map((l) => l.toLowerCase()).join(', ')}`);
  }
}

/** Accepts `inf`, `INF`, `info`, `debug`, `warn`, `error`, `notice`. */
export function parseLevel(text: string): Level {
  const t = text.trim().toUpperCase();
  const aliases: Record<string, Level> = {
    ERROR: 'ERR', WARN: 'WRN', WARNING: 'WRN', NOTICE: 'NOT', INFO: 'INF', DEBUG: 'DBG',
  };
  const level = (LEVELS as readonly string[]).includes(t) ? (t as Level) : aliases[t];
  if (!level) throw new BadLogLevelError(text);
  return level;
}

export function levelRank(level: Level): number {
  return LEVELS.indexOf(level);
}
