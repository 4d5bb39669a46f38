import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleError, LineWriter, openConsole, type WriteFn } from '../../../src/hal/console/console';
import type { PfsNative } from '../../../src/hal/native';
import { createLogger } from '../../../src/log/logger';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-console-'));

function logs() {
  const lines: string[] = [];
  return { lines, log: createLogger('Boot', { sinks: [{ writeLine: (l) => lines.push(l) }] }) };
}

test('`-` is standard output only: no sink of its own', async () => {
  assert.is(await openConsole({ device: '-', baud: 115200 }, { root: '/', boardName: 'sim' }), undefined);
});

test('a console file in a sim root is created (folders too) and gets the log lines, appended', async () => {
  const root = await temp();
  try {
    const sink = (await openConsole({ device: '/dev/ttyAMA0', baud: 115200 }, { root, boardName: 'sim' }))!;
    assert.is(sink.tty, false);
    assert.is(sink.device, join(root, 'dev/ttyAMA0'));
    const log = createLogger('DLoad', { sinks: [sink], level: 'DBG', clockUs: () => 0 });
    log.dbg('TxBdcst ClaimRoot(tent)');
    log.not('UT:Confirmed root bumping strength');
    await sink.close();
    const text = await readFile(join(root, 'dev/ttyAMA0'), 'utf8');
    assert.match(text, /^DBG \d\d:\d\d:\d\d\.000000 DLoad: TxBdcst ClaimRoot\(tent\)\nNOT .* DLoad: UT:Confirmed root bumping strength\n$/);
    const again = (await openConsole({ device: 'dev/ttyAMA0', baud: 115200 }, { root, boardName: 'sim' }))!;
    again.writeLine('third');
    await again.close();
    assert.is((await readFile(join(root, 'dev/ttyAMA0'), 'utf8')).split('\n').length, 4, 'appended, not overwritten');
    assert.is(again.dropped, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a missing device on a real board (root /) is a ConsoleError naming the board and the path', async () => {
  const e = await openConsole({ device: '/nonexistent-pfs-test/ttyS9', baud: 115200 }, { root: '/', boardName: 'rpi4' }).catch((x: unknown) => x);
  assert.ok(e instanceof ConsoleError, String(e));
  assert.is(e.code, 'PFS_ERR_CONSOLE');
  assert.is(e.message, 'console rpi4 /nonexistent-pfs-test/ttyS9: cannot open (ENOENT): is the serial port enabled (enable_uart=1)?');
});

test('a TTY gets its speed through the addon and lines ending in \\r\\n', async () => {
  const root = await temp();
  try {
    const calls: string[] = [];
    const native = { setBaud: (_fd: number, path: string, baud: number) => void calls.push(`${path.slice(root.length)} ${baud}`) } as unknown as PfsNative;
    const { lines, log } = logs();
    const sink = (await openConsole({ device: '/dev/serial0', baud: 9600 }, { root, boardName: 'rpi4', native, isTty: () => true, log }))!;
    sink.writeLine('one');
    sink.writeLine('two');
    await sink.close();
    assert.equal(calls, ['/dev/serial0 9600']);
    assert.equal(lines, []);
    assert.is(await readFile(join(root, 'dev/serial0'), 'utf8'), 'one\r\ntwo\r\n');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a TTY without the addon: one warning line, and the lines still go out', async () => {
  const root = await temp();
  try {
    const { lines, log } = logs();
    const sink = (await openConsole({ device: 'dev/serial0', baud: 115200 }, { root, boardName: 'rpi4', native: null, isTty: () => true, log }))!;
    sink.writeLine('hello');
    await sink.close();
    assert.is(lines.length, 1);
    assert.match(lines[0]!, /^WRN .* Boot: console rpi4 .*\/dev\/serial0: no native addon \(pfs-native\.[a-z]+-[a-z0-9]+\.node\) to set 115200 baud: the line keeps the speed it has \(stty -F .* 115200 raw\)$/);
    assert.is(await readFile(join(root, 'dev/serial0'), 'utf8'), 'hello\r\n');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a stuck console drops whole lines and counts them; memory stays under the limit', async () => {
  const out: Buffer[] = [];
  let release: (() => void) | undefined;
  const stuck: WriteFn = (buf, cb) => {
    release = () => {
      out.push(Buffer.from(buf));
      cb(null, buf.length);
    };
  };
  const w = new LineWriter(stuck, { eol: '\n', limitBytes: 1000 });
  for (let i = 0; i < 10_000; i++) w.writeLine(`line ${String(i).padStart(4, '0')} ${'x'.repeat(40)}`);
  assert.ok(w.pending <= 1000, `${w.pending} bytes waiting`);
  const line = 51; // "line 0000 " + 40 x + "\n"
  const kept = Math.floor(1000 / line); // the line in flight counts against the limit too
  assert.is(w.dropped, 10_000 - kept, `dropped ${w.dropped}`);
  release!();
  release!();
  w.writeLine('after');
  release!();
  const text = Buffer.concat(out).toString();
  assert.ok(text.startsWith('line 0000 '), text.slice(0, 20));
  assert.match(text, /\[console: \d+ lines dropped\]\nafter\n$/);
  assert.is(Number(/\[console: (\d+) lines/.exec(text)![1]), w.dropped);
});

test('EAGAIN (a full TTY buffer) is retried, partial writes resume where they stopped', async () => {
  const out: string[] = [];
  let calls = 0;
  const flaky: WriteFn = (buf, cb) => {
    calls++;
    if (calls === 1) return setImmediate(() => cb(Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' }), 0));
    const n = Math.min(3, buf.length);
    out.push(buf.subarray(0, n).toString());
    setImmediate(() => cb(null, n));
  };
  const w = new LineWriter(flaky, { eol: '\r\n', retryMs: 5 });
  w.writeLine('hello');
  w.writeLine('world');
  await w.close();
  assert.is(out.join(''), 'hello\r\nworld\r\n');
  assert.is(w.dropped, 0);
});

test('a console that fails for good (EIO) warns once; later lines are counted as dropped', async () => {
  let broken: string | undefined;
  let wentBroken!: () => void;
  const isBroken = new Promise<void>((ok) => (wentBroken = ok));
  const dead: WriteFn = (_buf, cb) => setImmediate(() => cb(Object.assign(new Error('EIO'), { code: 'EIO' }), 0));
  const w = new LineWriter(dead, {
    eol: '\n',
    onBroken: (e) => {
      broken = broken ? 'twice' : e.code;
      wentBroken();
    },
  });
  w.writeLine('a');
  await isBroken;
  w.writeLine('b');
  w.writeLine('c');
  await w.close();
  assert.is(broken, 'EIO');
  assert.is(w.dropped, 3);
});

test('close gives up on a console stuck for good after its timeout, dropping what waits', async () => {
  const w = new LineWriter((_b, cb) => setTimeout(() => cb(Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' }), 0), 1), { eol: '\n', retryMs: 2 });
  w.writeLine('never');
  const t0 = Date.now();
  await w.close(50);
  assert.ok(Date.now() - t0 < 1000);
  assert.is(w.dropped, 1);
});

test.run();
