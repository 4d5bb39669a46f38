import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attachConsole } from '../../src/boot/board-io';
import { createLogger } from '../../src/log/logger';
import type { BoardProfile } from '../../src/profiles';

test('regression: a console that cannot be opened is one warning that names it once (it said "console /dev/serial0: console rpi4 /dev/serial0: cannot open")', async () => {
  const lines: string[] = [];
  const log = createLogger('BOOT', { level: 'DBG', sinks: [{ writeLine: (l) => lines.push(l) }] });
  const board = { board: 'rpi4', console: { device: '/dev/pfs-no-such-serial', baud: 115200 } } as BoardProfile;
  assert.is(await attachConsole(board, '/', log), undefined);
  assert.is(lines.length, 1, lines.join('\n'));
  assert.match(lines[0]!, /^WRN \S+ BOOT: console rpi4 \/dev\/pfs-no-such-serial: cannot open \(ENOENT\).*; logging to standard output only/);
  assert.is(lines[0]!.split('console ').length - 1, 1, lines[0]);
});

test.run();
