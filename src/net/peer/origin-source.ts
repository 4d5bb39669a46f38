import type { Logger } from '../../log/logger';
import { tftpGet, type TftpDownload } from '../tftp/client';
import type { ByteSink, Source } from './source';

/** The TFTP server a file comes from, and the options asked of it. */
export interface OriginOptions {
  host: string;
  port: number;
  blksize?: number;
  windowsize?: number;
  timeoutMs?: number;
}

/**
 * A file from the TFTP origin as a pipeline source. The transfer may be opened
 * ahead (`prepare`: request and option round trips paid while the election is still
 * running) and started later. A paused sink holds back the ACKs, so the server waits.
 */
export class OriginSource implements Source {
  readonly kind = 'origin';
  /** TFTP cannot seek: the file always comes from its first byte. */
  readonly startsAt = 0;
  readonly label: string;
  private stopped = false;

  /**
   * `ended`: the transfer finished (no error) or failed; not called after stop().
   * `download`: a transfer opened with `prepare`, else one is opened at start().
   */
  constructor(
    private readonly origin: OriginOptions,
    private readonly file: string,
    private readonly log: Logger,
    private readonly ended: (error?: Error) => void,
    private download?: TftpDownload,
  ) {
    this.label = `origin ${origin.host}:${origin.port}`;
  }

  /** Opens the transfer without taking data yet (see TftpGetOptions.hold). */
  static prepare(origin: OriginOptions, file: string, log: Logger): TftpDownload {
    const dl = tftpGet({ ...origin, file, logger: log, hold: true });
    dl.negotiated.catch(() => {}); // a failure is seen again through deliver()
    return dl;
  }

  start(sink: ByteSink): void {
    const dl = (this.download ??= tftpGet({ ...this.origin, file: this.file, logger: this.log }));
    dl.begin();
    dl.deliver((b) => this.stopped || sink(b)).then(
      () => this.stopped || this.ended(),
      (e: Error) => this.stopped || this.ended(e),
    );
  }

  resume(): void {
    this.download?.resume();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.download?.abort();
  }
}
