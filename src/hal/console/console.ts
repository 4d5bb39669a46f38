import { closeSync, constants, mkdirSync, openSync, write } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import type { BoardProfile } from '../../profiles';
import { PfsError } from '../../errors';
import type { Logger, LogSink } from '../../log/logger';
import { addonFileName, loadNative, type PfsNative } from '../native';
import { LineWriter } from './line-writer';

export { LineWriter, type LineWriterOptions, type WriteFn } from './line-writer';

/** `console <board> <path>: <reason>`. */
export class ConsoleError extends PfsError {
  constructor(
    readonly board: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('PFS_ERR_CONSOLE', `console ${board} ${path}: ${reason}`, options);
  }
}

/** The serial console as a log sink. Never blocks: see LineWriter. */
export interface ConsoleSink extends LogSink {
  /** The device or file written to (under the root). */
  readonly device: string;
  /** Whether it is a terminal (lines end in `\r\n`, the speed was set). */
  readonly tty: boolean;
  /** Lines lost to a slow, stuck or failed console. */
  readonly dropped: number;
  /** Waits up to a second for the lines still queued, then closes the device. */
  close(): Promise<void>;
}

export interface OpenConsoleOptions {
  /** The board's root folder (`/` on a real board). Under any other root (a sim board), a plain file is created if missing. */
  root: string;
  /** For messages: the board file's name. */
  boardName: string;
  /** Where the one warning goes (no addon to set the speed, a device that fails): `log.wrn`, else standard error. */
  log?: Logger;
  /** Tests: a stand-in for the native addon; `null` for none. */
  native?: PfsNative | null;
  /** Tests: whether the opened descriptor is a terminal. */
  isTty?: (fd: number) => boolean;
  /** Bytes allowed to wait for a slow console (default 64 KiB). */
  limitBytes?: number;
}

/**
 * The board's serial console as its board file names it (`console` in
 * boards/<board>.json). `-` means standard output only: undefined is returned and the
 * caller's stdout sink is the console. Otherwise the device is opened for appending
 * (non-blocking, never as the controlling terminal); on a TTY the speed is set to
 * `baud`, raw 8N1, through the native addon; without the addon one warning says so
 * and the line keeps the speed it has. Throws a ConsoleError when it cannot be opened.
 */
export async function openConsole(cfg: BoardProfile['console'], o: OpenConsoleOptions): Promise<ConsoleSink | undefined> {
  if (cfg.device === '-') return undefined;
  const path = join(o.root, cfg.device);
  const sim = resolve(o.root) !== '/';
  const warn = (text: string) => {
    const line = `console ${o.boardName} ${path}: ${text}`;
    if (o.log) o.log.wrn(line);
    else process.stderr.write(`WRN ${line}\n`);
  };
  let fd: number;
  try {
    if (sim) mkdirSync(dirname(path), { recursive: true });
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_NOCTTY | constants.O_NONBLOCK | (sim ? constants.O_CREAT : 0);
    fd = openSync(path, flags, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    const hint = code === 'EACCES' ? ': run pfs as root, or add its user to the dialout group' : code === 'ENOENT' ? ': is the serial port enabled (enable_uart=1)?' : '';
    throw new ConsoleError(o.boardName, path, `cannot open (${code})${hint}`, { cause: e });
  }
  const tty = (o.isTty ?? isatty)(fd);
  if (tty) {
    const native = o.native === undefined ? loadNative() : (o.native ?? undefined);
    if (!native) warn(`no native addon (${addonFileName()}) to set ${cfg.baud} baud: the line keeps the speed it has (stty -F ${path} ${cfg.baud} raw)`);
    else {
      try {
        native.setBaud(fd, path, cfg.baud);
      } catch (e) {
        warn(`cannot set ${cfg.baud} baud (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): the line keeps the speed it has`);
      }
    }
  }
  const writer = new LineWriter((buf, cb) => write(fd, buf, 0, buf.length, null, cb), {
    eol: tty ? '\r\n' : '\n',
    limitBytes: o.limitBytes,
    onBroken: (e) => warn(`stopped writing (${e.code ?? e.message}); later lines are dropped`),
  });
  let closed = false;
  return {
    device: path,
    tty,
    get dropped() {
      return writer.dropped;
    },
    writeLine: (line) => writer.writeLine(line),
    async close() {
      if (closed) return;
      closed = true;
      await writer.close();
      closeSync(fd);
    },
  };
}
