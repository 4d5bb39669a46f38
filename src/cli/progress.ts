import type { WriteStream } from 'node:tty';
import { formatBytes, formatRate } from '../units/format';

/**
 * A one-line progress bar redrawn in place on a terminal, at most ~10 times a
 * second. On anything that is not a TTY (a log file, a pipe) it draws nothing.
 */
export class ProgressBar {
  private last = 0;
  private readonly started = performance.now();
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  update(bytes: number, total?: number): void {
    if (!this.out.isTTY) return;
    const now = performance.now();
    if (now - this.last < 100) return;
    this.last = now;
    const secs = (now - this.started) / 1000;
    const cols = (this.out as WriteStream).columns ?? 80;
    const figures = `${formatBytes(bytes)}${total ? ` / ${formatBytes(total)}` : ''}  ${formatRate(bytes, secs)}`;
    let bar = '';
    if (total) {
      const width = Math.max(10, Math.min(40, cols - figures.length - this.label.length - 12));
      const done = Math.min(width, Math.round((bytes / total) * width));
      bar = `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${String(Math.floor((bytes / total) * 100)).padStart(3)}% `;
    }
    this.out.write(`\r${this.label} ${bar}${figures}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the bar so the next line starts clean. */
  done(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
  }
}
