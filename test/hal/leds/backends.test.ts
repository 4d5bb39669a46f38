import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSync, readFileSync, type PathLike } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log/logger';
import { LedError, openLeds, parseTriggers, patternOf, type LedPattern } from '../../../src/hal/leds/leds';
import { initialView, type ComponentView, type UpgradeView } from '../../../src/hal/view';
import type { PfsNative } from '../../../src/hal/native';
import { NativeUnavailableError } from '../../../src/hal/native';
import { FakeTimers } from '../../helpers/fake-timers';

const temp = () => mkdtemp(join(tmpdir(), 'pfs-leds-'));

function logs() {
  const lines: string[] = [];
  return { lines, log: createLogger('LED', { sinks: [{ writeLine: (l) => lines.push(l) }], level: 'DBG' }) };
}

/** A folder laid out like /sys/class/leds/ACT on a Pi, under `root`. */
async function sysLed(root: string, trigger = 'none [mmc0] timer heartbeat', extra: Record<string, string> = {}): Promise<string> {
  const dir = join(root, 'sys/class/leds/ACT');
  await mkdir(dir, { recursive: true });
  const files = { brightness: '0\n', max_brightness: '255\n', trigger: trigger + '\n', delay_on: '500\n', delay_off: '500\n', ...extra };
  for (const [k, v] of Object.entries(files)) await writeFile(join(dir, k), v);
  return dir;
}

const read = (p: PathLike) => readFileSync(p, 'utf8').trim();

test('parseTriggers: the offered list and the bracketed current one', () => {
  assert.equal(parseTriggers('none [mmc0] timer heartbeat\n'), { offered: ['none', 'mmc0', 'timer', 'heartbeat'], current: 'mmc0' });
  assert.equal(parseTriggers('[none] timer'), { offered: ['none', 'timer'], current: 'none' });
});

