// bench/results.ts: a benchmark's run goes to the top of its own section of
// bench/RESULTS.md and loses nothing. Before, a run replaced its whole section:
// `npm run bench:fleet` would have dropped the 250 lines of measured history (and
// the runs they cite) written under its table.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEPT_LINE, writeSection } from '../../bench/results';

async function withFile(text: string | undefined, fn: (file: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pfs-results-'));
  try {
    const file = join(dir, 'RESULTS.md');
    if (text !== undefined) writeFileSync(file, text);
    fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a run goes on top of its section; the earlier runs and notes stay below it, the other sections as they were', async () => {
  await withFile('# Benchmark results\n\n## A\n\ntext of A\n\n## Fleet\n\nCommand: old\n\n| old table |\n\nA note, citing the old table.\n\n## B\n\ntext of B\n', (file) => {
    writeSection('Fleet', 'Command: new\n\n| new table |\n', file);
    assert.is(
      readFileSync(file, 'utf8'),
      `# Benchmark results\n\n## A\n\ntext of A\n\n## Fleet\n\nCommand: new\n\n| new table |\n\n${KEPT_LINE}\n\nCommand: old\n\n| old table |\n\nA note, citing the old table.\n\n## B\n\ntext of B\n`,
    );
    writeSection('Fleet', '| newest |', file);
    const t = readFileSync(file, 'utf8');
    assert.match(t, `## Fleet\n\n| newest |\n\n${KEPT_LINE}\n\nCommand: new\n\n| new table |\n\n${KEPT_LINE}\n\nCommand: old`);
    assert.match(t, 'A note, citing the old table.\n\n## B\n\ntext of B\n');
  });
});

test('a missing section is appended, also to a missing file; the last section of the file is written in place', async () => {
  await withFile(undefined, (file) => {
    writeSection('Relay', 'r1', file);
    assert.is(readFileSync(file, 'utf8'), '# Benchmark results\n\n## Relay\n\nr1\n');
    writeSection('Relay', 'r2', file);
    assert.is(readFileSync(file, 'utf8'), `# Benchmark results\n\n## Relay\n\nr2\n\n${KEPT_LINE}\n\nr1\n`);
  });
  // A title that only begins like another's is another section.
  await withFile('# Benchmark results\n\n## Relay: one board\n\nx\n', (file) => {
    writeSection('Relay', 'y', file);
    assert.is(readFileSync(file, 'utf8'), '# Benchmark results\n\n## Relay: one board\n\nx\n\n## Relay\n\ny\n');
  });
});

test.run();
