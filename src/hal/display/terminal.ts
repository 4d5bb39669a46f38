import type { UpgradeView } from '../view';
import { percent, roleText, stateText, titleText } from './layout';
import type { Display } from './types';

type Out = { write(text: string): unknown; isTTY?: boolean; columns?: number };

/**
 * The screen as text lines, one for the board and one per component:
 * `CP-7961G  Upgrading firmware  SCCP41.9-3-1SR1-1S -> SCCP41.9-4-2SR2-2S  [PFS]`,
 * `  cvm41.sbn  1536 of 3072 KB  50%  Child`. `coarse` (a log, not a live screen)
 * counts a download in quarters, so that lines change only every 25 %.
 */
export function terminalLines(view: UpgradeView, coarse = false): string[] {
  const load = view.target ? `${view.running ?? 'none'} -> ${view.target}` : (view.running ?? 'no load');
  const head = `${view.model}  ${titleText(view)}  ${load}${view.pfs ? '  [PFS]' : ''}`;
  const lines = [head];
  if (view.phase === 'error') lines.push(`  error: ${view.error ?? 'unknown'}`);
  const w = Math.max(0, ...view.components.map((c) => c.name.length));
  for (const c of view.components) {
    const state = coarse && c.state === 'downloading'
      ? `Downloading ${Math.floor(percent(c) / 25) * 25}% of ${Math.ceil(c.size / 1024)} KB`
      : stateText(c);
    lines.push(`  ${c.name.padEnd(w)}  ${state.padEnd(22)}  ${roleText(c)}`);
  }
  return lines;
}

/**
 * The screen on a serial console or a terminal. On a TTY the lines are redrawn in
 * place (cursor up, erase line) whenever they change; anywhere else each line that
 * changed is appended once, with downloads counted in quarters, so a log stays short.
 */
export class TerminalDisplay implements Display {
  readonly kind = 'terminal';
  private drawn: string[] = [];
  private printed = new Map<string, string>();
  private closed = false;

  constructor(private readonly out: Out) {}

  async show(view: UpgradeView): Promise<void> {
    if (this.closed) return;
    if (this.out.isTTY) this.redraw(terminalLines(view));
    else this.append(view);
  }

  private redraw(raw: string[]): void {
    const cols = this.out.columns ?? 0;
    const lines = raw.map((l) => (cols > 1 && l.length >= cols ? l.slice(0, cols - 1) : l));
    if (lines.length === this.drawn.length && lines.every((l, i) => l === this.drawn[i])) return;
    let s = this.drawn.length ? `\x1b[${this.drawn.length}F` : '';
    lines.forEach((l, i) => { s += `\x1b[2K${i === 0 ? `\x1b[7m${l}\x1b[0m` : l}\n`; });
    if (lines.length < this.drawn.length) s += '\x1b[J';
    this.out.write(s);
    this.drawn = lines;
  }

  private append(view: UpgradeView): void {
    const lines = terminalLines(view, true);
    // Keyed by what the line is about: the board, then each component by name.
    const keys = ['', ...(view.phase === 'error' ? ['!error'] : []), ...view.components.map((c) => c.name)];
    let s = '';
    lines.forEach((l, i) => {
      const k = keys[i] ?? String(i);
      if (this.printed.get(k) === l) return;
      this.printed.set(k, l);
      s += l + '\n';
    });
    if (s) this.out.write(s);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** No screen. */
export class NoDisplay implements Display {
  readonly kind = 'none';
  async show(): Promise<void> {}
  async close(): Promise<void> {}
}
