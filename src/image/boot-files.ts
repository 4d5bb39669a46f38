// The text files on the boot partition that pfs image writes or edits: pfs.txt, and the
// Raspberry Pi firmware's config.txt and cmdline.txt. Pure functions: text in, text
// out; the same text again when nothing needs to change, so a second run writes nothing.

/** What pfs.txt says about the board (see docs/INSTALL.md). */
export interface PfsTxt {
  board: string;
  model: string;
  tftp: string;
  /** The MAC the board goes by, when not its interface's. */
  mac?: string;
  /** The console pfs logs to (/dev/…), when not the board file's. */
  console?: string;
}

const TEMPLATE = `# pfs: what this board is and where its TFTP server is.
# Read at every boot; edit it from any PC, like config.txt (docs/INSTALL.md).
# pfs.model= on the kernel command line, or pfs boot --model, take precedence over model=.
`;

/**
 * pfs.txt with the given settings: new, from a template, or the board's own file with
 * those keys' lines set (a key given twice: its last line) and every other line kept,
 * so a technician's additions (addr=, peer_port=, …) survive a second run.
 */
export function pfsTxt(current: string | null, s: PfsTxt): string {
  const want: [string, string | undefined][] = [
    ['board', s.board],
    ['model', s.model],
    ['tftp', s.tftp],
    ['mac', s.mac],
    ['console', s.console],
  ];
  const lines = current === null ? TEMPLATE.split('\n').slice(0, -1) : current.replace(/\r?\n$/, '').split(/\r?\n/);
  const keyOf = (line: string) => /^\s*([A-Za-z_]+)\s*=/.exec(line.replace(/#.*/, ''))?.[1]?.toLowerCase();
  for (const [key, value] of want) {
    if (value === undefined) continue;
    const at = lines.map(keyOf).lastIndexOf(key);
    if (at >= 0) lines[at] = `${key}=${value}`;
    else lines.push(`${key}=${value}`);
  }
  if (current === null && s.mac === undefined) lines.push('# mac=00:1b:d5:08:00:27   (the MAC the board goes by, if not its interface\'s)');
  return lines.join('\n') + '\n';
}

/**
 * config.txt with the serial port on (`enable_uart=1`): unchanged when an
 * `enable_uart=1` line is already in force at the end of the file, else any
 * `enable_uart=` line dropped and the setting appended under `[all]`.
 */
export function configTxt(current: string | null): string {
  const text = current ?? '';
  const lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  let section = 'all';
  let on = false;
  for (const l of lines) {
    const t = l.replace(/#.*/, '').trim();
    if (/^\[.*\]$/.test(t)) section = t.slice(1, -1).toLowerCase();
    else if (/^enable_uart\s*=/.test(t)) on = section === 'all' && /=\s*1$/.test(t);
  }
  if (on) return text;
  const kept = lines.filter((l) => !/^\s*enable_uart\s*=/.test(l));
  return [...kept, '[all]', '# pfs logs to the serial console (docs/INSTALL.md)', 'enable_uart=1'].join('\n') + '\n';
}

/**
 * The tty names a console device stands for: the Pi's `serial0`/`serial1` are udev
 * links to ttyS0 (mini UART) or ttyAMA0 (PL011), which one depends on the board and
 * its overlays, so both.
 */
export function consoleTtys(device: string): string[] {
  const name = device.replace(/^\/dev\//, '');
  return /^serial\d$/.test(name) ? [name, 'ttyS0', 'ttyAMA0'] : [name];
}

/**
 * cmdline.txt without the kernel console on the serial port pfs logs to (the kernel's
 * messages would break into pfs's lines, and systemd starts a login getty on every
 * kernel console). Other words, `console=tty1` included, are kept in order.
 */
export function cmdlineTxt(current: string, consoleDevice: string): string {
  const ttys = new Set(consoleTtys(consoleDevice));
  const words = current.trim().split(/\s+/);
  const kept = words.filter((w) => {
    const m = /^console=([^,]+)/.exec(w);
    return !(m && ttys.has(m[1]!.replace(/^\/dev\//, '')));
  });
  return kept.length === words.length ? current : kept.join(' ') + '\n';
}
