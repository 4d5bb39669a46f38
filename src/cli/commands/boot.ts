import { statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { intOption, parse, type Command } from '../command';
import { UsageError } from '../../errors';
import { bootBoard, EXIT } from '../../boot/boot';
import { electionOption } from '../election-option';
import { parseMs } from '../../units/parse';
import { defaultBoardsDir } from '../../profiles';
import { httpBaseUrl } from '../../net/http/load-server';

// boards/ beside pfs, else the profiles built into it (src/profiles/boards-dir.ts).
export { defaultBoardsDir };

export const bootCommand: Command = {
  path: ['boot'],
  summary: 'run a board: select the model, fetch the configuration, upgrade (by peers or TFTP)',
  usage: `Usage: pfs boot [--board BOARD] [--root DIR] [--model MODEL] [--server HOST[:PORT]]

What a board runs at power-on, logging to its console in the phone's DLoad style:
select the phone model (--model, else pfs.model= on the kernel command line, else
model= in pfs.txt), read the MAC, boot a flash slot, fetch SEP<MAC>.cnf.xml (else
XMLDefault.cnf.xml) from the TFTP server, and if the configured load differs from
the running one: fetch and verify the signed .loads manifest, fetch every component
into the inactive slot (through the peer hierarchy when Peer Firmware Sharing is
enabled, else by plain TFTP), commit, stay a parent until its children are served,
and exit to be rebooted. Meanwhile the board file's screen shows the upgrade (per
component: state, KB, role; the PFS icon while sharing), its LED blinks the phase,
and log lines also go to its console device.

A new load boots on trial: it is marked good once it has fetched its configuration;
after the board file's flash.trials boots (default 3) that did not, the board goes
back to the other slot, and never installs that load again. When the active load
carries pfs itself (pfs-linux-<CPU>, pfs pack --runtime), this pfs counts the boot and
starts that runtime with the same arguments (docs/INSTALL.md, "Rolling back").

Exit status: ${EXIT.CURRENT} up to date, ${EXIT.REBOOT} new load committed (reboot), ${EXIT.FAILED} upgrade failed
(current load kept), ${EXIT.NO_MODEL} no valid model selected, 2 bad usage.

Options:
  --board BOARD       board file in boards/ (sim, rpi4, rpi3, rpi-zero2w); default: the
                      one /proc/device-tree/model names, else board= in pfs.txt
  --root DIR          the board's root folder (default /; the sim board lives in one)
  --boards-dir DIR    where the board and model files are (default: boards/ beside
                      pfs, else the ones built into it)
  --model MODEL       phone model, overriding the kernel command line and pfs.txt
  --server HOST[:PORT]  the TFTP server (default: tftp= in pfs.txt)
  --http URL          HTTP load server the components come from by range requests,
                      http://HOST[:PORT][/PATH] or HOST[:PORT] (port 6970, as CUCM);
                      TFTP if it fails (default: http= in pfs.txt, else the
                      configuration's <loadServerHttp>, else none)
  --mac MAC           the board's MAC (default: mac= in pfs.txt, else its interface)
  --peer-port N       UDP and TCP peer port (default 4051, or peer_port= in pfs.txt)
  --addr ADDR         this board's address (default: its interface's)
  --broadcast ADDR[:PORT]  where adverts go (default: the interface's subnet broadcast)
  --forward cut|store forward blocks as verified (default) or whole files
  --election fast|phone  how peers elect a file's root: fast (default: the preferred
                      board claims, confirmed in about 0.3 s) or phone (the phone's
                      exact timing: four adverts 250 ms apart, then confirm)
  --tftp-blksize N, --tftp-window N   TFTP towards the server (default 1468, 64)
  --config-tries N    give up after N failed configuration fetches (default: never)
  --upgrade-timeout T abandon a download after this long, e.g. 900s (default 1800s)`,

  async run({ argv, log }) {
    const { values } = parse(
      argv,
      {
        board: { type: 'string' },
        root: { type: 'string' },
        'boards-dir': { type: 'string' },
        model: { type: 'string' },
        server: { type: 'string' },
        http: { type: 'string' },
        mac: { type: 'string' },
        'peer-port': { type: 'string' },
        addr: { type: 'string' },
        broadcast: { type: 'string' },
        forward: { type: 'string' },
        election: { type: 'string' },
        'tftp-blksize': { type: 'string' },
        'tftp-window': { type: 'string' },
        'config-tries': { type: 'string' },
        'upgrade-timeout': { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    // Checked here: a bad address would otherwise surface deep in the peer engine as a raw socket error.
    // A root that is not there would otherwise come out as "no phone model selected".
    if (values.root !== undefined && !statSync(values.root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--root ${values.root}: no such folder (the board's root: boot/pfs.txt, trust/ and flash/ are under it)`);
    if (values.addr !== undefined && isIPv4(values.addr) === false) throw new UsageError(`--addr must be an IPv4 address, got "${values.addr}"`);
    if (values.http !== undefined && !httpBaseUrl(values.http)) throw new UsageError(`--http must be http://HOST[:PORT][/PATH] or HOST[:PORT], got "${values.http}"`);
    const forward = values.forward ?? 'cut';
    if (forward !== 'cut' && forward !== 'store') throw new UsageError(`--forward must be cut or store, got "${forward}"`);
    const election = electionOption(values.election);
    const r = await bootBoard({
      board: values.board,
      root: values.root ?? '/',
      boardsDir: values['boards-dir'] ?? defaultBoardsDir(),
      model: values.model,
      server: values.server,
      http: values.http,
      mac: values.mac,
      peerPort: intOption('peer-port', values['peer-port'], 1, 65535),
      addr: values.addr,
      broadcast: values.broadcast,
      forward,
      election,
      tftp: {
        blksize: intOption('tftp-blksize', values['tftp-blksize'], 8, 65464) ?? 1468,
        windowsize: intOption('tftp-window', values['tftp-window'], 1, 1024) ?? 64,
      },
      configTries: intOption('config-tries', values['config-tries'], 0, 1_000_000),
      upgradeTimeoutMs: values['upgrade-timeout'] === undefined ? undefined : parseMs(values['upgrade-timeout'], '--upgrade-timeout'),
      log,
      // After the reboot into a load that carries pfs (pfs-linux-<CPU>), that runtime runs the board, with these arguments.
      runtime: { argv: process.argv.slice(2) },
    });
    return r.exit;
  },
};
