import { levelRank, type Level } from './level';
import { formatJson, formatText, type Fields, type LogFormat, type LogRecord } from './format';

/** Where finished lines go: stdout, a serial console, a test's array. */
export interface LogSink {
  writeLine(line: string): void;
}

export const stderrSink: LogSink = { writeLine: (line) => void process.stderr.write(line + '\n') };
export const stdoutSink: LogSink = { writeLine: (line) => void process.stdout.write(line + '\n') };

export interface LoggerOptions {
  level?: Level;
  format?: LogFormat;
  sinks?: LogSink[];
  /** Injected for tests; microseconds since the epoch. */
  clockUs?: () => number;
}

const wallClockUs = () => Math.floor((performance.timeOrigin + performance.now()) * 1000);

interface LoggerState {
  level: Level;
  format: LogFormat;
  sinks: LogSink[];
  clockUs: () => number;
}

/** The root logger of a process (the board's console). */
export function createLogger(module: string, opts: LoggerOptions = {}): Logger {
  return new Logger(module, {
    level: opts.level ?? 'INF',
    format: opts.format ?? 'text',
    sinks: opts.sinks ?? [stderrSink],
    clockUs: opts.clockUs ?? wallClockUs,
  });
}

/**
 * The board's console log. `child(module)` gives a logger that stamps another
 * module name (`DLoad`, `TFTP`, ...) and shares level, format and sinks.
 */
export class Logger {
  constructor(
    readonly module: string,
    private readonly shared: LoggerState,
  ) {}

  /** A logger for another module that shares level, format and sinks with this one. */
  child(module: string): Logger {
    return new Logger(module, this.shared);
  }

  setLevel(level: Level): void {
    this.shared.level = level;
  }

  setFormat(format: LogFormat): void {
    this.shared.format = format;
  }

  addSink(sink: LogSink): void {
    this.shared.sinks.push(sink);
  }

  enabled(level: Level): boolean {
    return levelRank(level) <= levelRank(this.shared.level);
  }

  log(level: Level, text: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const rec: LogRecord = { timeUs: this.shared.clockUs(), level, module: this.module, text, fields };
    const line = this.shared.format === 'json' ? formatJson(rec) : formatText(rec);
    for (const s of this.shared.sinks) s.writeLine(line);
  }

  err(text: string, fields?: Fields): void { this.log('ERR', text, fields); }
  wrn(text: string, fields?: Fields): void { this.log('WRN', text, fields); }
  not(text: string, fields?: Fields): void { this.log('NOT', text, fields); }
  inf(text: string, fields?: Fields): void { this.log('INF', text, fields); }
  dbg(text: string, fields?: Fields): void { this.log('DBG', text, fields); }
}

/** A logger that prints nothing: the default for library code nobody asked to hear. */
export const silentLogger = createLogger('-', { level: 'ERR', sinks: [] });
