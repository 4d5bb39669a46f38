import { dirname, join } from 'node:path';
import { parse, type Command } from '../command';
import { UsageError } from '../../errors';
import { defaultBoardsDir } from '../../profiles';
import { startedFile } from '../../io/self';
import { writeImage, type ImageItem } from '../../image/image';

/** Where `npm run release` leaves the executables, seen from pfs.cjs (dist/) or from a release executable itself. */
function releaseDirs(): string[] {
  const here = dirname(startedFile());
  return [join(here, 'release'), here];
}

const line = (i: ImageItem) =>
  `${i.partition.padEnd(4)}  ${i.path}  ${i.kind}${i.bytes !== undefined ? ` ${i.bytes} bytes` : ''}${i.target ? ` -> ${i.target}` : ''}  ${i.state}`;

export const imageCommand: Command = {
  path: ['image'],
  summary: 'write pfs, its service and pfs.txt into a Raspberry Pi OS disk image',
  usage: `Usage: pfs image IMG --board BOARD --model MODEL --tftp HOST[:PORT] --trust KEY.pub.pem
                 [--console serial0] [--mac MAC] [--exe PATH] [--dry-run]

Writes into IMG, a Raspberry Pi OS-style disk image (MBR; a FAT boot partition; an
ext4 root), without mounting it (mtools and debugfs):
  root  /opt/pfs/pfs                    the executable for the board's CPU
  root  /etc/pfs/trust/KEY.pub.pem      the key the board accepts loads signed by
  root  /etc/systemd/system/pfs.service the unit that runs pfs boot at power-on,
        enabled (multi-user.target.wants); exit 10 reboots, a failure restarts it
  root  serial-getty@ttyS0/ttyAMA0      masked: no login prompt on pfs's console
  root  /var/lib/pfs/flash              the A/B slots, where the board file says
  boot  pfs.txt                         board, model, tftp (and mac, console)
  boot  config.txt                      enable_uart=1
  boot  cmdline.txt                     without console= on pfs's serial port
What is already as wanted is left alone: a second run changes nothing. Refuses, with
nothing changed, an image that is not MBR/FAT+ext4, read-only or too small, a model
without Peer Firmware Sharing, a missing key or an executable for another CPU.
Walkthrough and the unit's exit codes: docs/INSTALL.md.

Options:
  --board BOARD      rpi4, rpi3 or rpi-zero2w (board files in boards/)
  --model MODEL      the phone model the board is (CP-7961G, ...): pfs.txt's model=
  --tftp HOST[:PORT] the TFTP server (port 69 unless given): pfs.txt's tftp=
  --trust FILE       the site's public key (pfs keygen's .pub.pem)
  --console NAME     the serial console pfs logs to (default: the board file's, serial0)
  --mac MAC          the MAC the board goes by, if not its interface's: pfs.txt's mac=
  --exe PATH         the executable (default: dist/release/pfs-linux-<arch> from
                     npm run release, for the image's CPU)
  --boards-dir DIR   where the board and model files are
  --dry-run          list what would be written, write nothing

Exit status: 0 written (or nothing to change), 1 refused or failed, 2 bad usage.`,

  async run({ argv }) {
    const { values, positionals } = parse(
      argv,
      {
        board: { type: 'string' },
        model: { type: 'string' },
        tftp: { type: 'string' },
        trust: { type: 'string' },
        console: { type: 'string' },
        mac: { type: 'string' },
        exe: { type: 'string' },
        'boards-dir': { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
      { min: 1, max: 1 },
    );
    for (const need of ['board', 'model', 'tftp', 'trust'] as const) if (!values[need]) throw new UsageError(`--${need} is required`);
    const r = await writeImage({
      image: positionals[0]!,
      board: values.board!,
      model: values.model!,
      tftp: values.tftp!,
      trust: values.trust!,
      console: values.console,
      mac: values.mac,
      exe: values.exe,
      releaseDirs: releaseDirs(),
      boardsDir: values['boards-dir'] ?? defaultBoardsDir(),
      dryRun: values['dry-run'] === true,
    });
    const changed = r.items.filter((i) => i.state !== 'same');
    const out = values['dry-run'] ? r.items.map((i) => `${line(i)}${i.state === 'same' ? '' : ' (would write)'}`) : changed.map(line);
    out.push(
      values['dry-run']
        ? `${r.image}: dry run: ${changed.length} of ${r.items.length} to write (executable ${r.exe}, ${r.arch}); nothing written`
        : r.written
          ? `${r.image}: ${changed.length} written, ${r.items.length - changed.length} already as wanted (executable ${r.exe}, ${r.arch})`
          : `${r.image}: nothing to change (${r.items.length} already as wanted)`,
    );
    process.stdout.write(out.join('\n') + '\n');
    return 0;
  },
};
