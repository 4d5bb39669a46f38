import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openDisplay, terminalLines, TerminalDisplay } from '../../../src/hal/display';
import { silentLogger } from '../../../src/log/logger';
import { errorView, screenOf, upgradeView } from './views';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, columns: 200, write: (s: string) => void writes.push(s) } };
}

function progressed(bytes: number) {
  const v = upgradeView();
  return { ...v, components: v.components.map((c, i) => (i === 2 ? { ...c, bytes } : c)) };
}

test('terminal lines: the board, the loads, PFS, then one line per file with its state and role', () => {
  const lines = terminalLines(upgradeView());
  assert.is(lines[0], 'CP-7961G  Upgrading firmware  SCCP41.9-3-1SR1-1S -> SCCP41.9-4-2SR2-2S  [PFS]');
  assert.is(lines.length, 6);
  assert.match(lines[1]!, /^  apps41\.9-4-2SR2-2S\.sbn\s+Done 100%\s+Root, to 2$/);
  assert.match(lines[2]!, /Verifying\s+Parent, to 1$/);
  assert.match(lines[3]!, /1536 of 3072 KB  50%\s+Child$/);
  assert.match(lines[4]!, /Waiting\s+Direct TFTP$/);
  assert.match(terminalLines(progressed(1_600_000), true)[3]!, /Downloading 50% of 3072 KB/);
  assert.match(terminalLines(errorView()).join('\n'), /Upgrade failed[\s\S]*error: apps41.* signature does not verify/);
});

test('terminal on a TTY: redrawn in place, only when something changed', async () => {
  const { writes, out } = sink(true);
  const d = await openDisplay({ backend: 'terminal' }, { root: '/', boardName: 'b', screen: screenOf('CP-7961G'), log: silentLogger, out });
  assert.is(d.kind, 'terminal');
  await d.show(progressed(0));
  await d.show(progressed(0));
  assert.is(writes.length, 1);
  assert.not.match(writes[0]!, /\x1b\[\d+F/, 'the first drawing moves no cursor');
  await d.show(progressed(1024));
  assert.is(writes.length, 2);
  assert.match(writes[1]!, /^\x1b\[6F/, 'back up over the 6 lines drawn');
  assert.match(writes[1]!, /1 of 3072 KB/);
  await d.close();
});

test('terminal elsewhere (a serial log): appends only the lines that changed, downloads by quarters', async () => {
  const { writes, out } = sink(false);
  const d = new TerminalDisplay(out);
  await d.show(progressed(0));
  assert.is(writes.join('').split('\n').length - 1, 6);
  for (let b = 0; b <= 3_145_728; b += 32_768) await d.show(progressed(b));
  const later = writes.slice(1).join('');
  assert.not.match(later, /\x1b/, 'no escape codes');
  assert.is(later.split('\n').length - 1, 4, '25, 50, 75, 99 %... then no more');
  assert.ok(later.split('\n').every((l) => l === '' || l.includes('cvm41')), 'only the file that moved');
  await d.close();
});

test.run();
