// The boot partition's text files as pfs image writes them: pfs.txt, config.txt, cmdline.txt.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cmdlineTxt, configTxt, consoleTtys, pfsTxt } from '../../src/image/boot-files';
import { parseBootConfig } from '../../src/boot/select-model';
import { fatMountPoint } from '../../src/image/image';

const S = { board: 'rpi4', model: 'CP-7961G', tftp: '192.0.2.10' };

test('pfs.txt: a new one says board, model and tftp, and shows where mac= goes', () => {
  const t = pfsTxt(null, S);
  assert.equal(Object.fromEntries(parseBootConfig(t)), { board: 'rpi4', model: 'CP-7961G', tftp: '192.0.2.10' });
  assert.match(t, /^# mac=/m);
  assert.is(pfsTxt(t, S), t, 'the same settings again: the same text');
});

test('pfs.txt: the board\'s own lines are kept, the given keys set in place (the last of a repeated key)', () => {
  const mine = 'model=CP-7941G  # old\naddr=192.0.2.7\ntftp=a\ntftp=b\r\n';
  const t = pfsTxt(mine, { ...S, mac: '001BD5080027' });
  assert.is(t, 'model=CP-7961G\naddr=192.0.2.7\ntftp=a\ntftp=192.0.2.10\nboard=rpi4\nmac=001BD5080027\n');
  assert.is(parseBootConfig(t).get('tftp'), '192.0.2.10');
});

test('config.txt: enable_uart=1 appended under [all]; left alone once in force; enable_uart=0 taken out', () => {
  const t = configTxt('dtparam=audio=on\n[pi4]\narm_boost=1\n');
  assert.is(t, 'dtparam=audio=on\n[pi4]\narm_boost=1\n[all]\n# pfs logs to the serial console (docs/INSTALL.md)\nenable_uart=1\n');
  assert.is(configTxt(t), t);
  assert.is(configTxt('enable_uart=1\n'), 'enable_uart=1\n');
  assert.is(configTxt('enable_uart=0\nx=1\n'), 'x=1\n[all]\n# pfs logs to the serial console (docs/INSTALL.md)\nenable_uart=1\n');
  assert.is(configTxt('[pi4]\nenable_uart=1\n').endsWith('[all]\n# pfs logs to the serial console (docs/INSTALL.md)\nenable_uart=1\n'), true, 'on for the Pi 4 only is not on');
  assert.is(configTxt(null), '[all]\n# pfs logs to the serial console (docs/INSTALL.md)\nenable_uart=1\n');
});

test('cmdline.txt: the kernel console leaves pfs\'s serial port and stays on the screen', () => {
  const c = 'console=serial0,115200 console=tty1 root=PARTUUID=x rootwait\n';
  assert.is(cmdlineTxt(c, '/dev/serial0'), 'console=tty1 root=PARTUUID=x rootwait\n');
  assert.is(cmdlineTxt('console=ttyAMA0,115200 console=tty1 quiet\n', '/dev/serial0'), 'console=tty1 quiet\n');
  assert.is(cmdlineTxt('console=tty1 quiet\n', '/dev/serial0'), 'console=tty1 quiet\n', 'unchanged text when there is nothing to take out');
  assert.is(cmdlineTxt(c, '/dev/ttyUSB0'), c);
  assert.equal(consoleTtys('/dev/serial0'), ['serial0', 'ttyS0', 'ttyAMA0']);
  assert.equal(consoleTtys('ttyAMA0'), ['ttyAMA0']);
});

test('the boot partition\'s mount point comes from the image\'s fstab (bookworm /boot/firmware, older /boot)', () => {
  assert.is(fatMountPoint('PARTUUID=1-01  /boot  vfat  defaults 0 2\n'), '/boot');
  assert.is(fatMountPoint('# PARTUUID=1-01 /boot vfat\nPARTUUID=1-01 /boot/firmware/ vfat defaults 0 2\n'), '/boot/firmware');
  assert.is(fatMountPoint(null), '/boot/firmware');
});

test.run();
