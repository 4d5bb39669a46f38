import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger } from '../../src/log/logger';
import { parseLevel } from '../../src/log/level';

function capture(level: Parameters<typeof createLogger>[1]) {
  const lines: string[] = [];
  // 02:19:22.634167 local time, the moment in the source document's console log.
  const t = new Date(2026, 0, 1, 2, 19, 22).getTime() * 1000 + 634167;
  const log = createLogger('DLoad', { ...level, sinks: [{ writeLine: (l) => lines.push(l) }], clockUs: () => t });
  return { log, lines };
}

test('text lines read like the phone console: LVL HH:MM:SS.micro MODULE: text', () => {
  const { log, lines } = capture({ level: 'DBG' });
  log.dbg('+++ fd=7 Listening on peer TCP port 4051');
  assert.equal(lines, ['DBG 02:19:22.634167 DLoad: +++ fd=7 Listening on peer TCP port 4051']);
});

test('level filter drops lines below the chosen level', () => {
  const { log, lines } = capture({ level: 'NOT' });
  log.inf('hidden');
  log.dbg('hidden');
  log.not('shown');
  log.err('shown too');
  assert.equal(lines.map((l) => l.slice(0, 3)), ['NOT', 'ERR']);
});

test('json format gives one parseable object per line with fields', () => {
  const { log, lines } = capture({ level: 'INF', format: 'json' });
  log.child('TFTP').inf('done', { bytes: 42, file: 'a b.bin' });
  const o = JSON.parse(lines[0]!);
  assert.equal([o.level, o.module, o.msg, o.bytes, o.file], ['INF', 'TFTP', 'done', 42, 'a b.bin']);
});

test('text fields with spaces are quoted so the line stays greppable', () => {
  const { log, lines } = capture({ level: 'INF' });
  log.inf('got', { file: 'a b.bin', n: 3 });
  assert.ok(lines[0]!.endsWith('got file="a b.bin" n=3'));
});

test('parseLevel accepts short and long names and rejects others', () => {
  assert.is(parseLevel('dbg'), 'DBG');
  assert.is(parseLevel('warning'), 'WRN');
  assert.throws(() => parseLevel('loud'), /unknown log level "loud"/);
});

test.run();