test('sysfs: simple blinks go to the kernel timer trigger; steady on to none + max_brightness; close restores mmc0', async () => {
  const root = await temp();
  try {
    const dir = await sysLed(root);
    const timers = new FakeTimers();
    const leds = await openLeds({ backend: 'sysfs', path: '/sys/class/leds/ACT' }, { root, boardName: 'rpi4', log: logs().log, timers });
    assert.is(leds.kind, 'sysfs');
    leds.set('downloading');
    assert.equal([read(join(dir, 'trigger')), read(join(dir, 'delay_on')), read(join(dir, 'delay_off'))], ['timer', '250', '250']);
    assert.is(timers.armed, 0, 'the kernel blinks: no timer of ours');
    leds.set('error');
    assert.equal([read(join(dir, 'trigger')), read(join(dir, 'delay_on')), read(join(dir, 'delay_off'))], ['timer', '62', '63']);
    leds.set('done');
    assert.equal([read(join(dir, 'trigger')), read(join(dir, 'brightness'))], ['none', '255']);
    assert.is(timers.armed, 0);
    await leds.close();
    assert.is(read(join(dir, 'trigger')), 'mmc0', 'the Pi ACT LED goes back to showing SD card activity');
    leds.set('error');
    assert.is(read(join(dir, 'trigger')), 'mmc0', 'set after close does nothing');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sysfs: the same pattern again touches nothing (the boot calls set every 250 ms)', async () => {
  const root = await temp();
  try {
    const dir = await sysLed(root);
    const leds = await openLeds({ backend: 'sysfs', path: 'sys/class/leds/ACT' }, { root, boardName: 'rpi4', log: logs().log, timers: new FakeTimers() });
    leds.set('idle');
    await writeFile(join(dir, 'delay_on'), 'untouched');
    leds.set('idle');
    assert.is(read(join(dir, 'delay_on')), 'untouched');
    await leds.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sysfs: the double flash goes to the pattern trigger where the kernel offers it', async () => {
  const root = await temp();
  try {
    const dir = await sysLed(root, '[none] timer pattern', { max_brightness: '1\n' });
    const timers = new FakeTimers();
    const leds = await openLeds({ backend: 'sysfs', path: 'sys/class/leds/ACT' }, { root, boardName: 'rpi4', log: logs().log, timers });
    leds.set('serving');
    assert.is(read(join(dir, 'trigger')), 'pattern');
    assert.is(read(join(dir, 'pattern')), '1 100 1 0 0 150 0 0 1 100 1 0 0 650 0 0');
    assert.is(read(join(dir, 'repeat')), '-1');
    assert.is(timers.armed, 0);
    await leds.close();
    assert.equal([read(join(dir, 'trigger')), read(join(dir, 'brightness'))], ['none', '0'], 'found with no trigger: brightness restored');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** Brightness as sampled every ms over `ms`: the rising edges seen. */
function flashesOver(timers: FakeTimers, file: string, ms: number): number[] {
  const at: number[] = [];
  let prev = read(file);
  for (let i = 0; i < ms; i++) {
    timers.advance(1);
    const now = read(file);
    if (now !== '0' && prev === '0') at.push(timers.t);
    prev = now;
  }
  return at;
}

test('sysfs without a timer trigger: brightness is toggled from a timer at each edge, cleared on close', async () => {
  const root = await temp();
  try {
    const dir = await sysLed(root, 'none [mmc0] heartbeat');
    const timers = new FakeTimers();
    const leds = await openLeds({ backend: 'sysfs', path: 'sys/class/leds/ACT' }, { root, boardName: 'rpi4', log: logs().log, timers });
    leds.set('downloading');
    assert.equal([read(join(dir, 'trigger')), read(join(dir, 'brightness'))], ['none', '255'], 'on at once, mmc0 switched off');
    assert.equal(flashesOver(timers, join(dir, 'brightness'), 2000), [500, 1000, 1500, 2000]);
    leds.set('serving');
    assert.equal(flashesOver(timers, join(dir, 'brightness'), 2000).map((t) => t - 2000), [250, 1000, 1250, 2000]);
    assert.is(timers.armed, 1);
    await leds.close();
    assert.is(timers.armed, 0, 'no timer left behind');
    assert.is(read(join(dir, 'trigger')), 'mmc0');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sysfs: a missing LED folder is a clear error naming the board and the path', async () => {
  const root = await temp();
  try {
    const e = await openLeds({ backend: 'sysfs', path: '/sys/class/leds/PWR' }, { root, boardName: 'rpi4', log: logs().log }).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(e instanceof LedError, String(e));
    assert.is(e.code, 'PFS_ERR_LED_MISSING');
    assert.is(e.message, `LED rpi4 ${join(root, 'sys/class/leds/PWR')}: no such LED (ENOENT); the kernel lists its LEDs in /sys/class/leds`);
    await mkdir(join(root, 'sys/class/leds/odd'), { recursive: true });
    const f = await openLeds({ backend: 'sysfs', path: 'sys/class/leds/odd' }, { root, boardName: 'rpi4', log: logs().log }).catch((x: unknown) => x);
    assert.ok(f instanceof LedError && f.code === 'PFS_ERR_LED' && /not an LED folder: cannot read brightness/.test(f.message), String(f));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('sysfs: an LED that disappears while running is warned about once, and the boot goes on', async () => {
  const root = await temp();
  try {
    const dir = await sysLed(root, 'none [mmc0]');
    const timers = new FakeTimers();
    const { lines, log } = logs();
    const leds = await openLeds({ backend: 'sysfs', path: 'sys/class/leds/ACT' }, { root, boardName: 'rpi4', log, timers });
    leds.set('error');
    await rm(dir, { recursive: true });
    timers.advance(1000);
    leds.set('done');
    assert.is(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /WRN .*LED ACT: rpi4 .*ACT: cannot drive it any more \(ENOENT\)/);
    assert.is(timers.armed, 0);
    await leds.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('terminal: one line per change of pattern, none per blink', async () => {
  const { lines, log } = logs();
  const leds = await openLeds({ backend: 'terminal' }, { root: '/', boardName: 'sim', log });
  const seq: LedPattern[] = ['idle', 'idle', 'downloading', 'downloading', 'serving', 'done', 'done'];
  for (const p of seq) leds.set(p);
  assert.equal(lines.map((l) => l.replace(/^NOT \S+ LED: /, '')), [
    'LED ACT: idle (flash 1 Hz)',
    'LED ACT: downloading (blink 2 Hz)',
    'LED ACT: serving (double flash 1 Hz)',
    'LED ACT: done (steady on)',
  ]);
  const out: string[] = [];
  const t2 = await openLeds({ backend: 'terminal', path: 'STATUS' }, { root: '/', boardName: 'sim', log, out: { write: (s) => out.push(s) } });
  t2.set('error');
  assert.equal(out, ['LED STATUS: error (fast blink 8 Hz)\n']);
  await leds.close();
  const none = await openLeds({ backend: 'none' }, { root: '/', boardName: 'sim', log });
  none.set('error');
  assert.is(none.kind, 'none');
  await none.close();
});

test('gpio: the line is requested as an output through the addon and toggled at each edge', async () => {
  const root = await temp();
  try {
    await mkdir(join(root, 'dev'));
    await writeFile(join(root, 'dev/gpiochip0'), '');
    const calls: string[] = [];
    const lineFd = openSync(join(root, 'dev/gpiochip0'), 'r');
    const native = {
      gpioRequestOutputs: (_fd: number, path: string, offsets: number[], consumer: string, values: number[]) => {
        calls.push(`request ${path.slice(root.length)} ${offsets} ${consumer} ${values}`);
        return lineFd;
      },
      gpioSetValues: (_fd: number, _path: string, values: number[]) => void calls.push(`set ${values}`),
    } as unknown as PfsNative;
    const timers = new FakeTimers();
    const leds = await openLeds({ backend: 'gpio', device: '/dev/gpiochip0', line: 17 }, { root, boardName: 'rpi3', log: logs().log, timers, native });
    assert.is(leds.kind, 'gpio');
    leds.set('error');
    timers.advance(250);
    assert.equal(calls, ['request /dev/gpiochip0 17 pfs 0', 'set 1', 'set 0', 'set 1', 'set 0', 'set 1']);
    await leds.close();
    assert.is(calls.at(-1), 'set 0');
    assert.is(timers.armed, 0);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('gpio: a missing chip names it; without the addon, the NativeUnavailableError names the board and line', async () => {
  const root = await temp();
  try {
    const native = {} as PfsNative;
    const e = await openLeds({ backend: 'gpio', device: '/dev/gpiochip9', line: 4 }, { root, boardName: 'rpi3', log: logs().log, native }).catch((x: unknown) => x);
    assert.ok(e instanceof LedError && e.code === 'PFS_ERR_LED_MISSING', String(e));
    assert.match(e.message, /^LED rpi3 .*\/dev\/gpiochip9: cannot open the GPIO chip \(ENOENT\)$/);
    const n = await openLeds({ backend: 'gpio', device: '/dev/gpiochip0', line: 4 }, { root, boardName: 'rpi3', log: logs().log }).catch((x: unknown) => x);
    if (n instanceof NativeUnavailableError) assert.match(n.message, /LED back-end gpio \(board rpi3, .*gpiochip0 line 4\)/);
    else assert.ok(n instanceof LedError, 'with the addon built, the missing chip is reported instead');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('terminal through a whole upgrade, set every tick as the boot does: one line per meaning', async () => {
  const { lines, log } = logs();
  const leds = await openLeds({ backend: 'terminal' }, { root: '/', boardName: 'sim', log });
  const c = (state: ComponentView['state'], children = 0): ComponentView => ({ name: 'x', size: 10, bytes: 0, state, role: 'parent', children });
  const v = (phase: UpgradeView['phase'], components: ComponentView[] = []): UpgradeView => ({ ...initialView('CP-7961G', 'L1'), phase, components });
  const story = [
    v('booting'), v('booting'), v('config'), v('upgrading'), v('upgrading', [c('waiting'), c('waiting')]),
    v('upgrading', [c('downloading'), c('waiting')]), v('upgrading', [c('done', 1), c('downloading')]),
    v('upgrading', [c('done', 1), c('verifying')]), v('upgrading', [c('done', 2), c('done', 1)]),
    v('serving', [c('done', 1), c('done')]), v('serving', [c('done'), c('done')]), v('done', [c('done'), c('done')]),
  ];
  for (const view of story) for (let tick = 0; tick < 4; tick++) leds.set(patternOf(view));
  assert.equal(lines.map((l) => l.replace(/^NOT \S+ LED: LED ACT: /, '')), ['idle (flash 1 Hz)', 'downloading (blink 2 Hz)', 'serving (double flash 1 Hz)', 'done (steady on)']);
  await leds.close();
});

test.run();
