import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'bench/RESULTS.md';

/** Put between a run's new text and what its section held before. */
export const KEPT_LINE = '*The section as it stood before the run above (earlier runs, and the notes on them):*';

/**
 * Writes a benchmark's `body` at the top of the `## title` section of
 * bench/RESULTS.md (or `file`), leaving the other sections alone. Nothing is lost:
 * what the section held before (earlier runs, and the notes people wrote on them,
 * which cite those runs' figures) stays below the new run, under KEPT_LINE. A
 * missing section (or file) is appended.
 */
export function writeSection(title: string, body: string, file = FILE): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const head = `## ${title}\n`;
  // With a newline put before the text, a match's index is where the heading starts in the text.
  const start = `\n${text}`.indexOf(`\n${head}`);
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${head}\n${body.trim()}\n`);
    return;
  }
  const next = text.indexOf('\n## ', start + head.length - 1);
  const end = next < 0 ? text.length : next + 1;
  const before = text.slice(start + head.length, end).trim();
  const section = `${head}\n${body.trim()}\n${before ? `\n${KEPT_LINE}\n\n${before}\n` : ''}`;
  writeFileSync(file, `${text.slice(0, start)}${section}${next < 0 ? '' : '\n'}${text.slice(end)}`);
}
